//! P3's convolutional network, as the seed's Keras code builds it.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;

use super::init::{dense, glorot_uniform};
use super::max_pool::max_pool_2x2;
use crate::data::mnist::{COLS, ROWS};
use crate::train::{Classifier, StepNoise};

/// Conv2D(32, 3x3, ReLU) → MaxPool(2) → Conv2D(64, 3x3, ReLU) → MaxPool(2) → Flatten →
/// Dense 200 ReLU → Dense 128 ReLU → Dropout 0.5 → Dense 10 (softmax in the loss).
#[derive(Module, Debug)]
pub struct Cnn {
    pub conv1: Conv2d,
    pub conv2: Conv2d,
    /// Keras' 2×2 pooling; on the CPU backend its faster kernel runs instead ([`max_pool_2x2`]).
    pub pool: MaxPool2d,
    pub fc1: Linear,
    pub fc2: Linear,
    pub dropout: Dropout,
    pub out: Linear,
}

/// Keras `Conv2D(filters, 3x3)`: valid padding, stride 1, Glorot-uniform kernel with
/// fan_in = 9·in and fan_out = 9·out, zero bias. burn's kernel layout is `[out, in, 3, 3]`.
fn conv3x3(rng: &mut StdRng, channels_in: usize, channels_out: usize, device: &Device) -> Conv2d {
    let mut conv = Conv2dConfig::new([channels_in, channels_out], [3, 3]).with_padding(PaddingConfig2d::Valid).init(device);
    let kernel = glorot_uniform(rng, 9 * channels_in, 9 * channels_out, channels_out * channels_in * 9);
    conv.weight = Param::from_tensor(Tensor::from_data(TensorData::new(kernel, [channels_out, channels_in, 3, 3]), device));
    conv.bias = Some(Param::from_tensor(Tensor::zeros([channels_out], device)));
    conv
}

impl Cnn {
    pub fn new(rng: &mut StdRng, device: &Device) -> Self {
        Self {
            conv1: conv3x3(rng, 1, 32, device),
            conv2: conv3x3(rng, 32, 64, device),
            // Keras' MaxPooling2D(pool_size=(2, 2)) strides by the pool size; said explicitly
            // because older burn defaulted to stride 1.
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            fc1: dense(rng, 64 * 5 * 5, 200, device),
            fc2: dense(rng, 200, 128, device),
            dropout: DropoutConfig::new(0.5).init(),
            out: dense(rng, 128, 10, device),
        }
    }

    /// The first convolution's feature maps (after its ReLU): what the 32 filters see.
    ///
    /// # Shapes
    /// - input: `[batch, 784]`
    /// - output: `[batch, 32, 26, 26]`
    pub fn first_layer_maps(&self, input: Tensor<2>) -> Tensor<4> {
        let [batch, _] = input.dims();
        relu(self.conv1.forward(input.reshape([batch, 1, ROWS, COLS])))
    }

    /// The dense layers' output before dropout.
    ///
    /// # Shapes
    /// - input: `[batch, 784]`
    /// - output: `[batch, 128]`
    fn hidden(&self, input: Tensor<2>) -> Tensor<2> {
        let x = self.features(input).flatten::<2>(1, 3); // [batch, 1600]
        let x = relu(self.fc1.forward(x));
        relu(self.fc2.forward(x))
    }

    /// The feature maps before the dense layers.
    ///
    /// # Shapes
    /// - input: `[batch, 784]`
    /// - output: `[batch, 64, 5, 5]`
    pub fn features(&self, input: Tensor<2>) -> Tensor<4> {
        let [batch, _] = input.dims();
        let x = input.reshape([batch, 1, ROWS, COLS]);
        let x = max_pool_2x2(relu(self.conv1.forward(x)), &self.pool); // [batch, 32, 13, 13]
        max_pool_2x2(relu(self.conv2.forward(x)), &self.pool) // [batch, 64, 5, 5]
    }
}

impl Classifier for Cnn {
    fn summary(&self) -> crate::model::summary::ModelSummary {
        crate::model::summary::cnn_summary()
    }

    /// # Shapes
    /// - input: `[batch, 784]` pixels in [0, 1]
    /// - output: `[batch, 10]` logits
    fn logits(&self, input: Tensor<2>) -> Tensor<2> {
        self.out.forward(self.hidden(input))
    }

    /// As [`Self::logits`], with Keras' `Dropout(0.5)` before the output layer: each
    /// example's mask is drawn from its own stream of `noise` (inverted dropout, kept units
    /// scaled by 2), so the masks do not depend on how the step is split across threads.
    fn training_logits(&self, input: Tensor<2>, noise: StepNoise) -> Tensor<2> {
        let x = self.hidden(input); // [batch, 128]
        let [batch, units] = x.dims();
        let multipliers = noise.dropout_multipliers(batch, units, self.dropout.prob);
        let mask = Tensor::<2>::from_data(TensorData::new(multipliers, [batch, units]), &x.device());
        self.out.forward(x * mask)
    }

    async fn first_layer_filters(&self) -> Result<Vec<Vec<f32>>, crate::train::TrainError> {
        let data = self.conv1.weight.val().inner().into_data_async().await?;
        let values = data.try_into_vec::<f32>().map_err(|e| crate::train::TrainError::Backend(format!("{e:?}")))?;
        Ok(values.chunks(9).map(<[f32]>::to_vec).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::PIXELS;
    use crate::model::summary::cnn_summary;
    use rand::SeedableRng;

    #[test]
    fn shapes_and_parameter_counts_match_keras() {
        let device = Device::flex();
        let model = Cnn::new(&mut StdRng::seed_from_u64(1), &device);
        assert_eq!(model.num_params(), 366_034);
        assert_eq!(model.num_params(), cnn_summary().total_params());
        let per_layer = [model.conv1.num_params(), model.conv2.num_params(), model.fc1.num_params(), model.fc2.num_params(), model.out.num_params()];
        assert_eq!(per_layer, [320, 18_496, 320_200, 25_728, 1_290]);
        let x = Tensor::<2>::ones([3, PIXELS], &device);
        // Pooling strides by 2: 28 -conv-> 26 -pool-> 13 -conv-> 11 -pool-> 5.
        let pooled1 = model.pool.forward(relu(model.conv1.forward(x.clone().reshape([3, 1, 28, 28]))));
        assert_eq!(pooled1.dims(), [3, 32, 13, 13]);
        assert_eq!(model.features(x.clone()).dims(), [3, 64, 5, 5]);
        assert_eq!(model.logits(x).dims(), [3, 10]);
    }

    /// Dropout acts in training passes only, drawn from the step's noise: the same noise
    /// gives the same logits, another step's noise others, and evaluation none (two
    /// evaluations agree, and equal a training pass whose mask keeps everything).
    #[test]
    fn dropout_only_while_training() {
        let device = Device::flex().autodiff();
        let model = Cnn::new(&mut StdRng::seed_from_u64(1), &device);
        let x = Tensor::<2>::from_data(TensorData::new((0..4 * PIXELS).map(|i| (i % 17) as f32 / 17.0).collect::<Vec<_>>(), [4, PIXELS]), &device);
        let values = |t: Tensor<2>| t.inner().into_data().try_into_vec::<f32>().expect("f32");
        let step = StepNoise::for_step(7, 1);
        let train_a = values(model.training_logits(x.clone(), step));
        assert_eq!(train_a, values(model.training_logits(x.clone(), step)));
        assert_ne!(train_a, values(model.training_logits(x.clone(), StepNoise::for_step(7, 2))), "dropout should make steps differ");
        let eval_model = model.valid();
        let x_eval = x.inner();
        let eval_a = values(eval_model.logits(x_eval.clone()));
        assert_eq!(eval_a, values(eval_model.logits(x_eval)));
        assert_ne!(eval_a, train_a);
    }
}
