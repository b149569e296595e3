//! Messages between the page and the training worker. Both sides are Rust; each message
//! crosses `postMessage` as a JS object made by serde (serde-wasm-bindgen).

use serde::{Deserialize, Serialize};

use crate::experiment::p4::{Generated, NoiseGrid, P4Result};
use crate::experiment::result::{Checkpoint, Insight, StepProgress};
use crate::experiment::probe::ProbeOutcome;
use crate::experiment::{BackendChoice, EpochMetrics, RunConfig, RunResult};

/// The protocol's version: the worker says it in `Ready`, and a page that speaks another
/// (a cached worker file from an older deploy) refuses it with a message instead of
/// misreading its messages. Bump it with any change to these types.
pub const PROTOCOL_VERSION: u32 = 8;

/// Page -> worker: one request, numbered by the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    pub input: WorkerInput,
}

/// Worker -> page: a message about request `id` (`None`: about no request, as `Ready`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub id: Option<u64>,
    pub output: WorkerOutput,
}

/// Page -> worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WorkerInput {
    /// Train. The worker loads the dataset itself (from the browser cache the page filled,
    /// else from `data_url`), so no 50 MB array crosses the message channel. P3 keeps its
    /// trained CNN in the browser; P4 uses the kept CNN for 4C and 4D.
    /// P4 only: `cnn` says to train P3's CNN first, in the same run (else P4 uses the CNN
    /// kept in the browser, or runs without 4C when none is).
    ///
    /// P3 keeps its trained CNN when none is kept, or when `replace_kept_cnn` (the whole
    /// report, whose P4 uses it); otherwise the worker holds it and asks (`CnnHeld`).
    Start {
        config: RunConfig,
        backend: BackendChoice,
        data_url: String,
        #[serde(default)]
        cnn: Option<CnnStage>,
        #[serde(default)]
        replace_kept_cnn: bool,
        /// P2, P3: go on from this checkpoint (the end of an earlier epoch of this run).
        #[serde(default)]
        resume: Option<Checkpoint>,
    },
    /// `auto`'s measurement: a few training steps of `config`'s model on `backend` (`Cpu` or
    /// `Webgpu`), answered by `Probed`. Trains nothing that is kept.
    Probe { config: RunConfig, backend: BackendChoice, data_url: String },
    /// Keep the CNN this worker holds after `CnnHeld`, in place of the kept one.
    KeepHeldCnn,
    /// Stop after the current step; what finished is kept and reported.
    Cancel,
    /// Hold the run after the current step: the worker waits (no CPU) until `Resume` or
    /// `Cancel`. A resumed run ends exactly as an uninterrupted one.
    Pause,
    Resume,
    /// 4B again for other training digits or another noise draw (after a P4 run).
    NoiseGrid { digits: Vec<usize>, seed: u64 },
    /// 4D: decode `count` codes sampled from the latent distribution (after a P4 run).
    Sample { count: usize, seed: u64 },
    /// 4D: decode `steps` codes between those of training digits `from` and `to`.
    Interpolate { from: usize, to: usize, steps: usize },
    /// The playground: load these trained classifiers, in this order: `models`, the CNN kept
    /// in the browser if `kept_cnn`, then `uploaded`; replacing the worker's earlier ones.
    /// Answered by `ReadersLoaded`.
    /// `denoiser`: P4's autoencoder, for `Denoise` (on the CPU backend). `backend`: where the
    /// classifiers read: WebGPU only once it reads the probe digits as the CPU backend does
    /// (`experiment::reader::max_difference`), and for `auto` only where it is faster.
    LoadReaders { models: Vec<NamedWeights>, kept_cnn: bool, uploaded: Vec<NamedWeights>, denoiser: Option<NamedWeights>, backend: BackendChoice },
    /// The playground: every loaded classifier reads this 28×28 digit (0..=255, as MNIST's
    /// preprocessing makes a drawing); answered by `Read`.
    ReadDigit {
        #[serde(with = "serde_bytes")]
        pixels: Vec<u8>,
    },
    /// The playground: the digit noised at `level` (salt and pepper, drawn from `seed`) and
    /// denoised by the loaded autoencoder; answered by `Denoised`.
    Denoise {
        #[serde(with = "serde_bytes")]
        pixels: Vec<u8>,
        level: f64,
        seed: u64,
    },
    /// The playground: what the first loaded CNN looks at in this digit; answered by
    /// `Insight`.
    LookInside {
        #[serde(with = "serde_bytes")]
        pixels: Vec<u8>,
    },
}

/// A trained classifier's weights file, named as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedWeights {
    pub name: String,
    #[serde(with = "serde_bytes")]
    pub weights: Vec<u8>,
}

/// A classifier the playground's worker has loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReaderInfo {
    pub name: String,
    /// How it was trained (from its file's header).
    pub description: String,
    /// A CNN: `LookInside` shows its saliency and feature maps.
    pub looks_inside: bool,
}

/// A drawing noised and denoised, with the first CNN's reading of each (if one is loaded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DenoisedDrawing {
    pub level: f64,
    #[serde(with = "serde_bytes")]
    pub noised: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub denoised: Vec<u8>,
    pub noised_reading: Option<Reading>,
    pub denoised_reading: Option<Reading>,
}

/// One classifier's reading of a digit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub name: String,
    /// Softmax probabilities of the classes 0..=9.
    pub probabilities: Vec<f32>,
    /// Milliseconds this classifier took, in the worker (input to probabilities read back).
    pub ms: f64,
}

/// P4's first stage: the CNN it trains for 4C and 4D when the visitor chose not to use a
/// kept one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CnnStage {
    pub config: RunConfig,
    /// Keep the trained CNN in the browser (replacing a kept one) once it is trained.
    pub keep: bool,
}

/// Worker -> page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WorkerOutput {
    /// The worker's wasm has loaded (messages sent before this would have been lost), and
    /// speaks protocol version `protocol`.
    Ready { protocol: u32 },
    /// A phase the page should name (loading data, initialising the GPU, compiling kernels).
    Status(String),
    /// A run of several networks (P4 with its CNN) begins network `index` (0-based) of
    /// `count`, trained with `config`; what follows (progress, epochs) is that network's.
    Stage { index: usize, count: usize, name: String, config: RunConfig },
    /// The run is held after a `Pause` (`true`) or goes on after a `Resume` (`false`).
    Paused(bool),
    /// The backend chosen, and why, if it is not the one asked for; `threads`: the CPU
    /// backend's threads (the threaded worker's pool, else 1).
    Backend { name: String, fallback_reason: Option<String>, threads: usize },
    /// A `Probe`'s outcome on the backend named `name` ("cpu (2 threads)", "webgpu (…)").
    Probed { name: String, outcome: ProbeOutcome },
    /// Progress within an epoch (running averages so far).
    Progress(StepProgress),
    /// The end-of-epoch validation has gone through `done` of `total` test images.
    Validating { epoch: usize, done: usize, total: usize },
    EpochEnd(EpochMetrics),
    /// P2, P3: the run's state at the end of an epoch (not the last), to resume from after
    /// a reload or a crash.
    Checkpoint(Checkpoint),
    /// The run's result; P2 and P2D also send the trained MLP as a weights file, kept with
    /// the result (P3's CNN is kept by the worker, see `ModelStored`).
    Done {
        result: RunResult,
        #[serde(default)]
        weights: Option<serde_bytes::ByteBuf>,
    },
    /// P3's CNN was kept in the browser (`description` says how it was trained), or could
    /// not be (`stored: false`, `description` says why; the run's results are unaffected).
    ModelStored { stored: bool, description: String },
    /// P3's trained CNN was not kept, because another is (`kept` describes it); the worker
    /// holds it (`description`) until `KeepHeldCnn` or its next run.
    CnnHeld { description: String, kept: String },
    /// P4's result and its trained autoencoder (a weights file, kept with the result).
    P4Done {
        result: Box<P4Result>,
        #[serde(default)]
        weights: Option<serde_bytes::ByteBuf>,
    },
    NoiseGrid(NoiseGrid),
    Generated(Generated),
    /// A `NoiseGrid`, `Sample` or `Interpolate` request could not be served; the run and
    /// its results are unaffected.
    RequestFailed(String),
    /// The playground's classifiers are loaded (`failed`: those that could not be, and why).
    /// `backend`: where they read (`cpu`, `webgpu (…)`); `note`: why, where it is not the
    /// one asked for, or what `auto` measured.
    ReadersLoaded { loaded: Vec<ReaderInfo>, denoiser: Option<ReaderInfo>, failed: Vec<String>, backend: String, note: Option<String> },
    /// The answer to `Denoise`.
    Denoised(Box<DenoisedDrawing>),
    /// The loaded classifiers' readings of a `ReadDigit`, in load order.
    Read(Vec<Reading>),
    /// The run failed because the worker's WebGPU device was lost (the message says so and
    /// what to do). The page replaces this worker: burn cannot set WebGPU up twice in one.
    DeviceLost(String),
    /// The answer to `LookInside` (`None`: no CNN is loaded).
    Insight(Option<Insight>),
    /// Cancelled by the page after `completed` epochs.
    Cancelled { completed: usize },
    Error(String),
}

/// The `BroadcastChannel` on which a thread of the threaded worker's CPU pool tells the page
/// that it crashed (`worker::pool_guard`). The pool's threads are Web Workers that the
/// training worker started, so they have no port to the page; a channel needs none.
pub const POOL_CRASH_CHANNEL: &str = "mnist-lab-pool-crash";

/// Pool thread -> page, on [`POOL_CRASH_CHANNEL`]: the thread of pool `pool` (the id the page
/// gave the worker in its URL, `&pool=`) crashed, and why. Written by hand in
/// `worker::pool_guard`'s JS (it runs after the thread's wasm has trapped): keep the two alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolThreadCrash {
    pub pool: u32,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `worker::pool_guard`'s JS writes `{ pool, message }` by hand; the page reads it as this.
    #[test]
    fn a_pool_crash_as_the_pool_threads_js_writes_it() {
        let crash: PoolThreadCrash = serde_json::from_str(r#"{"pool": 4294967294, "message": "panicked at src/x.rs:1:1"}"#).expect("decodes");
        assert_eq!(crash, PoolThreadCrash { pool: u32::MAX - 1, message: "panicked at src/x.rs:1:1".into() });
        // Another page's message on the same channel is not one.
        assert!(serde_json::from_str::<PoolThreadCrash>(r#"{"kind": "other"}"#).is_err());
    }
}
