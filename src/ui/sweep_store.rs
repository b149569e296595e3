//! P2D's finished networks, kept in the browser's `localStorage` (a few KB each), so a
//! reload shows them at once and a sweep resumes with the first unfinished network.
//!
//! One entry per network, keyed by everything that defines it: epochs, batch size, learning
//! rate, the sweep's seed, training images, the L2 factor, the network's own (derived) seed,
//! and the dataset's URL when it is not the embedded copy. The value is the network's
//! [`RunResult`] as JSON; an entry whose config is not exactly the network's is ignored.
//!
//! Storage can be missing (disabled, sandboxed frame) or full: every call here degrades to
//! "not stored" and says so, never panics (gloo-storage's calls are only made once
//! `localStorage` is known to exist).

use gloo_storage::{LocalStorage as BrowserStorage, Storage};

use crate::experiment::{RunConfig, RunResult};

/// Every key of this page's P2D entries starts with this (the version names the format).
pub const PREFIX: &str = "mnist-lab/p2d/v1/";

/// The storage key of one network of a sweep.
/// `sweep_seed` is the seed the URL gives; `network.seed` is the one derived from it.
pub fn key(network: &RunConfig, sweep_seed: u64, data: Option<&str>) -> String {
    let mut key = format!(
        "{PREFIX}epochs={}&batch_size={}&lr={}&seed={}&train_size={}&l2={:e}&network_seed={}",
        network.epochs, network.batch_size, network.lr, sweep_seed, network.train_size, network.l2, network.seed
    );
    if let Some(data) = data {
        key.push_str("&data=");
        key.push_str(data);
    }
    key
}

/// `localStorage`, if the browser gives this page one.
fn raw() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Whether results can be stored at all.
pub fn available() -> bool {
    raw().is_some()
}

/// The stored result of `network`, if there is one for exactly this config.
pub fn load(key: &str, network: &RunConfig) -> Option<RunResult> {
    raw()?;
    match BrowserStorage::get::<RunResult>(key) {
        Ok(result) if result.config == *network && !result.history.is_empty() => Some(result),
        Ok(_) => None,
        Err(gloo_storage::errors::StorageError::KeyNotFound(_)) => None,
        Err(e) => {
            web_sys::console::warn_1(&format!("ignoring an unreadable stored P2D network ({key}): {e}").into());
            None
        }
    }
}

/// Stores a finished network; `Err` says why it could not be (the page keeps it in memory).
pub fn save(key: &str, result: &RunResult) -> Result<(), String> {
    if raw().is_none() {
        return Err("this browser gives the page no localStorage".into());
    }
    BrowserStorage::set(key, result).map_err(|e| format!("cannot store the network in localStorage: {e}"))
}

/// Every stored P2D key of this page.
fn stored_keys(storage: &web_sys::Storage) -> Vec<String> {
    let length = storage.length().unwrap_or(0);
    (0..length)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(PREFIX))
        .collect()
}

/// How many P2D networks this browser holds (all setups).
pub fn count() -> usize {
    raw().map_or(0, |s| stored_keys(&s).len())
}

/// Forgets every stored P2D network (all setups); returns how many were removed.
pub fn forget_all() -> usize {
    let Some(storage) = raw() else { return 0 };
    let keys = stored_keys(&storage);
    keys.iter().filter(|k| storage.remove_item(k).is_ok()).count()
}
