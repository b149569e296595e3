//! Keras' `MaxPooling2D(pool_size=(2, 2))` (stride 2, valid padding) for the CPU backend, as a
//! burn backend extension with its own backward pass.
//!
//! Why not burn's `MaxPool2d` on the CPU backend: burn-flex runs every max pooling through
//! its general 3-D kernel, which works out each window's valid range with six integer
//! divisions. For P3's 2×2 windows that made pooling the CNN's most expensive layer after
//! the convolutions: 10.9 ms forward for one 64-example shard of `[64, 32, 26, 26]`
//! natively, about a fifth of a training step, and as much in the page
//! (bench/README.md). This kernel reads each window's four values directly.
//!
//! It keeps burn's semantics exactly, so a run is the same whichever pooling it used: the
//! first maximum in row-major order wins, a NaN always wins (the last one), and the
//! gradient goes to the winner alone. On other backends (WebGPU) burn's pooling runs, one
//! fused kernel there.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, Flex, backend_extension};
use burn::nn::pool::MaxPool2d;
use burn::tensor::{DType, Device, Tensor, TensorData};
use burn_flex::FlexTensor;
use std::sync::Arc;

/// The pooling's one primitive: routed to the CPU backend and its autodiff decorator.
#[backend_extension(Flex, Autodiff)]
pub trait MaxPool2x2Ops: Backend {
    /// # Shapes
    /// - x: `[batch, channels, height, width]`
    /// - output: `[batch, channels, height / 2, width / 2]` (a last odd row or column dropped)
    fn max_pool_2x2(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// 2×2 max pooling with stride 2: the fast kernel on the CPU backend, `fallback` (a
/// `MaxPool2d` of the same configuration) elsewhere.
///
/// # Shapes
/// - x: `[batch, channels, height, width]`
/// - output: `[batch, channels, height / 2, width / 2]`
pub fn max_pool_2x2(x: Tensor<4>, fallback: &MaxPool2d) -> Tensor<4> {
    if x.device().inner() == Device::flex() && x.dtype() == DType::F32 {
        Tensor::from_dispatch(<Dispatch as MaxPool2x2Ops>::max_pool_2x2(x.into_dispatch()))
    } else {
        fallback.forward(x)
    }
}

impl MaxPool2x2Ops for Flex {
    fn max_pool_2x2(x: FloatTensor<Self>) -> FloatTensor<Self> {
        pool(&x, None)
    }
}

impl<C: CheckpointStrategy> MaxPool2x2Ops for Autodiff<Flex, C> {
    fn max_pool_2x2(x: FloatTensor<Self>) -> FloatTensor<Self> {
        match MaxPool2x2Backward.prepare::<C>([x.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let mut winners = Vec::new();
                let output = pool(x.primitive(), Some(&mut winners));
                let dims = planes_of(x.primitive());
                prep.finish(Winners { dims, winner: winners.into() }, output)
            }
            OpsKind::UnTracked(prep) => prep.finish(pool(x.primitive(), None)),
        }
    }
}

/// Which of its window's four inputs (0..4, row-major) each output took: all the backward
/// pass needs, a byte per output.
#[derive(Clone, Debug)]
struct Winners {
    /// The input's `[batch, channels, height, width]`.
    dims: [usize; 4],
    winner: Arc<[u8]>,
}

#[derive(Debug)]
struct MaxPool2x2Backward;

impl Backward<Flex, 1> for MaxPool2x2Backward {
    type State = Winners;

    /// The output's gradient, each value sent to its window's winner; the other inputs get 0.
    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [parent] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        if let Some(parent) = parent {
            grads.register::<Flex>(parent.id, unpool(&grad, &ops.state));
        }
    }
}

fn planes_of(x: &FlexTensor) -> [usize; 4] {
    let shape = x.layout().shape();
    assert_eq!(shape.num_dims(), 4, "max_pool_2x2 takes [batch, channels, height, width]");
    [shape[0], shape[1], shape[2], shape[3]]
}

/// The pooled tensor, and each output's winner (0..4) when asked.
fn pool(x: &FlexTensor, mut winners: Option<&mut Vec<u8>>) -> FlexTensor {
    let [batch, channels, height, width] = planes_of(x);
    let (out_h, out_w) = (height / 2, width / 2);
    let x = x.to_contiguous();
    let values: &[f32] = x.storage();
    let mut out = Vec::with_capacity(batch * channels * out_h * out_w);
    if let Some(w) = winners.as_deref_mut() {
        w.reserve(batch * channels * out_h * out_w);
    }
    for plane in values.chunks_exact(height * width).take(batch * channels) {
        for row in 0..out_h {
            let top = &plane[2 * row * width..][..2 * out_w];
            let bottom = &plane[(2 * row + 1) * width..][..2 * out_w];
            for (t, b) in top.chunks_exact(2).zip(bottom.chunks_exact(2)) {
                // burn-flex's rule, in its scan order: the first value, then any larger or NaN.
                let (mut best, mut at) = (t[0], 0u8);
                for (k, v) in [(1u8, t[1]), (2, b[0]), (3, b[1])] {
                    if v > best || v.is_nan() {
                        (best, at) = (v, k);
                    }
                }
                out.push(best);
                if let Some(w) = winners.as_deref_mut() {
                    w.push(at);
                }
            }
        }
    }
    FlexTensor::from_data(TensorData::new(out, [batch, channels, out_h, out_w]))
}

/// The input's gradient: `grad` (the output's) placed at each window's winner.
fn unpool(grad: &FlexTensor, state: &Winners) -> FlexTensor {
    let [batch, channels, height, width] = state.dims;
    let (out_h, out_w) = (height / 2, width / 2);
    let grad = grad.to_contiguous();
    let grad: &[f32] = grad.storage();
    let mut input_grad = vec![0.0f32; batch * channels * height * width];
    let per_plane = out_h * out_w;
    for ((plane, grad), winner) in input_grad.chunks_exact_mut(height * width).zip(grad.chunks_exact(per_plane)).zip(state.winner.chunks_exact(per_plane)) {
        for (o, (&g, &k)) in grad.iter().zip(winner).enumerate() {
            let (row, col) = (o / out_w, o % out_w);
            let (dy, dx) = (usize::from(k >> 1), usize::from(k & 1));
            plane[(2 * row + dy) * width + 2 * col + dx] = g;
        }
    }
    FlexTensor::from_data(TensorData::new(input_grad, [batch, channels, height, width]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::pool::MaxPool2dConfig;
    use burn::tensor::Distribution;

    fn burn_pool() -> MaxPool2d {
        MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init()
    }

    /// Forward values and input gradients equal burn's pooling exactly, for even and odd
    /// sizes (P3's 26 → 13 and 11 → 5), with ties (ReLU zeros) and a NaN.
    #[test]
    fn matches_burns_max_pooling_forward_and_backward() {
        let device = Device::flex().autodiff();
        for dims in [[3, 4, 26, 26], [2, 5, 11, 11], [1, 2, 5, 8]] {
            let raw = Tensor::<4>::random(dims, Distribution::Normal(0.0, 1.0), &device);
            // ReLU makes windows of zeros: ties, decided by scan order.
            let mut data = burn::tensor::activation::relu(raw).into_data().try_to_vec::<f32>().expect("f32");
            data[7] = f32::NAN;
            let x = Tensor::<4>::from_data(TensorData::new(data, dims), &device);
            let [_, _, h, w] = dims;
            let upstream = Tensor::<4>::random([dims[0], dims[1], h / 2, w / 2], Distribution::Normal(0.0, 1.0), &device);

            let run = |pooled: &dyn Fn(Tensor<4>) -> Tensor<4>| {
                let x = x.clone().require_grad();
                let y = pooled(x.clone());
                let grads = (y.clone() * upstream.clone()).sum().backward();
                (y.into_data(), x.grad(&grads).expect("x takes part").into_data())
            };
            // The extension itself, not `max_pool_2x2` (which could have fallen back to burn's).
            let (ours, our_grad) = run(&|x| Tensor::from_dispatch(<Dispatch as MaxPool2x2Ops>::max_pool_2x2(x.into_dispatch())));
            let (theirs, their_grad) = run(&|x| burn_pool().forward(x));
            assert_eq!(ours.shape(), theirs.shape());
            let bits = |d: &TensorData| d.try_to_vec::<f32>().expect("f32").iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&ours), bits(&theirs), "forward {dims:?}");
            assert_eq!(bits(&our_grad), bits(&their_grad), "gradient {dims:?}");
            assert!(ours.try_to_vec::<f32>().expect("f32")[3].is_nan(), "the NaN's window is NaN");
        }
    }

    /// Without autodiff (validation, inference) the same values.
    #[test]
    fn inference_matches_burns_max_pooling() {
        let device = Device::flex();
        let x = Tensor::<4>::random([2, 3, 13, 12], Distribution::Normal(0.0, 1.0), &device);
        let ours = Tensor::<4>::from_dispatch(<Dispatch as MaxPool2x2Ops>::max_pool_2x2(x.clone().into_dispatch())).into_data();
        ours.assert_eq(&burn_pool().forward(x).into_data(), true);
        assert_eq!(ours.shape().to_vec(), vec![2, 3, 6, 6]);
    }
}
