//! A crashed thread of the threaded worker's CPU pool, told to the page.
//!
//! Why this exists: the pool's threads are Web Workers that the training worker started
//! (wasm-bindgen-rayon). When one traps (a panic, which aborts in wasm; an allocation that
//! fails), its error event goes to the training worker, and that worker is blocked in
//! `Atomics.wait` for the job the dead thread held: the run would hang with nothing said. So
//! every pool thread tells the page itself, on a `BroadcastChannel` (it has no port to the
//! page), and the page ends the worker as crashed; its run is offered to resume.
//!
//! What a thread says is sent by a few lines of JS, not by Rust: after a trap, the thread's
//! wasm may hold the allocator's lock or have no stack left. A panic's text (the panic hook
//! runs before the trap) goes through that JS first, so the page gets it rather than
//! "unreachable".

use std::sync::atomic::{AtomicU32, Ordering};

use wasm_bindgen::prelude::wasm_bindgen;

use crate::protocol::POOL_CRASH_CHANNEL;

#[wasm_bindgen(inline_js = r#"
let channel = null, pool = 0, told = false;
// Posts the one `protocol::PoolThreadCrash` of this thread (the first reason wins).
export function tell_page(message) {
  if (told || channel === null) return;
  told = true;
  channel.postMessage({ pool, message: String(message) });
}
// A trap ends wasm-bindgen-rayon's start of this thread as a rejected promise; an error
// thrown elsewhere on the thread as an error event.
export function listen(name, id) {
  channel = new BroadcastChannel(name);
  pool = id;
  self.addEventListener('unhandledrejection', (e) => tell_page(e.reason));
  self.addEventListener('error', (e) => tell_page(e.error ?? e.message));
}
"#)]
extern "C" {
    fn listen(name: &str, pool: u32);
    fn tell_page(message: &str);
}

/// The id the page gave this worker's pool; 0 until [`guard`] has run.
static POOL: AtomicU32 = AtomicU32::new(0);

/// Makes every thread of the (already started) global pool tell the page, as pool `pool`,
/// if it crashes. Called once on the training worker's thread, which waits meanwhile.
pub fn guard(pool: u32) {
    POOL.store(pool, Ordering::Relaxed);
    rayon::broadcast(|_| listen(POOL_CRASH_CHANNEL, pool));
}

/// From the panic hook: on a guarded pool thread, tells the page the panic's text (the thread
/// traps right after the hook, and its JS listener then stays quiet) and says `true`;
/// elsewhere `false`.
pub fn panicked_on_pool_thread(text: &str) -> bool {
    if rayon::current_thread_index().is_none() || POOL.load(Ordering::Relaxed) == 0 {
        return false;
    }
    tell_page(text);
    true
}
