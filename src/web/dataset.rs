//! The dataset in the browser: fetched once with progress, checked, decompressed, parsed,
//! and cached decompressed in Cache Storage so a reload (and the worker) reads it locally.
//!
//! Streaming the response body by hand (web-sys' ReadableStream reader) is what gives the
//! progress bar its bytes; gloo-net's fetch only hands back whole bodies.

use js_sys::{Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, CacheStorage, ReadableStreamDefaultReader, Response};

use crate::data::{ClassNames, DataError, DatasetId, Mnist, MnistFile, mnist};

/// Where the app's own copy of MNIST is served from (Trunk copies `assets/mnist` there).
pub const DEFAULT_DATA_URL: &str = "assets/mnist";
/// Cache Storage bucket; bump the version when the cached layout changes.
const CACHE_NAME: &str = "mnist-lab-data-v1";
/// Where a dataset the visitor uploaded lives: `user-data/<its hash>`, a same-origin base no
/// server serves, whose four files only the cache holds (the page and the worker read them
/// there, as any cached dataset).
pub const USER_DATA_PREFIX: &str = "user-data/";

#[derive(Debug, Error)]
pub enum LoadError {
    #[error("could not fetch {url}: {reason}")]
    Fetch { url: String, reason: String },
    #[error("{url} answered HTTP {status}")]
    Http { url: String, status: u16 },
    #[error("{url} is larger than the {limit} bytes this page accepts for it")]
    TooLarge { url: String, limit: u64 },
    #[error("{url} sent nothing for {seconds} s, so the page stopped waiting: the server stalled; try again later")]
    Stalled { url: String, seconds: u32 },
    #[error(transparent)]
    Data(#[from] DataError),
}

/// Where a file's bytes came from, for the page to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    Network,
    Cache,
}

/// Download progress of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadProgress {
    pub file: MnistFile,
    pub loaded: u64,
    pub total: Option<u64>,
    pub source: Source,
    pub done: bool,
}

/// The page's one request to the dataset worker (`web/dataset_worker.rs`): load the four
/// files under `base`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRequest {
    pub base: String,
}

/// The dataset worker's messages to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DatasetReply {
    /// The worker's wasm is running: the page posts its request now (earlier messages
    /// would be lost).
    Ready,
    Progress(DownloadProgress),
    /// The dataset loaded, checked, parsed and cached: what the page keeps of it.
    Loaded(crate::data::DataSummary),
    Failed(String),
}

pub(crate) fn js_error(value: JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// `fetch` of the window or the worker, whichever this is.
async fn fetch(url: &str) -> Result<Response, LoadError> {
    let global = js_sys::global();
    let promise = if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.fetch_with_str(url)
    } else if let Some(worker) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        worker.fetch_with_str(url)
    } else {
        return Err(LoadError::Fetch { url: url.into(), reason: "no fetch in this context".into() });
    };
    let response = within_stall_limit(promise, url).await?;
    response.dyn_into::<Response>().map_err(|_| LoadError::Fetch { url: url.into(), reason: "not a Response".into() })
}

/// How long a download may go without a byte (or the server without an answer) before the
/// page gives up on it with a message.
pub const STALL_SECONDS: u32 = 20;

/// `promise`'s value, or [`LoadError::Stalled`] when it has not settled within
/// [`STALL_SECONDS`]. A fetch resolves to a `Response` and a read to `{done, value}`, never
/// to `undefined`, which is what the timer resolves to.
async fn within_stall_limit(promise: js_sys::Promise, url: &str) -> Result<JsValue, LoadError> {
    let timer = js_sys::Promise::new(&mut |resolve, _reject| {
        let set_timeout = Reflect::get(&js_sys::global(), &JsValue::from_str("setTimeout")).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(set_timeout) = set_timeout {
            let _ = set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from(STALL_SECONDS * 1000));
        }
    });
    let first = JsFuture::from(js_sys::Promise::race(&js_sys::Array::of2(&promise, &timer))).await;
    match first {
        Ok(value) if value.is_undefined() => Err(LoadError::Stalled { url: url.into(), seconds: STALL_SECONDS }),
        Ok(value) => Ok(value),
        Err(e) => Err(LoadError::Fetch { url: url.into(), reason: js_error(e) }),
    }
}

/// The Cache Storage bucket, or `None` where the browser has none (e.g. an insecure
/// origin): the app then simply refetches.
pub(crate) async fn open_cache(name: &str) -> Option<Cache> {
    let caches = Reflect::get(&js_sys::global(), &JsValue::from_str("caches")).ok()?;
    let caches: CacheStorage = caches.dyn_into().ok()?;
    let cache = JsFuture::from(caches.open(name)).await.ok()?;
    cache.dyn_into().ok()
}

/// Absolute URL of `file` under `base` (relative bases resolve against the page).
pub fn file_url(base: &str, file_name: &str) -> String {
    let joined = format!("{}/{}", base.trim_end_matches('/'), file_name);
    let location = Reflect::get(&js_sys::global(), &JsValue::from_str("location"))
        .ok()
        .and_then(|l| Reflect::get(&l, &JsValue::from_str("href")).ok())
        .and_then(|h| h.as_string());
    match location.and_then(|href| web_sys::Url::new_with_base(&joined, &href).ok()) {
        Some(url) => url.href(),
        None => joined,
    }
}

/// The cache key of a decompressed file: it is not a URL anyone serves.
fn cache_key(gz_url: &str) -> String {
    format!("{gz_url}#decompressed")
}

pub(crate) async fn read_cached(cache: &Cache, key: &str) -> Option<Vec<u8>> {
    let hit = JsFuture::from(cache.match_with_str(key)).await.ok()?;
    let response: Response = hit.dyn_into().ok()?;
    let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
    Some(Uint8Array::new(&buffer).to_vec())
}

pub(crate) async fn write_cached(cache: &Cache, key: &str, bytes: &[u8]) {
    let array = Uint8Array::from(bytes);
    let Ok(response) = Response::new_with_opt_buffer_source(Some(&array)) else { return };
    // A full or unavailable cache only costs a refetch next time.
    let _ = JsFuture::from(cache.put_with_str(key, &response)).await;
}

/// Fetches a whole body of at most `limit` bytes, reporting bytes as they arrive. A larger
/// body (announced, or as it streams in) is refused without being held.
async fn fetch_with_progress(url: &str, limit: u64, mut on_chunk: impl FnMut(u64, Option<u64>)) -> Result<Vec<u8>, LoadError> {
    let response = fetch(url).await?;
    if !response.ok() {
        return Err(LoadError::Http { url: url.into(), status: response.status() });
    }
    let total = response.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<u64>().ok());
    if total.is_some_and(|t| t > limit) {
        return Err(LoadError::TooLarge { url: url.into(), limit });
    }
    let Some(body) = response.body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| LoadError::Fetch { url: url.into(), reason: "body has no reader".into() })?;
    let mut bytes = Vec::with_capacity(total.unwrap_or(0).min(limit) as usize);
    loop {
        let chunk = match within_stall_limit(reader.read(), url).await {
            Ok(chunk) => chunk,
            Err(e) => {
                let _ = reader.cancel();
                return Err(e);
            }
        };
        let done = Reflect::get(&chunk, &JsValue::from_str("done")).ok().and_then(|d| d.as_bool()).unwrap_or(true);
        if done {
            break;
        }
        if let Ok(value) = Reflect::get(&chunk, &JsValue::from_str("value")) {
            if let Some(array) = value.dyn_ref::<Uint8Array>() {
                if bytes.len() as u64 + u64::from(array.length()) > limit {
                    let _ = reader.cancel();
                    return Err(LoadError::TooLarge { url: url.into(), limit });
                }
                bytes.extend_from_slice(&array.to_vec());
                on_chunk(bytes.len() as u64, total);
            }
        }
    }
    Ok(bytes)
}

/// Loads one decompressed IDX file: from the cache, else fetched, checked and cached.
async fn load_file(
    cache: Option<&Cache>,
    base: &str,
    file: MnistFile,
    verify: bool,
    on_progress: &mut impl FnMut(&DownloadProgress),
) -> Result<Vec<u8>, LoadError> {
    let url = file_url(base, file.gz_name());
    let key = cache_key(&url);
    if let Some(cache) = cache {
        if let Some(raw) = read_cached(cache, &key).await {
            let n = raw.len() as u64;
            on_progress(&DownloadProgress { file, loaded: n, total: Some(n), source: Source::Cache, done: true });
            return Ok(raw);
        }
    }
    if base.starts_with(USER_DATA_PREFIX) {
        // Nothing serves an upload: only the cache had it.
        return Err(LoadError::Fetch { url, reason: "this uploaded dataset is no longer in this browser's cache; upload its four files again (Problem 1's tab)".into() });
    }
    let gz = fetch_with_progress(&url, file.max_raw_len() as u64, |loaded, total| {
        on_progress(&DownloadProgress { file, loaded, total, source: Source::Network, done: false })
    })
    .await?;
    if verify {
        mnist::verify_gz(file, &gz)?;
    }
    let raw = mnist::gunzip(file, &gz)?;
    on_progress(&DownloadProgress { file, loaded: gz.len() as u64, total: Some(gz.len() as u64), source: Source::Network, done: true });
    Ok(raw)
}

/// Loads the four files under `base` and parses them. The app's own copy is checked
/// against its committed SHA-256 sums; a dataset from another `base` is parsed strictly
/// but cannot be checksummed. Files are cached only once the whole dataset has parsed, so
/// a corrupt file is never kept.
///
/// Also returns the dataset's identity (kept with every result): the embedded copy's from
/// its checksums, another's from its files' contents.
pub async fn load_mnist(base: &str, mut on_progress: impl FnMut(&DownloadProgress)) -> Result<(Mnist, DatasetId), LoadError> {
    let cache = open_cache(CACHE_NAME).await;
    let verify = base.trim_end_matches('/') == DEFAULT_DATA_URL;
    let mut raw = Vec::with_capacity(4);
    for file in MnistFile::ALL {
        raw.push(load_file(cache.as_ref(), base, file, verify, &mut on_progress).await?);
    }
    let mnist = Mnist::from_idx_files(&raw[0], &raw[1], &raw[2], &raw[3])?;
    let id = if verify { DatasetId::embedded_mnist() } else { DatasetId::of_files(&dataset_name(base), &[&raw[0], &raw[1], &raw[2], &raw[3]]) };
    if let Some(cache) = &cache {
        for (file, bytes) in MnistFile::ALL.iter().zip(&raw) {
            write_cached(cache, &cache_key(&file_url(base, file.gz_name())), bytes).await;
        }
    }
    Ok((mnist, id))
}

/// A dataset's name for people: where it came from, or "your files" for an upload.
fn dataset_name(base: &str) -> String {
    match base.strip_prefix(USER_DATA_PREFIX) {
        Some(hash) => format!("your files ({})", hash.get(..8).unwrap_or(hash)),
        None => base.to_string(),
    }
}

/// Keeps an uploaded dataset's four decompressed files (in [`MnistFile::ALL`]'s order) in
/// the cache, and returns the base to load it from (`?data=` names it).
pub async fn keep_uploaded(raw: &[Vec<u8>; 4]) -> Result<String, String> {
    let cache = open_cache(CACHE_NAME).await.ok_or("this browser offers no Cache Storage here (private mode?), so an uploaded dataset cannot be kept")?;
    let id = DatasetId::of_files("", &[&raw[0], &raw[1], &raw[2], &raw[3]]);
    let base = format!("{USER_DATA_PREFIX}{}", id.short());
    for (file, bytes) in MnistFile::ALL.iter().zip(raw) {
        let key = cache_key(&file_url(&base, file.gz_name()));
        let array = Uint8Array::from(bytes.as_slice());
        let response = Response::new_with_opt_buffer_source(Some(&array)).map_err(js_error)?;
        JsFuture::from(cache.put_with_str(&key, &response)).await.map_err(|e| format!("the browser's storage refused the dataset: {}", js_error(e)))?;
    }
    Ok(base)
}

/// The cache key of the class names kept for the dataset at `base`.
fn class_names_key(base: &str) -> String {
    cache_key(&file_url(base, "classes.json"))
}

/// Keeps `names` for the dataset at `base` (an uploaded one's `user-data/<hash>`).
pub async fn keep_class_names(base: &str, names: &ClassNames) -> Result<(), String> {
    let cache = open_cache(CACHE_NAME).await.ok_or("this browser offers no Cache Storage here (private mode?), so the names cannot be kept")?;
    let json = serde_json::to_vec(names).map_err(|e| e.to_string())?;
    let array = Uint8Array::from(json.as_slice());
    let response = Response::new_with_opt_buffer_source(Some(&array)).map_err(js_error)?;
    JsFuture::from(cache.put_with_str(&class_names_key(base), &response)).await.map_err(|e| format!("the browser's storage refused the names: {}", js_error(e)))?;
    Ok(())
}

/// The class names kept for the dataset at `base`; the digits where none are kept or the
/// kept ones do not read back as ten checked names (an older or damaged entry).
pub async fn class_names(base: &str) -> ClassNames {
    let Some(cache) = open_cache(CACHE_NAME).await else { return ClassNames::digits() };
    let Some(bytes) = read_cached(&cache, &class_names_key(base)).await else { return ClassNames::digits() };
    serde_json::from_slice(&bytes).unwrap_or_default()
}

/// Removes every cached file (the page's "clear cache" control and tests).
pub async fn clear_cache() -> bool {
    let Some(caches) = Reflect::get(&js_sys::global(), &JsValue::from_str("caches")).ok().and_then(|c| c.dyn_into::<CacheStorage>().ok()) else {
        return false;
    };
    JsFuture::from(caches.delete(CACHE_NAME)).await.ok().and_then(|v| v.as_bool()).unwrap_or(false)
}
