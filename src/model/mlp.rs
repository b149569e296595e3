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

pub const P2_HIDDEN: [usize; 2] = [64, 64];

impl Classifier for Mlp {
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
