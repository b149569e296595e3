//! Browser edges shared by the page and the worker: the dataset's fetch and cache, the
//! trained models kept in the browser, the URL query, and the typed `postMessage` codec.
//! No burn here.

pub mod dataset;
#[cfg(feature = "dataset-worker")]
pub mod dataset_worker;
pub mod messages;
pub mod model_store;
pub mod results_store;

use wasm_bindgen::JsCast;

/// The page's URL query as key/value pairs (empty outside a window).
pub fn query_pairs() -> Vec<(String, String)> {
    let Some(window) = web_sys::window() else { return Vec::new() };
    let Ok(search) = window.location().search() else { return Vec::new() };
    parse_query(&search)
}

/// A query string's key/value pairs, decoded as the browser decodes a URL's.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(query) else { return Vec::new() };
    let mut pairs = Vec::new();
    for entry in js_sys::try_iter(&params).ok().flatten().into_iter().flatten().flatten() {
        let pair: js_sys::Array = entry.unchecked_into();
        if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            pairs.push((k, v));
        }
    }
    pairs
}

/// The page's URL fragment (with its `#`), if it has one.
pub fn location_hash() -> Option<String> {
    web_sys::window()?.location().hash().ok().filter(|h| !h.is_empty())
}

/// Writes `text` to the clipboard, where the browser lets the page (it may refuse: the
/// text is also shown to copy by hand).
pub fn copy_to_clipboard(text: &str) {
    let Some(window) = web_sys::window() else { return };
    let clipboard = window.navigator().clipboard();
    // A refusal only leaves the link to copy from the page.
    let _ = clipboard.write_text(text);
}

/// Replaces the page's query string without reloading or adding a history entry, so that
/// the address bar always holds a link that reproduces the current setup.
pub fn replace_query(query: &str) {
    let Some(window) = web_sys::window() else { return };
    let Ok(history) = window.history() else { return };
    let url = format!("?{query}");
    // A failure here only leaves the old URL in the address bar.
    let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
}

/// Milliseconds since the page or worker started (`performance.now()`).
pub fn now_ms() -> f64 {
    web_time::Instant::now().duration_since(start()).as_secs_f64() * 1000.0
}

fn start() -> web_time::Instant {
    thread_local!(static START: web_time::Instant = web_time::Instant::now());
    START.with(|s| *s)
}
