//! mnist-lab: the MNIST assignment as an in-browser deep-learning lab.
//!
//! - [`data`], [`model`], [`train`], [`experiment`]: the ML core. It knows nothing of the
//!   browser and is tested natively on burn's CPU backend.
//! - [`protocol`]: the typed messages between the page and the training worker.
//! - `web` (feature `web`): browser edges shared by the page and the worker (dataset fetch
//!   and cache).
//! - `worker` (features `worker`, and `worker-threads` for the threaded CPU worker) and `ui`
//!   (feature `ui`): the thin wasm binaries' code.
#[cfg(feature = "ml")]
pub use burn;

pub mod data;
pub mod experiment;
pub mod model;
pub mod protocol;
#[cfg(feature = "ml")]
pub mod train;

#[cfg(feature = "web")]
pub mod web;
#[cfg(any(feature = "worker", feature = "worker-threads"))]
pub mod worker;
#[cfg(feature = "ui")]
pub mod ui;
