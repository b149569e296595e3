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
}

/// Figures printed in the seed notebook, shown beside ours.
pub mod seed {
    /// P2: `Test loss: 0.0961291715502739, Test accuracy 0.9702000021934509`.
    pub const P2_TEST_LOSS: f64 = 0.0961;
    pub const P2_TEST_ACCURACY: f64 = 0.9702;
    /// P2's per-epoch `accuracy` and `val_accuracy` from the seed's training log.
    pub const P2_ACCURACY: [f64; 10] = [0.8651, 0.9337, 0.9489, 0.9582, 0.9641, 0.9687, 0.9730, 0.9753, 0.9774, 0.9799];
    pub const P2_VAL_ACCURACY: [f64; 10] = [0.9268, 0.9465, 0.9531, 0.9587, 0.9643, 0.9644, 0.9658, 0.9684, 0.9705, 0.9702];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras_line_format() {
        let m = EpochMetrics { epoch: 1, loss: 0.46951, accuracy: 0.86512, val_loss: 0.2515, val_accuracy: 0.9268, seconds: 1.876 };
        assert_eq!(
            m.keras_lines(10, 469),
            "Epoch 1/10\n469/469 [==============================] - 2s 4ms/step - loss: 0.4695 - accuracy: 0.8651 - val_loss: 0.2515 - val_accuracy: 0.9268"
        );
    }
}
