//! The losses of the assignment, as Keras computes them: categorical cross-entropy for a
//! softmax output and one-hot targets (P2, P3), binary cross-entropy for the autoencoder's
//! sigmoid output and pixel targets (P4), both averaged over the batch in their stable forms.

use burn::tensor::activation::{log_sigmoid, log_softmax};
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

/// Keras' `binary_crossentropy` for a sigmoid output, from its logits `z`: for a target
/// `y` in [0, 1], `-(y·log σ(z) + (1 - y)·log(1 - σ(z)))`, averaged over the pixels and then
/// the batch, shape `[1]`. Keras (TensorFlow) computes it from the logits when the output
/// comes from a sigmoid (`sigmoid_cross_entropy_with_logits`), which never takes the log of 0.
///
/// On the CPU backend it is one kernel with its own backward ([`super::fused_bce`]). Elsewhere
/// (WebGPU) it is computed as `z·(1 - y) - log σ(z)` (the same function: `log(1 - σ(z)) =
/// log σ(z) - z`): burn's `log_sigmoid` is one stable kernel with a one-kernel backward, so a
/// training step runs 3 element-wise kernels on the 784-pixel batch instead of TensorFlow's
/// form `max(z, 0) - z·y + log(1 + e^-|z|)` (7 kernels, each with a backward).
///
/// # Shapes
/// - logits, targets: `[batch, pixels]`
pub fn binary_cross_entropy_with_logits(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    if super::fused_bce::applies(&logits) {
        return super::fused_bce::mean(logits, targets);
    }
    // `1 - y` is a constant of the batch: outside the autodiff graph.
    let one_minus_targets = targets.neg().add_scalar(1.0);
    (logits.clone() * one_minus_targets - log_sigmoid(logits)).mean()
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

    #[test]
    fn binary_cross_entropy_equals_the_formula() {
        let device = Device::flex();
        let z = [-3.0f32, -0.5, 0.0, 0.7, 2.0, 40.0, -40.0, 30.0];
        let y = [0.0f32, 1.0, 0.3, 1.0, 0.0, 1.0, 0.2, 0.6];
        let logits = Tensor::<2>::from_data(TensorData::new(z.to_vec(), [2, 4]), &device);
        let targets = Tensor::<2>::from_data(TensorData::new(y.to_vec(), [2, 4]), &device);
        let loss = binary_cross_entropy_with_logits(logits, targets).into_data().try_into_vec::<f32>().expect("f32")[0];
        // -(y log p + (1 - y) log(1 - p)) with p = sigmoid(z), in f64, each log in its
        // stable form (the naive ones underflow at |z| = 40).
        let expected: f64 = z
            .iter()
            .zip(&y)
            .map(|(&z, &y)| {
                let (z, y) = (f64::from(z), f64::from(y));
                let log_p = if z >= 0.0 { -(-z).exp().ln_1p() } else { z - z.exp().ln_1p() };
                let log_q = if z <= 0.0 { -z.exp().ln_1p() } else { -z - (-z).exp().ln_1p() };
                -(y * log_p + (1.0 - y) * log_q)
            })
            .sum::<f64>()
            / 8.0;
        // f32 arithmetic on terms up to 32: a relative tolerance.
        assert!((f64::from(loss) - expected).abs() < 1e-5 * expected.abs().max(1.0), "{loss} vs {expected}");
    }

    /// Its gradient with respect to the logits is Keras' `(σ(z) - y) / n`, over n pixels.
    #[test]
    fn binary_cross_entropy_gradient_is_sigmoid_minus_target() {
        let device = Device::flex().autodiff();
        let z = [-40.0f32, -3.0, -0.5, 0.0, 0.7, 2.0, 30.0, 40.0];
        let y = [0.2f32, 0.0, 1.0, 0.3, 1.0, 0.0, 0.6, 1.0];
        let logits = Tensor::<2>::from_data(TensorData::new(z.to_vec(), [2, 4]), &device).require_grad();
        let targets = Tensor::<2>::from_data(TensorData::new(y.to_vec(), [2, 4]), &device);
        let grads = binary_cross_entropy_with_logits(logits.clone(), targets).backward();
        let grad = logits.grad(&grads).expect("grad").into_data().try_into_vec::<f32>().expect("f32");
        for ((g, &z), &y) in grad.iter().zip(&z).zip(&y) {
            let expected = (1.0 / (1.0 + (-f64::from(z)).exp()) - f64::from(y)) / 8.0;
            assert!((f64::from(*g) - expected).abs() < 1e-6, "z {z}, y {y}: {g} vs {expected}");
        }
    }
}
