//! The threaded CPU worker: the training worker with burn's CPU backend on a rayon pool of
//! Web Workers sharing its memory. Built by `.ci/build-threads` (nightly, build-std,
//! `+atomics,+bulk-memory`) for wasm-bindgen's `web` target, and started by
//! `web/worker_mt_loader.js` only in a cross-origin isolated page.
//!
//! Nothing runs at instantiation: every thread of the pool instantiates this module too, so
//! the loader calls [`init_threads`] and then [`start_worker`] on the worker's own thread.
use wasm_bindgen::prelude::wasm_bindgen;

fn main() {}

/// Trains on a pool of `threads` threads (a promise that settles when they are ready); this
/// worker's own thread runs its event loop and waits while the pool runs a step
/// (`train::parallel`).
#[wasm_bindgen]
pub fn init_threads(threads: usize) -> js_sys::Promise {
    let threads = threads.max(1);
    mnist_lab::train::parallel::set_threads(threads);
    wasm_bindgen_rayon::init_thread_pool(threads)
}

/// Makes each thread of the pool tell the page (as pool `pool`, the page's `&pool=`) if it
/// crashes (after [`init_threads`]; see `worker::pool_guard`).
#[wasm_bindgen]
pub fn guard_pool(pool: u32) {
    mnist_lab::worker::pool_guard::guard(pool);
}

/// Crashes one thread of the pool, as a panic in a kernel or an allocation that fails would.
/// It exists for the end-to-end test of `worker::pool_guard`, which calls it from the
/// worker's own scope: nothing the page receives (links, files, messages) reaches it.
#[wasm_bindgen]
pub fn crash_one_pool_thread() {
    rayon::spawn(|| panic!("one of the pool's threads was crashed on purpose (crash_one_pool_thread)"));
}

/// Runs the worker's message loop (after [`init_threads`]).
#[wasm_bindgen]
pub fn start_worker() {
    mnist_lab::worker::start();
}
