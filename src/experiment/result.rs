//! What a run produces: per-epoch history and final figures, the same struct for the page,
//! the worker and the native runner's JSON.

use serde::{Deserialize, Serialize};

use super::config::RunConfig;
use crate::model::ModelSummary;

/// One epoch's figures, as Keras reports them: training loss and accuracy are averages over
/// the epoch's batches (weighted by batch size), validation figures are over the test set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based, as Keras prints it.
    pub epoch: usize,
    pub loss: f64,
    pub accuracy: f64,
    pub val_loss: f64,
    pub val_accuracy: f64,
    /// Wall-clock seconds of the epoch, training and validation.
    pub seconds: f64,
}

impl EpochMetrics {
    /// The two lines Keras' `fit(verbose=1)` prints at the end of an epoch.
    pub fn keras_lines(&self, epochs: usize, steps: usize) -> String {
        let ms_per_step = if steps > 0 { 1000.0 * self.seconds / steps as f64 } else { 0.0 };
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

/// A test digit the model got wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mistake {
    /// Index in the test set.
    pub index: usize,
    pub label: u8,
    pub predicted: u8,
    /// The digit's 784 pixels, so the page can draw it without the dataset.
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

/// Figures printed in the seed notebook, shown beside ours.
pub mod seed {
    /// P2: `Test loss: 0.0961291715502739, Test accuracy 0.9702000021934509`.
    pub const P2_TEST_LOSS: f64 = 0.0961;
    pub const P2_TEST_ACCURACY: f64 = 0.9702;
    /// P2's per-epoch `accuracy` and `val_accuracy` from the seed's training log.
    pub const P2_ACCURACY: [f64; 10] = [0.8651, 0.9337, 0.9489, 0.9582, 0.9641, 0.9687, 0.9730, 0.9753, 0.9774, 0.9799];
    pub const P2_VAL_ACCURACY: [f64; 10] = [0.9268, 0.9465, 0.9531, 0.9587, 0.9643, 0.9644, 0.9658, 0.9684, 0.9705, 0.9702];
    /// P3 after 40 epochs: test loss 0.0302, test accuracy 0.9912.
    pub const P3_TEST_LOSS: f64 = 0.0302;
    pub const P3_TEST_ACCURACY: f64 = 0.9912;
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
