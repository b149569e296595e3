//! The multi-layer perceptrons of P2 (784-64-64-10) and P2D (784-500-300-10).

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use rand::rngs::StdRng;

use super::summary::{ModelSummary, mlp_summary};
use crate::data::{CLASSES, PIXELS};
use crate::train::Classifier;

/// Dense layers with ReLU between them; the last layer's softmax lives in the loss (and in
/// `predict`), as the numerically stable form of Keras' `Dense(10, activation='softmax')`.
#[derive(Module, Debug)]
pub struct Mlp {
    pub layers: Vec<Linear>,
}

impl Mlp {
    /// Keras-initialised MLP with the given hidden widths.
    pub fn new(hidden: &[usize], rng: &mut StdRng, device: &Device) -> Self {
        let mut layers = Vec::with_capacity(hidden.len() + 1);
        let mut fan_in = PIXELS;
        for &width in hidden.iter().chain(std::iter::once(&CLASSES)) {
            layers.push(super::init::dense(rng, fan_in, width, device));
            fan_in = width;
        }
        Self { layers }
    }

    /// The P2 model.
    pub fn p2(rng: &mut StdRng, device: &Device) -> Self {
        Self::new(&P2_HIDDEN, rng, device)
    }

    pub fn summary(&self) -> ModelSummary {
        let hidden: Vec<usize> = self.layers[..self.layers.len() - 1].iter().map(|l| l.weight.dims()[1]).collect();
        mlp_summary(&hidden)
    }
}

pub use super::summary::{P2_HIDDEN, P2D_HIDDEN};

impl Classifier for Mlp {
    fn summary(&self) -> ModelSummary {
        Mlp::summary(self)
    }

    /// # Shapes
    /// - input: `[batch, 784]` pixels in [0, 1]
    /// - output: `[batch, 10]` logits
    fn logits(&self, input: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        self.layers.iter().enumerate().fold(input, |x, (i, layer)| {
            let x = layer.forward(x);
            if i < last { relu(x) } else { x }
        })
    }

    /// The seed's P2D puts `kernel_regularizer=l2(f)` on the hidden layers only: every
    /// kernel but the output layer's.
    fn regularized_kernels_sq_sum(&self) -> Option<Tensor<1>> {
        let hidden = &self.layers[..self.layers.len() - 1];
        hidden.iter().map(|layer| layer.weight.val().square().sum()).reduce(|a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn p2_parameter_counts_match_keras() {
        let device = Device::flex();
        let model = Mlp::p2(&mut StdRng::seed_from_u64(1), &device);
        assert_eq!(model.num_params(), 55_050);
        let per_layer: Vec<usize> = model.layers.iter().map(|l| l.num_params()).collect();
        assert_eq!(per_layer, vec![50_240, 4_160, 650]);
        assert_eq!(model.summary().total_params(), model.num_params());
    }

    /// Keras' `l2(f)`: the loss gains `f · Σ w²` over the hidden kernels, so their gradient
    /// gains exactly `2 f w`; biases and the output kernel get nothing from it.
    #[test]
    fn l2_term_and_gradient_equal_the_formula() {
        use crate::train::{l2_penalty, loss::cross_entropy};
        use burn::tensor::{Int, TensorData};
        let device = Device::flex().autodiff();
        let model = Mlp::new(&[3, 2], &mut StdRng::seed_from_u64(4), &device);
        let factor = 0.01;
        let x = Tensor::<2>::from_data(TensorData::new((0..2 * PIXELS).map(|i| (i % 13) as f32 / 13.0).collect::<Vec<_>>(), [2, PIXELS]), &device);
        let y = Tensor::<1, Int>::from_data(TensorData::new(vec![3i64, 8], [2]), &device);
        let grads_of = |with_l2: bool| {
            let mut loss = cross_entropy(model.logits(x.clone()), y.clone());
            if with_l2 {
                loss = loss + l2_penalty(&model, factor).expect("hidden kernels");
            }
            loss.backward()
        };
        let (plain, regularized) = (grads_of(false), grads_of(true));
        let values = |t: Tensor<2>| t.into_data().try_into_vec::<f32>().expect("f32");
        // The penalty's value: f times the sum of squares of the two hidden kernels.
        let w: Vec<Vec<f32>> = model.layers.iter().map(|l| values(l.weight.val().inner())).collect();
        let expected: f32 = factor as f32 * (w[0].iter().chain(&w[1]).map(|v| v * v).sum::<f32>());
        let penalty = l2_penalty(&model, factor).expect("penalty").inner().into_data().try_into_vec::<f32>().expect("f32")[0];
        assert!((penalty - expected).abs() < 1e-6 * expected.max(1.0), "{penalty} vs {expected}");
        for (i, layer) in model.layers.iter().enumerate() {
            let g0 = values(layer.weight.grad(&plain).expect("grad"));
            let g1 = values(layer.weight.grad(&regularized).expect("grad"));
            let extra = if i < 2 { 2.0 * factor as f32 } else { 0.0 };
            for ((a, b), wv) in g0.iter().zip(&g1).zip(&w[i]) {
                assert!((b - a - extra * wv).abs() < 1e-6, "layer {i}: {b} - {a} != {extra} * {wv}");
            }
            let bias = layer.bias.as_ref().expect("bias");
            let b0 = bias.grad(&plain).expect("grad").into_data().try_into_vec::<f32>().expect("f32");
            let b1 = bias.grad(&regularized).expect("grad").into_data().try_into_vec::<f32>().expect("f32");
            assert_eq!(b0, b1, "layer {i}: bias gradient changed by L2");
        }
    }

    #[test]
    fn output_shape_and_zero_biases() {
        let device = Device::flex();
        let model = Mlp::p2(&mut StdRng::seed_from_u64(1), &device);
        let out = model.logits(Tensor::zeros([5, PIXELS], &device));
        assert_eq!(out.dims(), [5, 10]);
        // Zero input and zero biases: every logit is exactly zero.
        let values = out.into_data().try_into_vec::<f32>().expect("f32");
        assert!(values.iter().all(|&v| v == 0.0));
        let p2d = Mlp::new(&[500, 300], &mut StdRng::seed_from_u64(1), &device);
        assert_eq!(p2d.logits(Tensor::zeros([2, PIXELS], &device)).dims(), [2, 10]);
    }
}
