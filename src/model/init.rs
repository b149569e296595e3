//! Keras' default initialisers, drawn on the host from a seeded generator, so that the same
//! seed gives the same weights on every backend and platform (the WebGPU-vs-CPU test relies
//! on it). burn's own initialisers draw on the device with the device's generator.

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::RngExt;

/// `glorot_uniform`: U(-l, l) with l = sqrt(6 / (fan_in + fan_out)).
pub fn glorot_uniform(rng: &mut StdRng, fan_in: usize, fan_out: usize, count: usize) -> Vec<f32> {
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
    (0..count).map(|_| rng.random_range(-limit..=limit)).collect()
}

/// A Keras `Dense(fan_out)` on `fan_in` inputs: Glorot-uniform kernel `[fan_in, fan_out]`
/// (burn's row layout is Keras' kernel layout), zero bias.
pub fn dense(rng: &mut StdRng, fan_in: usize, fan_out: usize, device: &Device) -> Linear {
    let kernel = glorot_uniform(rng, fan_in, fan_out, fan_in * fan_out);
    Linear {
        weight: Param::from_tensor(Tensor::from_data(TensorData::new(kernel, [fan_in, fan_out]), device)),
        bias: Some(Param::from_tensor(Tensor::zeros([fan_out], device))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn glorot_limits_and_spread() {
        let mut rng = StdRng::seed_from_u64(3);
        let w = glorot_uniform(&mut rng, 784, 64, 784 * 64);
        let limit = (6.0f32 / 848.0).sqrt();
        assert!(w.iter().all(|v| v.abs() <= limit));
        let mean = w.iter().sum::<f32>() / w.len() as f32;
        let var = w.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / w.len() as f32;
        assert!(mean.abs() < 0.002, "mean {mean}");
        // Uniform variance l^2 / 3 = 2 / (fan_in + fan_out).
        assert!((var - 2.0 / 848.0).abs() < 1e-4, "var {var}");
    }

    #[test]
    fn same_seed_same_weights() {
        let a = glorot_uniform(&mut StdRng::seed_from_u64(9), 10, 10, 100);
        let b = glorot_uniform(&mut StdRng::seed_from_u64(9), 10, 10, 100);
        assert_eq!(a, b);
    }
}
