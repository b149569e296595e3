//! What a run produces: per-epoch history and final figures, the same struct for the page,
//! the worker and the native runner's JSON.

use serde::{Deserialize, Serialize};

use super::config::RunConfig;
use crate::model::ModelSummary;

/// Progress inside an epoch: running averages over the steps done so far. Declared once:
/// the training loop reports it, the worker posts it, the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepProgress {
    pub epoch: usize,
    pub step: usize,
    pub steps: usize,
    pub loss: f64,
    /// `None` for a model without classes (P4's autoencoder).
    pub accuracy: Option<f64>,
    /// Seconds since the epoch began.
    pub elapsed_seconds: f64,
}

/// An `f64` where NaN means "none": JSON has no NaN (serde_json would write `null` and then
/// refuse to read it back), so NaN is written as `null` and `null` read as NaN.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if value.is_nan() { serializer.serialize_none() } else { serializer.serialize_f64(*value) }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
    }
}

/// One epoch's figures, as Keras reports them: training loss and accuracy are averages over
/// the epoch's batches (weighted by batch size), validation figures are over the test set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based, as Keras prints it.
    pub epoch: usize,
    pub loss: f64,
    /// NaN for a model without accuracy (P4's autoencoder), `null` in JSON.
    #[serde(with = "nan_as_null")]
    pub accuracy: f64,
    pub val_loss: f64,
    #[serde(with = "nan_as_null")]
    pub val_accuracy: f64,
    /// Wall-clock seconds of the epoch, training and validation.
    pub seconds: f64,
}

impl EpochMetrics {
    /// The two lines Keras' `fit(verbose=1)` prints at the end of an epoch (losses only for
    /// a model without accuracy, P4's autoencoder, whose accuracies are NaN).
    pub fn keras_lines(&self, epochs: usize, steps: usize) -> String {
        let ms_per_step = if steps > 0 { 1000.0 * self.seconds / steps as f64 } else { 0.0 };
        if self.accuracy.is_nan() {
            return format!(
                "Epoch {}/{}\n{steps}/{steps} [==============================] - {:.0}s {:.0}ms/step - loss: {:.4} - val_loss: {:.4}",
                self.epoch, epochs, self.seconds, ms_per_step, self.loss, self.val_loss
            );
        }
        format!(
            "Epoch {}/{}\n{steps}/{steps} [==============================] - {:.0}s {:.0}ms/step - loss: {:.4} - accuracy: {:.4} - val_loss: {:.4} - val_accuracy: {:.4}",
            self.epoch, epochs, self.seconds, ms_per_step, self.loss, self.accuracy, self.val_loss, self.val_accuracy
        )
    }
}

/// A finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub config: RunConfig,
    /// The backend that trained it, e.g. `cpu (flex)` or `webgpu (swiftshader)`.
    pub backend: String,
    pub model: ModelSummary,
    pub history: Vec<EpochMetrics>,
    /// `model.evaluate(x_test, y_test)` after training.
    pub test_loss: f64,
    pub test_accuracy: f64,
    /// Wall-clock seconds of the whole run (training and validation).
    pub seconds: f64,
    /// What the trained model does on the test set (confusion matrix, mistakes, filters).
    #[serde(default)]
    pub analysis: Option<Analysis>,
}

/// A run's state at the end of an epoch, enough to go on from there: the weights, the
/// optimizer's state where it has one (P4's Adam moments; P2's and P3's plain SGD keeps
/// none), and the history; the shuffles and the dropout stream are replayed from the seed.
/// A resumed run ends exactly as an uninterrupted one on the CPU backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub config: RunConfig,
    /// The finished epochs, 1..=k.
    pub history: Vec<EpochMetrics>,
    /// The weights after epoch k (a safetensors file, as `model::weights` writes).
    #[serde(with = "serde_bytes")]
    pub weights: Vec<u8>,
    /// The optimizer's state after epoch k (burn's `OptimizerRecord` as burnpack bytes),
    /// keyed by the parameter ids the weights file keeps.
    #[serde(default, with = "serde_bytes")]
    pub optimizer: Option<Vec<u8>>,
}

impl Checkpoint {
    /// Whether this checkpoint can resume `config`: the same run, not finished.
    pub fn resumes(&self, config: &RunConfig) -> bool {
        self.config == *config && !self.history.is_empty() && self.history.len() < config.schedule.epochs
    }
}

/// What a CNN looks at in one digit (the playground's "look inside").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Insight {
    /// The class it reads.
    pub class: u8,
    /// Occlusion saliency, 784 values (0..=255): how much hiding each 4×4 block lowers the
    /// probability of `class`, scaled so the most important block is 255.
    #[serde(with = "serde_bytes")]
    pub saliency: Vec<u8>,
    /// The first layer's 32 feature maps, 26×26 each, row-major (0..=255, one scale for
    /// all maps so they compare).
    #[serde(with = "serde_bytes")]
    pub maps: Vec<u8>,
}

impl Insight {
    /// Occluded blocks' side, in pixels (they tile the 28×28 field).
    pub const BLOCK: usize = 4;
    pub const MAPS: usize = 32;
    pub const MAP_SIDE: usize = 26;
}

/// A test digit the model got wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mistake {
    /// Index in the test set.
    pub index: usize,
    pub label: u8,
    pub predicted: u8,
    /// The digit's 784 pixels, so the page can draw it without the dataset.
    #[serde(with = "serde_bytes")]
    pub pixels: Vec<u8>,
}

/// The trained model on the test set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// `confusion[true][predicted]` counts over the test set.
    pub confusion: Vec<Vec<u32>>,
    /// The first misclassified test digits (at most [`Analysis::MISTAKES_KEPT`]).
    pub mistakes: Vec<Mistake>,
    /// First-layer convolution kernels, `[filters][3 * 3]`, for models that have them.
    pub filters: Vec<Vec<f32>>,
}

impl Analysis {
    pub const MISTAKES_KEPT: usize = 36;

    /// From the model's predictions on `test` (one per test digit).
    pub fn from_predictions(predictions: &[u8], test: &crate::data::MnistSplit, filters: Vec<Vec<f32>>) -> Self {
        let mut confusion = vec![vec![0u32; crate::data::CLASSES]; crate::data::CLASSES];
        let mut mistakes = Vec::new();
        for (index, (&predicted, &label)) in predictions.iter().zip(&test.labels).enumerate() {
            confusion[label as usize][predicted as usize] += 1;
            if predicted != label && mistakes.len() < Self::MISTAKES_KEPT {
                mistakes.push(Mistake { index, label, predicted, pixels: test.image(index).to_vec() });
            }
        }
        Self { confusion, mistakes, filters }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_counts_and_mistakes() {
        let test = crate::data::MnistSplit { images: vec![0; 4 * 784], labels: vec![1, 2, 3, 3] };
        let analysis = Analysis::from_predictions(&[1, 7, 3, 5], &test, vec![]);
        assert_eq!(analysis.confusion[1][1], 1);
        assert_eq!(analysis.confusion[2][7], 1);
        assert_eq!(analysis.confusion[3][3], 1);
        assert_eq!(analysis.confusion[3][5], 1);
        assert_eq!(analysis.confusion.iter().flatten().sum::<u32>(), 4);
        let wrong: Vec<(usize, u8, u8)> = analysis.mistakes.iter().map(|m| (m.index, m.label, m.predicted)).collect();
        assert_eq!(wrong, vec![(1, 2, 7), (3, 3, 5)]);
        assert_eq!(analysis.mistakes[0].pixels.len(), 784);
    }

    #[test]
    fn keras_line_format() {
        let m = EpochMetrics { epoch: 1, loss: 0.46951, accuracy: 0.86512, val_loss: 0.2515, val_accuracy: 0.9268, seconds: 1.876 };
        assert_eq!(
            m.keras_lines(10, 469),
            "Epoch 1/10\n469/469 [==============================] - 2s 4ms/step - loss: 0.4695 - accuracy: 0.8651 - val_loss: 0.2515 - val_accuracy: 0.9268"
        );
    }
}
