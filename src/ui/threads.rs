//! How many threads a CPU run gets in this page: the threaded worker needs a cross-origin
//! isolated page (SharedArrayBuffer) and more than one core; otherwise the single-thread
//! worker trains, and the page says why.

use std::cell::RefCell;

/// Most threads the page asks for (the pool's workers each hold a copy of the module).
pub const MAX_THREADS: usize = crate::experiment::config::MAX_THREADS;

thread_local! {
    /// Why the threaded worker failed to start in this page, if it did: later runs use the
    /// single-thread one.
    pub(super) static THREADS_BROKEN: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// How many threads a CPU run gets in this page: `Ok(n)` with `n >= 2` where the threaded
/// worker can run (the page is cross-origin isolated, SharedArrayBuffer exists, more than
/// one core), else `Err(why one thread)`. `wanted`: the `threads=` key, else the cores.
pub fn cpu_threads(wanted: Option<usize>) -> Result<usize, String> {
    let window = web_sys::window().ok_or("no window")?;
    let isolated = js_sys::Reflect::get(&window, &"crossOriginIsolated".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false);
    if !isolated {
        return Err("the page is not cross-origin isolated".into());
    }
    let shared = js_sys::Reflect::get(&js_sys::global(), &"SharedArrayBuffer".into()).ok().is_some_and(|v| v.is_function());
    if !shared {
        return Err("this browser has no SharedArrayBuffer".into());
    }
    if let Some(why) = THREADS_BROKEN.with(|b| b.borrow().clone()) {
        return Err(why);
    }
    let threads = wanted.unwrap_or_else(|| window.navigator().hardware_concurrency() as usize).clamp(1, MAX_THREADS);
    if threads < 2 {
        return Err(if wanted.is_some() { "threads=1 asks for one".into() } else { "the browser reports one core".into() });
    }
    Ok(threads)
}

/// Whether the page's browser exposes WebGPU at all (the worker may still fall back).
pub fn page_has_webgpu() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w.navigator(), &"gpu".into()).ok())
        .is_some_and(|gpu| !gpu.is_undefined() && !gpu.is_null())
}

