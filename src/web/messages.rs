//! Typed `postMessage`: protocol values cross as plain JS objects made by serde.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, String> {
    serde_wasm_bindgen::to_value(value).map_err(|e| format!("cannot encode message: {e}"))
}

pub fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(value).map_err(|e| format!("malformed message: {e}"))
}
