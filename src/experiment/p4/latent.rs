//! 4D's latent space: a Gaussian fitted to the autoencoder's codes, sampled and
//! interpolated.

use burn::tensor::{Device, Tensor, Transaction};
use rand::rngs::StdRng;
use rand::RngExt;

use crate::data::MnistSplit;
use crate::model::autoencoder::{Autoencoder, LATENT};
use crate::train::TrainError;
use crate::train::batches::in_order;

/// A Gaussian over latent codes: mean and lower Cholesky factor of the covariance.
pub(super) struct LatentGaussian {
    mean: Vec<f64>,
    cholesky: Vec<f64>,
}

impl LatentGaussian {
    /// Fitted to the codes of `images` (first and second moments summed on the device,
    /// read once).
    pub(super) async fn fit(ae: &Autoencoder, images: &MnistSplit, device: &Device) -> Result<Self, TrainError> {
        let mut sum = Tensor::<2>::zeros([1, LATENT], device);
        let mut outer = Tensor::<2>::zeros([LATENT, LATENT], device);
        for batch in in_order(images, super::session::EVAL_BATCH) {
            let (x, _) = batch.into_tensors(device);
            let codes = ae.encode(x);
            sum = sum + codes.clone().sum_dim(0);
            outer = outer + codes.clone().transpose().matmul(codes);
        }
        let data = Transaction::default().register(sum).register(outer).execute_async().await?;
        let n = images.len().max(1) as f64;
        let mean: Vec<f64> = data[0].iter::<f64>().map(|v| v / n).collect();
        let second: Vec<f64> = data[1].iter::<f64>().map(|v| v / n).collect();
        let mut cov = vec![0.0; LATENT * LATENT];
        for i in 0..LATENT {
            for j in 0..LATENT {
                cov[i * LATENT + j] = second[i * LATENT + j] - mean[i] * mean[j];
            }
        }
        // Dead ReLU units give zero-variance rows: a small ridge keeps the factor real.
        let scale = (0..LATENT).map(|i| cov[i * LATENT + i]).sum::<f64>() / LATENT as f64;
        for ridge in [1e-6, 1e-4, 1e-2] {
            let mut ridged = cov.clone();
            for i in 0..LATENT {
                ridged[i * LATENT + i] += ridge * scale.max(1e-12);
            }
            if let Some(cholesky) = cholesky(&ridged, LATENT) {
                return Ok(Self { mean, cholesky });
            }
        }
        Err(TrainError::Backend("the latent covariance is not positive definite".into()))
    }

    /// `count` codes `mean + L·ε`, ε standard normal, clipped at 0.
    pub(super) fn sample(&self, count: usize, rng: &mut StdRng) -> Vec<f32> {
        let mut codes = Vec::with_capacity(count * LATENT);
        for _ in 0..count {
            let eps: Vec<f64> = (0..LATENT).map(|_| standard_normal(rng)).collect();
            for i in 0..LATENT {
                let row = &self.cholesky[i * LATENT..i * LATENT + i + 1];
                let z = self.mean[i] + row.iter().zip(&eps).map(|(l, e)| l * e).sum::<f64>();
                codes.push(z.max(0.0) as f32);
            }
        }
        codes
    }
}

/// Box–Muller (rand's distributions crate is not needed for one normal draw).
fn standard_normal(rng: &mut StdRng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Lower Cholesky factor of a symmetric `n x n` matrix, `None` if not positive definite.
/// Hand-written: 15 lines for a 96 x 96 matrix do not justify a linear-algebra crate.
pub(super) fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = a[i * n + i] - dot;
                if d <= 0.0 || !d.is_finite() {
                    return None;
                }
                l[i * n + j] = d.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - dot) / l[j * n + j];
            }
        }
    }
    Some(l)
}
