//! What a run is asked to do, and how a page URL says it.
//!
//! The query contract (`?experiment=p2&epochs=1&batch_size=128&lr=0.1&seed=1&train_size=6000
//! &backend=auto&autostart=1&data=<base url>`) is parsed here, natively testable: every
//! unknown key or out-of-range value is reported, never silently replaced by a default.

use serde::{Deserialize, Serialize};


/// The experiments of the assignment that this build can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExperimentId {
    /// P2: the MLP 784-64-64-10.
    P2,
    /// P2D: the MLP 784-500-300-10 with Keras' `l2(f)` on its hidden kernels; one
    /// `RunConfig` is one network of the sweep (see [`super::p2d`]).
    P2d,
    /// P3: the CNN (2 conv + 2 pool + 200 + 128 + dropout + 10).
    P3,
    /// P4: the denoising autoencoder 784-128-96-128-784 (and, for 4C/4D, P3's CNN).
    P4,
}

impl ExperimentId {
    /// Every experiment, in the assignment's order.
    pub const ALL: [ExperimentId; 4] = [Self::P2, Self::P2d, Self::P3, Self::P4];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::P2 => "p2",
            Self::P2d => "p2d",
            Self::P3 => "p3",
            Self::P4 => "p4",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "p2" => Some(Self::P2),
            "p2d" => Some(Self::P2d),
            "p3" => Some(Self::P3),
            "p4" => Some(Self::P4),
            _ => None,
        }
    }
}

/// Which burn backend trains the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// WebGPU when the browser offers an adapter, else the CPU backend.
    #[default]
    Auto,
    Webgpu,
    Cpu,
}

impl BackendChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Webgpu => "webgpu",
            Self::Cpu => "cpu",
        }
    }
}

mod page_query;
mod run_config;
#[cfg(test)]
mod tests;

pub use page_query::{PageQuery, ParamError};
pub use run_config::{AdamConfig, DataConfig, ModelConfig, OptimizerConfig, RunConfig, ScheduleConfig, SgdConfig};

pub const TRAIN_IMAGES: usize = 60_000;
/// The most any batch may ask for its activations: a browser tab's wasm memory and its GPU
/// buffers are both a few hundred MB to a few GB, and a larger ask fails late (an
/// out-of-memory trap, a lost device) instead of being refused with a reason.
pub const ACTIVATION_BUDGET: usize = 512 << 20;
/// The largest batch any model takes, whatever its activations.
pub const MAX_BATCH_SIZE: usize = 8192;

/// The largest batch `experiment`'s model trains within [`ACTIVATION_BUDGET`], derived
/// from its layers' activations (P3's CNN: 973; the MLPs and the autoencoder: 8192).
pub fn max_batch_size(experiment: ExperimentId) -> usize {
    let per_example = crate::model::summary::for_experiment(experiment).training_bytes_per_example().max(1);
    (ACTIVATION_BUDGET / per_example).clamp(1, MAX_BATCH_SIZE)
}
/// Most threads the page gives the CPU backend (`threads=`).
pub const MAX_THREADS: usize = 16;
/// Most P2D networks trained at once, one worker each.
pub const MAX_SWEEP_WORKERS: usize = 4;
pub const TEST_IMAGES: usize = 10_000;

/// Largest seed a JavaScript number holds exactly (2^53 - 1): seeds travel through worker
/// messages, JSON and URLs.
pub const MAX_SEED: u64 = (1 << 53) - 1;

