//! Categorical cross-entropy as Keras computes it for a softmax output and one-hot targets,
//! averaged over the batch, in the stable log-softmax form.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};

/// `-mean_i log softmax(logits_i)[label_i]`, shape `[1]`.
///
/// # Shapes
/// - logits: `[batch, classes]`
/// - labels: `[batch]` class indices
pub fn cross_entropy(logits: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
    let [batch, _] = logits.dims();
    let picked = log_softmax(logits, 1).gather(1, labels.reshape([batch, 1]));
    picked.mean().neg()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn equals_the_formula_on_fixed_values() {
        let device = Device::flex();
        let logits = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 2.0, 3.0, 0.0, 0.0, 0.0], [2, 3]), &device);
        let labels = Tensor::<1, Int>::from_data(TensorData::new(vec![2i64, 0], [2]), &device);
        let loss = cross_entropy(logits, labels).into_data().try_into_vec::<f32>().expect("f32")[0];
        // Row 0: -log(e^3 / (e^1 + e^2 + e^3)); row 1: -log(1/3).
        let e = std::f32::consts::E;
        let row0 = -(e.powi(3) / (e + e * e + e.powi(3))).ln();
        let row1 = 3.0f32.ln();
        assert!((loss - (row0 + row1) / 2.0).abs() < 1e-6, "{loss}");
    }
}
