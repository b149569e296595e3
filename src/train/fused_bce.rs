//! P4's loss on the CPU backend as one kernel with its own backward pass: the mean binary
//! cross-entropy from the logits, a burn backend extension (as [`crate::model::max_pool`]).
//!
//! Why: the composed form (`z·(1 - y) - log σ(z)`, then the mean) runs five element-wise
//! kernels over the `[64, 784]` batch forward and as many backward on burn-flex, with
//! `log_sigmoid`'s scalar `exp` and `log1p` in both directions; natively that was 18% of an
//! epoch in libm alone and 21% in element-wise kernels (bench/results/profile-p4.txt of
//! 2026-11-25). Here the forward pass takes one `exp` and one `log1p` per element and keeps
//! each element's slope `(σ(z) - y) / n`, so the backward pass is one multiplication.
//!
//! The targets are data (the clean images): no gradient flows to them.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{DType, Device, Shape, Tensor, TensorData};
use burn_flex::FlexTensor;
use std::sync::Arc;

/// The loss's one primitive: routed to the CPU backend and its autodiff decorator.
#[backend_extension(Flex, Autodiff)]
pub trait BceWithLogitsOps: Backend {
    /// # Shapes
    /// - logits, targets: any shape, the same for both
    /// - output: `[1]`, the mean over every element
    fn bce_with_logits_mean(logits: FloatTensor<Self>, targets: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// Whether [`mean`] runs for tensors like `logits`: f32 on the CPU backend.
pub fn applies(logits: &Tensor<2>) -> bool {
    logits.device().inner() == Device::flex() && logits.dtype() == DType::F32
}

/// `mean(softplus(z) - z·y)`, Keras' `binary_crossentropy` of `σ(z)` against `y`.
///
/// # Shapes
/// - logits, targets: `[batch, pixels]`
/// - output: `[1]`
pub fn mean(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    Tensor::from_dispatch(<Dispatch as BceWithLogitsOps>::bce_with_logits_mean(logits.into_dispatch(), targets.into_dispatch()))
}

impl BceWithLogitsOps for Flex {
    fn bce_with_logits_mean(logits: FloatTensor<Self>, targets: FloatTensor<Self>) -> FloatTensor<Self> {
        loss(&logits, &targets, None)
    }
}

impl<C: CheckpointStrategy> BceWithLogitsOps for Autodiff<Flex, C> {
    fn bce_with_logits_mean(logits: FloatTensor<Self>, targets: FloatTensor<Self>) -> FloatTensor<Self> {
        match BceBackward.prepare::<C>([logits.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let mut slopes = Vec::new();
                let output = loss(logits.primitive(), targets.primitive(), Some(&mut slopes));
                let shape = logits.primitive().layout().shape().clone();
                prep.finish(Slopes { shape, slope: slopes.into() }, output)
            }
            OpsKind::UnTracked(prep) => prep.finish(loss(logits.primitive(), targets.primitive(), None)),
        }
    }
}

/// Each logit's derivative of the mean loss, `(σ(z) - y) / n`: all the backward pass needs.
#[derive(Clone, Debug)]
struct Slopes {
    shape: Shape,
    slope: Arc<[f32]>,
}

#[derive(Debug)]
struct BceBackward;

impl Backward<Flex, 1> for BceBackward {
    type State = Slopes;

    /// The loss's gradient (a scalar: 1, or a shard's share of the batch) times each slope.
    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [parent] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node).to_contiguous();
        let upstream: &[f32] = grad.storage();
        let upstream = upstream.first().copied().unwrap_or(f32::NAN);
        if let Some(parent) = parent {
            let logits_grad: Vec<f32> = ops.state.slope.iter().map(|s| s * upstream).collect();
            grads.register::<Flex>(parent.id, FlexTensor::from_data(TensorData::new(logits_grad, ops.state.shape.clone())));
        }
    }
}

/// The mean loss as a `[1]` tensor, and each logit's slope when asked.
fn loss(logits: &FlexTensor, targets: &FlexTensor, mut slopes: Option<&mut Vec<f32>>) -> FlexTensor {
    let (logits, targets) = (logits.to_contiguous(), targets.to_contiguous());
    let (z, y): (&[f32], &[f32]) = (logits.storage(), targets.storage());
    assert_eq!(z.len(), y.len(), "logits and targets of one shape");
    let n = z.len().max(1);
    let per_element = 1.0 / n as f32;
    if let Some(s) = slopes.as_deref_mut() {
        s.reserve(z.len());
    }
    // The sum in f64: 50,000 terms of up to ~30 each in f32 would lose digits.
    let mut sum = 0.0f64;
    for (&z, &y) in z.iter().zip(y) {
        // softplus(z) = max(z, 0) + log(1 + e^-|z|), never the log of 0 (TensorFlow's
        // `sigmoid_cross_entropy_with_logits`); a NaN logit makes the loss NaN.
        let e = (-z.abs()).exp();
        sum += f64::from(z.max(0.0) - z * y + e.ln_1p());
        if let Some(s) = slopes.as_deref_mut() {
            let sigmoid = if z >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
            s.push((sigmoid - y) * per_element);
        }
    }
    FlexTensor::from_data(TensorData::new(vec![(sum / n as f64) as f32], [1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;
    use burn::tensor::activation::log_sigmoid;

    /// burn's composed form, which other backends (WebGPU) run.
    fn composed(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        (logits.clone() * targets.neg().add_scalar(1.0) - log_sigmoid(logits)).mean()
    }

    /// The kernel's loss and gradient equal the composed form's, on logits as wide as a
    /// diverging autoencoder's, with targets in [0, 1] like the clean images.
    #[test]
    fn matches_the_composed_loss_and_its_gradient() {
        let device = Device::flex().autodiff();
        let dims = [16, 784];
        let logits = Tensor::<2>::random(dims, Distribution::Normal(0.0, 8.0), &device);
        let targets = Tensor::<2>::random(dims, Distribution::Uniform(0.0, 1.0), &device);
        let run = |loss: &dyn Fn(Tensor<2>, Tensor<2>) -> Tensor<1>| {
            let z = logits.clone().require_grad();
            // A shard's share, as the data-parallel step backpropagates it.
            let value = loss(z.clone(), targets.clone()) * 0.25;
            let grads = value.backward();
            let grad = z.grad(&grads).expect("logits take part").into_data().try_into_vec::<f32>().expect("f32");
            (value.into_data().try_into_vec::<f32>().expect("f32")[0], grad)
        };
        let (ours, our_grad) = run(&mean);
        let (theirs, their_grad) = run(&composed);
        assert!((ours - theirs).abs() <= 1e-5 * theirs.abs(), "{ours} vs {theirs}");
        let largest = their_grad.iter().fold(0.0f32, |m, g| m.max(g.abs()));
        for (a, b) in our_grad.iter().zip(&their_grad) {
            assert!((a - b).abs() <= 1e-4 * largest, "{a} vs {b}");
        }
        assert!(largest > 0.0);
    }

    /// Evaluation (no autodiff) computes the same value; a NaN logit makes the loss NaN.
    #[test]
    fn inference_value_and_nan() {
        let device = Device::flex();
        let logits = Tensor::<2>::random([4, 10], Distribution::Normal(0.0, 3.0), &device);
        let targets = Tensor::<2>::random([4, 10], Distribution::Uniform(0.0, 1.0), &device);
        let ours: f32 = mean(logits.clone(), targets.clone()).into_scalar();
        let theirs: f32 = composed(logits.clone(), targets.clone()).into_scalar();
        assert!((ours - theirs).abs() <= 1e-5 * theirs.abs(), "{ours} vs {theirs}");

        let mut z = logits.into_data().try_into_vec::<f32>().expect("f32");
        z[5] = f32::NAN;
        let poisoned = Tensor::<2>::from_data(TensorData::new(z, [4, 10]), &device);
        assert!(mean(poisoned, targets).into_scalar::<f32>().is_nan());
    }
}
