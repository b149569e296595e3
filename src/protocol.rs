//! Messages between the page and the training worker. Both sides are Rust; each message
//! crosses `postMessage` as a JS object made by serde (serde-wasm-bindgen).

use serde::{Deserialize, Serialize};

use crate::experiment::{BackendChoice, EpochMetrics, RunConfig, RunResult};

/// Page -> worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WorkerInput {
    /// Train. The worker loads the dataset itself (from the browser cache the page filled,
    /// else from `data_url`), so no 50 MB array crosses the message channel.
    Start { config: RunConfig, backend: BackendChoice, data_url: String },
    /// Stop after the current step; what finished is kept and reported.
    Cancel,
}

/// Worker -> page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WorkerOutput {
    /// The worker's wasm has loaded; messages sent before this would have been lost.
    Ready,
    /// A phase the page should name (loading data, initialising the GPU, compiling kernels).
    Status(String),
    /// The backend chosen, and why, if it is not the one asked for.
    Backend { name: String, fallback_reason: Option<String> },
    /// Progress within an epoch; `loss` and `accuracy` are the running averages so far.
    Progress { epoch: usize, step: usize, steps: usize, loss: f64, accuracy: f64, elapsed_seconds: f64 },
    EpochEnd(EpochMetrics),
    Done(RunResult),
    /// Cancelled by the page after `completed` epochs.
    Cancelled { completed: usize },
    Error(String),
}
