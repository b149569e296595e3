//! Keras-style model summaries, computed from the architecture alone so the page can
//! show them without burn. Tests check them against the parameters of the burn modules.

use serde::{Deserialize, Serialize};

use crate::data::{CLASSES, PIXELS};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerSummary {
    /// Keras' auto-generated name (`flatten`, `dense`, `dense_1`, ...).
    pub name: String,
    /// Layer type as Keras prints it (`Flatten`, `Dense`).
    pub kind: String,
    /// Output shape with the batch axis as `None`, e.g. `(None, 64)`.
    pub output_shape: String,
    pub params: usize,
    /// Activation applied by the layer, if any.
    pub activation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSummary {
    pub layers: Vec<LayerSummary>,
}

impl ModelSummary {
    pub fn total_params(&self) -> usize {
        self.layers.iter().map(|l| l.params).sum()
    }

    /// Multiply-adds of one example's forward pass: a Dense layer's kernel once, a Conv2D's
    /// kernel once per output position; other layers count nothing. A training step costs
    /// about three times this per example (forward, and the backward's two products).
    pub fn forward_macs_per_example(&self) -> usize {
        self.layers
            .iter()
            .map(|l| {
                let dims = l.output_dims();
                let outputs: usize = dims.iter().product();
                let channels = dims.last().copied().unwrap_or(1).max(1);
                match l.kind.as_str() {
                    // params = (fan_in + 1) · units
                    "Dense" => l.params.saturating_sub(outputs),
                    // params = (kh · kw · c_in + 1) · filters, applied at every output position
                    "Conv2D" => l.params.saturating_sub(channels) * (outputs / channels),
                    _ => 0,
                }
            })
            .sum()
    }

    /// Bytes one training example needs for its activations: the input and every layer's
    /// output (twice for a layer with an activation: before and after it) are kept for the
    /// backward pass, and each gets a gradient of its size; f32 throughout.
    pub fn training_bytes_per_example(&self) -> usize {
        let floats: usize = self.layers.iter().map(|l| l.output_floats() * if l.activation.is_some() { 2 } else { 1 }).sum();
        (PIXELS + floats) * 2 * std::mem::size_of::<f32>()
    }
}

impl LayerSummary {
    /// Values per example of the layer's output: the product of `output_shape`'s sizes.
    pub fn output_floats(&self) -> usize {
        self.output_dims().iter().product()
    }

    /// The sizes in `output_shape` (Keras' `(None, 26, 26, 32)` gives `[26, 26, 32]`).
    fn output_dims(&self) -> Vec<usize> {
        self.output_shape.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse::<usize>().ok()).collect()
    }
}

/// Hidden widths of P2's MLP (784-64-64-10) and of P2D's (784-500-300-10).
pub const P2_HIDDEN: [usize; 2] = [64, 64];
pub const P2D_HIDDEN: [usize; 2] = [500, 300];

/// The summary of `experiment`'s model (P4: the autoencoder).
pub fn for_experiment(experiment: crate::experiment::ExperimentId) -> ModelSummary {
    use crate::experiment::ExperimentId;
    match experiment {
        ExperimentId::P2 => mlp_summary(&P2_HIDDEN),
        ExperimentId::P2d => mlp_summary(&P2D_HIDDEN),
        ExperimentId::P3 => cnn_summary(),
        ExperimentId::P4 => autoencoder_summary(),
    }
}

/// Flatten(28x28) followed by Dense layers of the given widths, ReLU on the hidden ones
/// and softmax on the 10-way output: the models of P2 and P2D.
pub fn mlp_summary(hidden: &[usize]) -> ModelSummary {
    let mut layers = vec![LayerSummary {
        name: "flatten".into(),
        kind: "Flatten".into(),
        output_shape: format!("(None, {PIXELS})"),
        params: 0,
        activation: None,
    }];
    let mut fan_in = PIXELS;
    let widths = hidden.iter().copied().chain(std::iter::once(CLASSES));
    for (i, width) in widths.enumerate() {
        let is_output = i == hidden.len();
        layers.push(LayerSummary {
            name: if i == 0 { "dense".into() } else { format!("dense_{i}") },
            kind: "Dense".into(),
            output_shape: format!("(None, {width})"),
            params: fan_in * width + width,
            activation: Some(if is_output { "softmax" } else { "relu" }.into()),
        });
        fan_in = width;
    }
    ModelSummary { layers }
}

fn layer(name: &str, kind: &str, shape: &str, params: usize, activation: Option<&str>) -> LayerSummary {
    LayerSummary { name: name.into(), kind: kind.into(), output_shape: shape.into(), params, activation: activation.map(Into::into) }
}

/// The seed's P3 CNN: Conv2D(32, 3x3) - MaxPool(2) - Conv2D(64, 3x3) - MaxPool(2) - Flatten -
/// Dense 200 - Dense 128 - Dropout 0.5 - Dense 10, valid padding, channels last as Keras
/// prints it.
pub fn cnn_summary() -> ModelSummary {
    ModelSummary {
        layers: vec![
            layer("conv2d", "Conv2D", "(None, 26, 26, 32)", 3 * 3 * 32 + 32, Some("relu")),
            layer("max_pooling2d", "MaxPooling2D", "(None, 13, 13, 32)", 0, None),
            layer("conv2d_1", "Conv2D", "(None, 11, 11, 64)", 3 * 3 * 32 * 64 + 64, Some("relu")),
            layer("max_pooling2d_1", "MaxPooling2D", "(None, 5, 5, 64)", 0, None),
            layer("flatten", "Flatten", "(None, 1600)", 0, None),
            layer("dense", "Dense", "(None, 200)", 1600 * 200 + 200, Some("relu")),
            layer("dense_1", "Dense", "(None, 128)", 200 * 128 + 128, Some("relu")),
            layer("dropout", "Dropout", "(None, 128)", 0, None),
            layer("dense_2", "Dense", "(None, 10)", 128 * 10 + 10, Some("softmax")),
        ],
    }
}

/// The seed's P4 autoencoder, a Keras functional model: Input(784) → Dense 128 ReLU →
/// Dense 96 ReLU (the latent code) → Dense 128 ReLU → Dense 784 sigmoid.
pub fn autoencoder_summary() -> ModelSummary {
    ModelSummary {
        layers: vec![
            layer("input_1", "InputLayer", "[(None, 784)]", 0, None),
            layer("dense", "Dense", "(None, 128)", PIXELS * 128 + 128, Some("relu")),
            layer("dense_1", "Dense", "(None, 96)", 128 * 96 + 96, Some("relu")),
            layer("dense_2", "Dense", "(None, 128)", 96 * 128 + 128, Some("relu")),
            layer("dense_3", "Dense", "(None, 784)", 128 * PIXELS + PIXELS, Some("sigmoid")),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_multiply_adds_per_example() {
        assert_eq!(mlp_summary(&P2_HIDDEN).forward_macs_per_example(), 784 * 64 + 64 * 64 + 64 * 10);
        assert_eq!(mlp_summary(&P2D_HIDDEN).forward_macs_per_example(), 784 * 500 + 500 * 300 + 300 * 10);
        let conv = 26 * 26 * 32 * 9 + 11 * 11 * 64 * 9 * 32;
        assert_eq!(cnn_summary().forward_macs_per_example(), conv + 1600 * 200 + 200 * 128 + 128 * 10);
        assert_eq!(autoencoder_summary().forward_macs_per_example(), 2 * (784 * 128 + 128 * 96));
    }

    #[test]
    fn autoencoder_summary_total() {
        let params: Vec<usize> = autoencoder_summary().layers.iter().map(|l| l.params).collect();
        assert_eq!(params, vec![0, 100_480, 12_384, 12_416, 101_136]);
        assert_eq!(autoencoder_summary().total_params(), 226_416);
    }

    #[test]
    fn cnn_summary_total() {
        let summary = cnn_summary();
        assert_eq!(summary.total_params(), 366_034);
        let params: Vec<usize> = summary.layers.iter().map(|l| l.params).collect();
        assert_eq!(params, vec![320, 0, 18_496, 0, 0, 320_200, 25_728, 0, 1_290]);
    }

    #[test]
    fn p2_summary_matches_the_seed() {
        let summary = mlp_summary(&[64, 64]);
        let rows: Vec<(&str, &str, usize)> = summary
            .layers
            .iter()
            .map(|l| (l.name.as_str(), l.output_shape.as_str(), l.params))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("flatten", "(None, 784)", 0),
                ("dense", "(None, 64)", 50240),
                ("dense_1", "(None, 64)", 4160),
                ("dense_2", "(None, 10)", 650),
            ]
        );
        assert_eq!(summary.total_params(), 55_050);
    }

    #[test]
    fn p2d_summary_counts() {
        assert_eq!(mlp_summary(&[500, 300]).total_params(), 784 * 500 + 500 + 500 * 300 + 300 + 3010);
    }

    #[test]
    fn batch_limits_follow_the_activations() {
        use crate::experiment::config::{ACTIVATION_BUDGET, MAX_BATCH_SIZE, max_batch_size};
        use crate::experiment::ExperimentId;
        // P2's MLP: the input, Flatten (784), two Dense+ReLU (64 each, twice) and the softmax
        // output (10, twice), each with its gradient.
        assert_eq!(mlp_summary(&[64, 64]).training_bytes_per_example(), (784 + 784 + 2 * 64 * 2 + 2 * 10) * 8);
        // The CNN keeps its 26 × 26 × 32 convolution output (before and after ReLU) and more.
        let cnn = cnn_summary().training_bytes_per_example();
        assert!(cnn > 2 * 26 * 26 * 32 * 8, "{cnn}");
        assert_eq!(max_batch_size(ExperimentId::P3), ACTIVATION_BUDGET / cnn);
        assert!((128..2048).contains(&max_batch_size(ExperimentId::P3)), "the seed's 128 fits; 8192 does not");
        for id in [ExperimentId::P2, ExperimentId::P2d, ExperimentId::P4] {
            assert_eq!(max_batch_size(id), MAX_BATCH_SIZE);
        }
    }
}
