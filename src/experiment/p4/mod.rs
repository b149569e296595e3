//! Problem 4: salt-and-pepper noise, the denoising autoencoder, and what the seed does with
//! it — the 4B grid of noised and denoised digits, the 4C accuracy of P3's CNN on noised vs
//! denoised test digits across noise levels, and 4D digits generated from the latent space.
//!
//! Results are plain data (the page draws them without burn); running needs `ml`. A run
//! leaves a [`P4Session`] behind (the trained autoencoder, the CNN, the fitted latent
//! distribution), so the page can re-noise other digits and sample or interpolate new
//! ones without training again.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::RunConfig;
use crate::model::ModelSummary;

/// Training digits of the seed's 4B grid (`flattened_x_train[1..=4]`).
pub const SEED_GRID_DIGITS: [usize; 4] = [1, 2, 3, 4];
/// How many digits 4D samples from the latent distribution.
pub const SAMPLES: usize = 32;
/// Steps of a 4D interpolation, both ends included.
pub const INTERPOLATION_STEPS: usize = 10;
/// The default 4D interpolation: training digit 1 (a 0) to training digit 3 (a 1).
pub const DEFAULT_INTERPOLATION: (usize, usize) = (1, 3);

/// The CNN that P4 trains first when it is not given one: P3's network and optimizer with
/// P4's seed and data sizes, for `cnn_epochs` epochs (default: the seed's P3, 40). The CLI
/// and the page both call this, so they train the same CNN.
pub fn cnn_stage_config(config: &RunConfig, cnn_epochs: Option<usize>) -> RunConfig {
    let p3 = RunConfig::p3();
    let epochs = cnn_epochs.unwrap_or(p3.schedule.epochs);
    RunConfig { data: config.data, ..p3 }.with_epochs(epochs).with_seed(config.schedule.seed)
}

/// The autoencoder's losses in one epoch (Keras' `loss` and `val_loss`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossEpoch {
    pub epoch: usize,
    pub loss: f64,
    pub val_loss: f64,
    pub seconds: f64,
}

impl LossEpoch {
    /// As a classifier's epoch, for the shared log and charts: no accuracy (NaN).
    pub fn as_epoch_metrics(&self) -> crate::experiment::EpochMetrics {
        crate::experiment::EpochMetrics { epoch: self.epoch, loss: self.loss, accuracy: f64::NAN, val_loss: self.val_loss, val_accuracy: f64::NAN, seconds: self.seconds }
    }
}

/// 4B: digits, each noised at every level and denoised by the autoencoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseGrid {
    /// Indices in the training set.
    pub digits: Vec<usize>,
    pub labels: Vec<u8>,
    pub levels: Vec<f64>,
    /// `noisy[digit][level]`: 784 pixels (0..=255). Byte buffers (as every pixel array of the
    /// protocol) so that each crosses to the page as one `Uint8Array`: serde-wasm-bindgen
    /// makes a JS array of numbers from a plain `Vec<u8>`, one value at a time, which took
    /// the worker ~0.3 ms per pixel (20 s for this grid) in Chromium.
    pub noisy: Vec<Vec<ByteBuf>>,
    /// `denoised[digit][level]`: the autoencoder's output for `noisy[digit][level]`.
    pub denoised: Vec<Vec<ByteBuf>>,
}

/// 4C: the CNN's test accuracy at one noise level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DenoiseRow {
    pub level: f64,
    /// On the noised test digits (the seed's "seasoned score").
    pub noisy_accuracy: f64,
    /// On the autoencoder's reconstructions of them (the seed's "denoised score").
    pub denoised_accuracy: f64,
}

/// The first noise level at which denoising helps the CNN, interpolated linearly between
/// the two levels where the difference changes sign; `None` if it never does.
pub fn crossing_level(rows: &[DenoiseRow]) -> Option<f64> {
    let gain = |r: &DenoiseRow| r.denoised_accuracy - r.noisy_accuracy;
    if let Some(first) = rows.first() {
        if gain(first) >= 0.0 {
            return Some(first.level);
        }
    }
    rows.windows(2).find(|w| gain(&w[0]) < 0.0 && gain(&w[1]) >= 0.0).map(|w| {
        let (g0, g1) = (gain(&w[0]), gain(&w[1]));
        w[0].level + (w[1].level - w[0].level) * (-g0) / (g1 - g0)
    })
}

/// A digit decoded from a latent code, with what the CNN reads in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedDigit {
    #[serde(with = "serde_bytes")]
    pub pixels: Vec<u8>,
    /// The CNN's prediction and its softmax probability (`None` without a CNN).
    pub label: Option<u8>,
    pub confidence: Option<f64>,
}

/// How a set of 4D digits was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Generation {
    /// Codes drawn from a Gaussian fitted (mean and full covariance) to the encoded
    /// training digits, clipped at 0 like the ReLU codes they imitate.
    Sampled { seed: u64 },
    /// Codes on the straight line between the codes of two training digits.
    Interpolated { from: usize, to: usize, from_label: u8, to_label: u8 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generated {
    pub how: Generation,
    pub digits: Vec<GeneratedDigit>,
}

/// A finished P4 run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct P4Result {
    pub config: RunConfig,
    pub backend: String,
    pub model: ModelSummary,
    pub history: Vec<LossEpoch>,
    /// The last epoch's validation loss (noised test digits against the clean ones).
    pub val_loss: f64,
    /// Seconds of training and validation.
    pub seconds: f64,
    pub grid: NoiseGrid,
    /// Where the CNN of 4C and 4D came from; `None` if the run had none.
    pub cnn: Option<String>,
    /// 4C, one row per noise level (empty without a CNN).
    pub denoising: Vec<DenoiseRow>,
    pub sampled: Generated,
    pub interpolated: Generated,
}

#[cfg(feature = "ml")]
pub use session::{CnnInput, P4Session, export_autoencoder, run_p4, run_p4_from, run_p4_pipeline};

#[cfg(feature = "ml")]
mod latent;
#[cfg(feature = "ml")]
mod session;
#[cfg(test)]
mod tests;
