//! P4's denoising autoencoder, as the seed's Keras code builds it:
//! 784 → Dense 128 ReLU → Dense 96 ReLU (the latent code) → Dense 128 ReLU → Dense 784 sigmoid.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Tensor};
use rand::rngs::StdRng;

use super::init::dense;
use super::summary::{ModelSummary, autoencoder_summary};
use crate::data::PIXELS;

/// Width of the latent code (the seed's `latent_dim`).
pub const LATENT: usize = 96;
/// Width of the hidden layers on either side of the code.
pub const HIDDEN: usize = 128;

#[derive(Module, Debug)]
pub struct Autoencoder {
    /// 784 → 128 → 96, ReLU after each (the seed's `encoder_only`).
    pub encoder: Vec<Linear>,
    /// 96 → 128 ReLU → 784 (the seed's `decoder`; the sigmoid is applied in [`Self::decode`]
    /// and folded into the loss while training).
    pub decoder: Vec<Linear>,
}

impl Autoencoder {
    /// Keras-initialised (Glorot-uniform kernels, zero biases).
    pub fn new(rng: &mut StdRng, device: &Device) -> Self {
        Self {
            encoder: vec![dense(rng, PIXELS, HIDDEN, device), dense(rng, HIDDEN, LATENT, device)],
            decoder: vec![dense(rng, LATENT, HIDDEN, device), dense(rng, HIDDEN, PIXELS, device)],
        }
    }

    pub fn summary(&self) -> ModelSummary {
        autoencoder_summary()
    }

    /// # Shapes
    /// - input: `[batch, 784]` pixels in [0, 1]
    /// - output: `[batch, 96]` latent codes (non-negative: the code layer is ReLU)
    pub fn encode(&self, input: Tensor<2>) -> Tensor<2> {
        self.encoder.iter().fold(input, |x, layer| relu(layer.forward(x)))
    }

    /// The decoder before its sigmoid: binary cross-entropy is computed from these in its
    /// stable form, as Keras does for a sigmoid output.
    ///
    /// # Shapes
    /// - input: `[batch, 96]` latent codes
    /// - output: `[batch, 784]` logits
    pub fn decode_logits(&self, code: Tensor<2>) -> Tensor<2> {
        let hidden = relu(self.decoder[0].forward(code));
        self.decoder[1].forward(hidden)
    }

    /// # Shapes
    /// - input: `[batch, 96]` latent codes
    /// - output: `[batch, 784]` pixels in (0, 1)
    pub fn decode(&self, code: Tensor<2>) -> Tensor<2> {
        sigmoid(self.decode_logits(code))
    }

    /// # Shapes
    /// - input: `[batch, 784]` (noisy) pixels
    /// - output: `[batch, 784]` logits of the reconstruction
    pub fn reconstruction_logits(&self, input: Tensor<2>) -> Tensor<2> {
        self.decode_logits(self.encode(input))
    }

    /// The denoised image: `autoencoder(x)` in the seed.
    ///
    /// # Shapes
    /// - input: `[batch, 784]` (noisy) pixels
    /// - output: `[batch, 784]` pixels in (0, 1)
    pub fn denoise(&self, input: Tensor<2>) -> Tensor<2> {
        sigmoid(self.reconstruction_logits(input))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn shapes_and_parameter_counts() {
        let device = Device::flex();
        let model = Autoencoder::new(&mut StdRng::seed_from_u64(1), &device);
        assert_eq!(model.num_params(), 226_416);
        assert_eq!(model.summary().total_params(), model.num_params());
        let x = Tensor::<2>::ones([3, PIXELS], &device) * 0.5;
        let code = model.encode(x.clone());
        assert_eq!(code.dims(), [3, LATENT]);
        let codes = code.clone().into_data().try_into_vec::<f32>().expect("f32");
        assert!(codes.iter().all(|&c| c >= 0.0), "ReLU code");
        let out = model.denoise(x).into_data().try_into_vec::<f32>().expect("f32");
        assert_eq!(out.len(), 3 * PIXELS);
        assert!(out.iter().all(|&p| p > 0.0 && p < 1.0), "sigmoid output");
        assert_eq!(model.decode(code).dims(), [3, PIXELS]);
    }
}
