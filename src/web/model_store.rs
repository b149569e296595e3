//! Trained models kept in the browser: safetensors files (see [`crate::model::weights`]) in
//! Cache Storage, which both the page and the worker can reach (IndexedDB would do too, but
//! the dataset already lives in Cache Storage and a model is one blob under one key).
//! The worker stores P3's CNN when it finishes and reads it for P4; the page lists it,
//! offers it for download, and stores an uploaded one.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, Response};

use super::dataset::{file_url, js_error, open_cache, read_cached};

const CACHE_NAME: &str = "mnist-lab-models-v1";
/// Where P3's trained CNN is kept (a URL relative to the app, never fetched).
pub const CNN_FILE: &str = "models/p3-cnn.safetensors";

async fn cache() -> Result<Cache, String> {
    open_cache(CACHE_NAME).await.ok_or_else(|| "this browser offers no Cache Storage here (private mode?)".to_string())
}

fn key(name: &str) -> String {
    file_url(".", name)
}

/// Keeps `bytes` under `name`, replacing what was there.
pub async fn save(name: &str, bytes: &[u8]) -> Result<(), String> {
    let cache = cache().await?;
    let array = Uint8Array::from(bytes);
    let response = Response::new_with_opt_buffer_source(Some(&array)).map_err(js_error)?;
    JsFuture::from(cache.put_with_str(&key(name), &response)).await.map_err(|e| format!("could not store the model: {}", js_error(e)))?;
    Ok(())
}

/// The bytes kept under `name`, if any.
pub async fn load(name: &str) -> Result<Option<Vec<u8>>, String> {
    Ok(read_cached(&cache().await?, &key(name)).await)
}

/// Forgets `name`.
pub async fn remove(name: &str) -> Result<(), String> {
    let cache = cache().await?;
    let deleted = JsFuture::from(cache.delete_with_str(&key(name))).await.map_err(js_error)?;
    deleted.dyn_into::<js_sys::Boolean>().map(|_| ()).map_err(|_| "unexpected answer from Cache Storage".to_string())
}
