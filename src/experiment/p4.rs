//! Problem 4: salt-and-pepper noise, the denoising autoencoder, and what the seed does with
//! it — the 4B grid of noised and denoised digits, the 4C accuracy of P3's CNN on noised vs
//! denoised test digits across noise levels, and 4D digits generated from the latent space.
//!
//! Results are plain data (the page draws them without burn); running needs `ml`. A run
//! leaves a [`P4Session`] behind (the trained autoencoder, the CNN, the fitted latent
//! distribution), so the page can re-noise other digits and sample or interpolate new
//! ones without training again.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::RunConfig;
use crate::model::ModelSummary;

/// Training digits of the seed's 4B grid (`flattened_x_train[1..=4]`).
pub const SEED_GRID_DIGITS: [usize; 4] = [1, 2, 3, 4];
/// How many digits 4D samples from the latent distribution.
pub const SAMPLES: usize = 32;
/// Steps of a 4D interpolation, both ends included.
pub const INTERPOLATION_STEPS: usize = 10;
/// The default 4D interpolation: training digit 1 (a 0) to training digit 3 (a 1).
pub const DEFAULT_INTERPOLATION: (usize, usize) = (1, 3);

/// The CNN that P4 trains first when it is not given one: P3's network and optimizer with
/// P4's seed and data sizes, for `cnn_epochs` epochs (default: the seed's P3, 40). The CLI
/// and the page both call this, so they train the same CNN.
pub fn cnn_stage_config(config: &RunConfig, cnn_epochs: Option<usize>) -> RunConfig {
    let p3 = RunConfig::p3();
    let epochs = cnn_epochs.unwrap_or(p3.schedule.epochs);
    RunConfig { data: config.data, ..p3 }.with_epochs(epochs).with_seed(config.schedule.seed)
}

/// The autoencoder's losses in one epoch (Keras' `loss` and `val_loss`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossEpoch {
    pub epoch: usize,
    pub loss: f64,
    pub val_loss: f64,
    pub seconds: f64,
}

impl LossEpoch {
    /// As a classifier's epoch, for the shared log and charts: no accuracy (NaN).
    pub fn as_epoch_metrics(&self) -> crate::experiment::EpochMetrics {
        crate::experiment::EpochMetrics { epoch: self.epoch, loss: self.loss, accuracy: f64::NAN, val_loss: self.val_loss, val_accuracy: f64::NAN, seconds: self.seconds }
    }
}

/// 4B: digits, each noised at every level and denoised by the autoencoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseGrid {
    /// Indices in the training set.
    pub digits: Vec<usize>,
    pub labels: Vec<u8>,
    pub levels: Vec<f64>,
    /// `noisy[digit][level]`: 784 pixels (0..=255). Byte buffers (as every pixel array of the
    /// protocol) so that each crosses to the page as one `Uint8Array`: serde-wasm-bindgen
    /// makes a JS array of numbers from a plain `Vec<u8>`, one value at a time, which took
    /// the worker ~0.3 ms per pixel (20 s for this grid) in Chromium.
    pub noisy: Vec<Vec<ByteBuf>>,
    /// `denoised[digit][level]`: the autoencoder's output for `noisy[digit][level]`.
    pub denoised: Vec<Vec<ByteBuf>>,
}

/// 4C: the CNN's test accuracy at one noise level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DenoiseRow {
    pub level: f64,
    /// On the noised test digits (the seed's "seasoned score").
    pub noisy_accuracy: f64,
    /// On the autoencoder's reconstructions of them (the seed's "denoised score").
    pub denoised_accuracy: f64,
}

/// The first noise level at which denoising helps the CNN, interpolated linearly between
/// the two levels where the difference changes sign; `None` if it never does.
pub fn crossing_level(rows: &[DenoiseRow]) -> Option<f64> {
    let gain = |r: &DenoiseRow| r.denoised_accuracy - r.noisy_accuracy;
    if let Some(first) = rows.first() {
        if gain(first) >= 0.0 {
            return Some(first.level);
        }
    }
    rows.windows(2).find(|w| gain(&w[0]) < 0.0 && gain(&w[1]) >= 0.0).map(|w| {
        let (g0, g1) = (gain(&w[0]), gain(&w[1]));
        w[0].level + (w[1].level - w[0].level) * (-g0) / (g1 - g0)
    })
}

/// A digit decoded from a latent code, with what the CNN reads in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedDigit {
    #[serde(with = "serde_bytes")]
    pub pixels: Vec<u8>,
    /// The CNN's prediction and its softmax probability (`None` without a CNN).
    pub label: Option<u8>,
    pub confidence: Option<f64>,
}

/// How a set of 4D digits was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Generation {
    /// Codes drawn from a Gaussian fitted (mean and full covariance) to the encoded
    /// training digits, clipped at 0 like the ReLU codes they imitate.
    Sampled { seed: u64 },
    /// Codes on the straight line between the codes of two training digits.
    Interpolated { from: usize, to: usize, from_label: u8, to_label: u8 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generated {
    pub how: Generation,
    pub digits: Vec<GeneratedDigit>,
}

/// A finished P4 run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct P4Result {
    pub config: RunConfig,
    pub backend: String,
    pub model: ModelSummary,
    pub history: Vec<LossEpoch>,
    /// The last epoch's validation loss (noised test digits against the clean ones).
    pub val_loss: f64,
    /// Seconds of training and validation.
    pub seconds: f64,
    pub grid: NoiseGrid,
    /// Where the CNN of 4C and 4D came from; `None` if the run had none.
    pub cnn: Option<String>,
    /// 4C, one row per noise level (empty without a CNN).
    pub denoising: Vec<DenoiseRow>,
    pub sampled: Generated,
    pub interpolated: Generated,
}

#[cfg(feature = "ml")]
pub use session::{CnnInput, P4Session, export_autoencoder, run_p4, run_p4_from, run_p4_pipeline};

#[cfg(feature = "ml")]
mod session {
    use burn::module::Module;
    use burn::optim::AdamConfig;
    use crate::experiment::OptimizerConfig;
    use burn::tensor::activation::softmax;
    use burn::tensor::{Device, Int, Tensor, TensorData, Transaction};
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};
    use web_time::Instant;

    use super::*;
    use crate::data::noise::{NOISE_LEVELS, TRAIN_NOISE_LEVEL, noised_split};
    use crate::data::{Mnist, MnistSplit, PIXELS};
    use crate::experiment::ExperimentId;
    use crate::experiment::RunResult;
    use crate::experiment::result::Checkpoint;
    use crate::experiment::run::{resumed, run_p3, train_options};
    use burn::optim::OptimizerRecord;
    use crate::model::autoencoder::{Autoencoder, LATENT};
    use crate::model::cnn::Cnn;
    use crate::train::batches::{Batch, in_order};
    use crate::train::denoise::{NoisyPairs, fit_autoencoder};
    use crate::train::{Classifier, TrainError, TrainObserver};

    /// Salts mixed into the run seed, so every noise draw is its own stream.
    const TRAIN_NOISE_SALT: u64 = 0x4e4f_4953_4554_5231;
    const TEST_NOISE_SALT: u64 = 0x4e4f_4953_4554_5432;
    const GRID_SALT: u64 = 0x4752_4944;
    const TABLE_SALT: u64 = 0x5441_424c_45;
    const EVAL_BATCH: usize = 1000;
    /// 4C's batches: small enough that a cancel waits at most one of them (~0.2 s on the
    /// page's CPU backend), with the sums still read back once per noise level.
    const TABLE_BATCH: usize = 250;

    fn to_u8(pixels: &[f32]) -> Vec<Vec<u8>> {
        pixels.chunks(PIXELS).map(|img| img.iter().map(|&p| (p * 255.0).round().clamp(0.0, 255.0) as u8).collect()).collect()
    }

    fn pixels_tensor(images: &[ByteBuf], device: &Device) -> Tensor<2> {
        let flat: Vec<f32> = images.iter().flatten().map(|&p| f32::from(p) / 255.0).collect();
        Tensor::from_data(TensorData::new(flat, [images.len(), PIXELS]), device)
    }

    /// A Gaussian over latent codes: mean and lower Cholesky factor of the covariance.
    struct LatentGaussian {
        mean: Vec<f64>,
        cholesky: Vec<f64>,
    }

    impl LatentGaussian {
        /// Fitted to the codes of `images` (first and second moments summed on the device,
        /// read once).
        async fn fit(ae: &Autoencoder, images: &MnistSplit, device: &Device) -> Result<Self, TrainError> {
            let mut sum = Tensor::<2>::zeros([1, LATENT], device);
            let mut outer = Tensor::<2>::zeros([LATENT, LATENT], device);
            for batch in in_order(images, EVAL_BATCH) {
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
        fn sample(&self, count: usize, rng: &mut StdRng) -> Vec<f32> {
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

    /// What a P4 run leaves behind: enough to redraw 4B and 4D on request.
    pub struct P4Session {
        pub autoencoder: Autoencoder,
        pub cnn: Option<Cnn>,
        latent: LatentGaussian,
        device: Device,
    }

    impl P4Session {
        /// 4B: each of `digits` (training indices) noised at every level, and denoised.
        pub async fn noise_grid(&self, train: &MnistSplit, digits: &[usize], seed: u64) -> Result<NoiseGrid, TrainError> {
            if let Some(&bad) = digits.iter().find(|&&d| d >= train.len()) {
                return Err(TrainError::Config(format!("training digit {bad} does not exist (0 to {})", train.len().saturating_sub(1))));
            }
            let mut noisy = Vec::with_capacity(digits.len());
            for (row, &digit) in digits.iter().enumerate() {
                let one = MnistSplit { images: train.image(digit).to_vec(), labels: vec![train.labels[digit]] };
                noisy.push(
                    NOISE_LEVELS
                        .iter()
                        .enumerate()
                        .map(|(col, &level)| ByteBuf::from(noised_split(&one, level, seed ^ GRID_SALT ^ ((row * 16 + col) as u64) << 20).images))
                        .collect::<Vec<_>>(),
                );
            }
            let flat: Vec<ByteBuf> = noisy.iter().flatten().cloned().collect();
            let out = self.autoencoder.denoise(pixels_tensor(&flat, &self.device)).into_data_async().await?;
            let out: Vec<f32> = out.iter::<f32>().collect();
            let denoised: Vec<Vec<ByteBuf>> = to_u8(&out).into_iter().map(ByteBuf::from).collect::<Vec<_>>().chunks(NOISE_LEVELS.len()).map(<[_]>::to_vec).collect();
            Ok(NoiseGrid {
                digits: digits.to_vec(),
                labels: digits.iter().map(|&d| train.labels[d]).collect(),
                levels: NOISE_LEVELS.to_vec(),
                noisy,
                denoised,
            })
        }

        /// 4C: the CNN's accuracy on `test` noised at every level, and on the denoised
        /// images. `on_level` is told each level (and how many are done) as it starts.
        pub async fn denoising_table<O: TrainObserver>(&self, test: &MnistSplit, seed: u64, observer: &mut O) -> Result<Vec<DenoiseRow>, TrainError> {
            let Some(cnn) = &self.cnn else { return Ok(Vec::new()) };
            let n = test.len().max(1) as f64;
            let mut rows = Vec::with_capacity(NOISE_LEVELS.len());
            for (i, &level) in NOISE_LEVELS.iter().enumerate() {
                observer.phase(&format!("4C: the CNN on {} test digits noised at {level:.1}, and denoised ({i} of {} levels done)", test.len(), NOISE_LEVELS.len()));
                let noised = noised_split(test, level, seed ^ TABLE_SALT ^ (i as u64) << 24);
                let mut correct_noisy = Tensor::<1, Int>::zeros([1], &self.device);
                let mut correct_denoised = Tensor::<1, Int>::zeros([1], &self.device);
                for batch in in_order(&noised, TABLE_BATCH) {
                    // 4C is 22 CNN passes over the test set: a cancel is honoured here too.
                    if observer.should_stop() {
                        return Err(TrainError::Cancelled { completed: 0 });
                    }
                    observer.pause().await;
                    let count = batch.len();
                    let (x, y) = batch.into_tensors(&self.device);
                    let hits = |logits: Tensor<2>| logits.argmax(1).reshape([count]).equal(y.clone()).int().sum();
                    correct_noisy = correct_noisy + hits(cnn.logits(x.clone()));
                    correct_denoised = correct_denoised + hits(cnn.logits(self.autoencoder.denoise(x)));
                }
                let data = Transaction::default().register(correct_noisy).register(correct_denoised).execute_async().await?;
                let count = |d: &TensorData| d.iter::<i64>().next().unwrap_or(0) as f64;
                rows.push(DenoiseRow { level, noisy_accuracy: count(&data[0]) / n, denoised_accuracy: count(&data[1]) / n });
            }
            Ok(rows)
        }

        /// Decodes `codes` (`[count * 96]`) and lets the CNN read each digit.
        async fn decode(&self, codes: Vec<f32>, how: Generation) -> Result<Generated, TrainError> {
            let count = codes.len() / LATENT;
            let images = self.autoencoder.decode(Tensor::from_data(TensorData::new(codes, [count, LATENT]), &self.device));
            let mut transaction = Transaction::default().register(images.clone());
            if let Some(cnn) = &self.cnn {
                let probs = softmax(cnn.logits(images), 1);
                transaction = transaction.register(probs.clone().max_dim(1)).register(probs.argmax(1));
            }
            let data = transaction.execute_async().await?;
            let pixels: Vec<f32> = data[0].iter::<f32>().collect();
            let (confidences, labels): (Vec<Option<f64>>, Vec<Option<u8>>) = if data.len() == 3 {
                (data[1].iter::<f64>().map(Some).collect(), data[2].iter::<i64>().map(|l| Some(l.clamp(0, 9) as u8)).collect())
            } else {
                (vec![None; count], vec![None; count])
            };
            let digits = to_u8(&pixels)
                .into_iter()
                .zip(labels.into_iter().zip(confidences))
                .map(|(pixels, (label, confidence))| GeneratedDigit { pixels, label, confidence })
                .collect();
            Ok(Generated { how, digits })
        }

        /// 4D: `count` digits from codes sampled from the fitted latent Gaussian.
        pub async fn sample(&self, count: usize, seed: u64) -> Result<Generated, TrainError> {
            let codes = self.latent.sample(count.clamp(1, 256), &mut StdRng::seed_from_u64(seed));
            self.decode(codes, Generation::Sampled { seed }).await
        }

        /// 4D: `steps` digits on the line between the codes of training digits `from` and `to`.
        pub async fn interpolate(&self, train: &MnistSplit, from: usize, to: usize, steps: usize) -> Result<Generated, TrainError> {
            if from >= train.len() || to >= train.len() {
                return Err(TrainError::Config(format!("training digits are numbered 0 to {}", train.len().saturating_sub(1))));
            }
            let steps = steps.clamp(2, 64);
            let (x, _) = Batch::gather(train, &[from, to]).into_tensors(&self.device);
            let ends: Vec<f32> = self.autoencoder.encode(x).into_data_async().await?.iter::<f32>().collect();
            let (a, b) = ends.split_at(LATENT);
            let mut codes = Vec::with_capacity(steps * LATENT);
            for s in 0..steps {
                let t = s as f32 / (steps - 1) as f32;
                codes.extend(a.iter().zip(b).map(|(a, b)| (1.0 - t) * a + t * b));
            }
            let how = Generation::Interpolated { from, to, from_label: train.labels[from], to_label: train.labels[to] };
            self.decode(codes, how).await
        }
    }

    /// Runs P4: noises the data, trains the autoencoder as the seed does, then computes 4B,
    /// 4C (when a CNN is given, with `cnn_source` saying where it came from) and 4D.
    /// `device` is a plain device; autodiff is added for training.
    pub async fn run_p4<O: TrainObserver>(
        config: &RunConfig,
        data: &Mnist,
        cnn: Option<(Cnn, String)>,
        device: &Device,
        backend: &str,
        observer: &mut O,
    ) -> Result<(P4Result, P4Session), TrainError> {
        run_p4_from(config, data, cnn, device, backend, observer, None).await
    }

    /// [`run_p4`], going on from `resume` (the end of an earlier epoch of the same run:
    /// the autoencoder's weights and Adam's moments) if given.
    pub async fn run_p4_from<O: TrainObserver>(
        config: &RunConfig,
        data: &Mnist,
        cnn: Option<(Cnn, String)>,
        device: &Device,
        backend: &str,
        observer: &mut O,
        resume: Option<&Checkpoint>,
    ) -> Result<(P4Result, P4Session), TrainError> {
        if config.experiment != ExperimentId::P4 {
            return Err(TrainError::Config("run_p4 runs experiment p4 only".into()));
        }
        config.validate().map_err(|e| TrainError::from_params(&e))?;
        let train = data.train.take(config.data.train_size);
        let test = data.test.take(config.data.test_size);
        observer.phase("adding salt-and-pepper noise (0.4) to the training and test digits");
        observer.pause().await;
        let noisy_train = noised_split(&train, TRAIN_NOISE_LEVEL, config.schedule.seed ^ TRAIN_NOISE_SALT);
        let noisy_test = noised_split(&test, TRAIN_NOISE_LEVEL, config.schedule.seed ^ TEST_NOISE_SALT);

        let train_device = device.clone().autodiff();
        train_device.seed(config.schedule.seed);
        let model = Autoencoder::new(&mut StdRng::seed_from_u64(config.schedule.seed), &train_device);
        let summary = model.summary();
        let OptimizerConfig::Adam(adam) = config.optimizer else {
            return Err(TrainError::Config("P4's autoencoder trains with Adam, not SGD".into()));
        };
        // Keras' Adam defaults (burn's epsilon default is 1e-5).
        let mut optimizer = AdamConfig::new().with_beta_1(0.9).with_beta_2(0.999).with_epsilon(1e-7).init();
        let (model, done) = resumed(model, config, resume)?;
        if let Some(state) = resume.and_then(|c| c.optimizer.clone()) {
            let record = OptimizerRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(state))
                .map_err(|e| TrainError::Config(format!("the checkpoint's optimizer state does not load: {e}")))?;
            optimizer = optimizer.load_record(record);
        } else if resume.is_some() {
            return Err(TrainError::Config("the checkpoint has no optimizer state (Adam's moments): P4 cannot go on from it".into()));
        }
        let started = Instant::now();
        let (model, history) = fit_autoencoder(
            model,
            &mut optimizer,
            NoisyPairs { noisy: &noisy_train, clean: &train },
            NoisyPairs { noisy: &noisy_test, clean: &test },
            &train_options(config, adam.lr),
            &train_device,
            observer,
            &done,
        )
        .await?;
        let seconds = started.elapsed().as_secs_f64();
        let val_loss = history.last().map(|m| m.val_loss).ok_or_else(|| TrainError::Config("zero epochs".into()))?;
        let history: Vec<LossEpoch> = history.iter().map(|m| LossEpoch { epoch: m.epoch, loss: m.loss, val_loss: m.val_loss, seconds: m.seconds }).collect();

        let plain = device.clone();
        let autoencoder = model.valid();
        observer.phase("fitting a Gaussian to the latent codes of the training digits");
        observer.pause().await;
        let latent = LatentGaussian::fit(&autoencoder, &train, &plain).await?;
        let (cnn, cnn_source) = match cnn {
            Some((cnn, source)) => (Some(cnn.valid()), Some(source)),
            None => (None, None),
        };
        let session = P4Session { autoencoder, cnn, latent, device: plain };
        observer.phase("4B: noising and denoising four training digits");
        observer.pause().await;
        let grid = session.noise_grid(&data.train, &SEED_GRID_DIGITS, config.schedule.seed).await?;
        let epochs = history.len();
        let denoising = session.denoising_table(&test, config.schedule.seed, observer).await.map_err(|e| match e {
            TrainError::Cancelled { .. } => TrainError::Cancelled { completed: epochs },
            e => e,
        })?;
        observer.phase("4D: generating digits from the latent space");
        let sampled = session.sample(SAMPLES, config.schedule.seed).await?;
        let (from, to) = DEFAULT_INTERPOLATION;
        let interpolated = session.interpolate(&data.train, from, to, INTERPOLATION_STEPS).await?;
        let result = P4Result {
            config: config.clone(),
            backend: backend.to_string(),
            model: summary,
            history,
            val_loss,
            seconds,
            grid,
            cnn: cnn_source,
            denoising,
            sampled,
            interpolated,
        };
        Ok((result, session))
    }

    /// The trained autoencoder as a weights file (the playground's denoiser), its training
    /// figures and setup (`config.*`) in the header.
    pub async fn export_autoencoder(session: &P4Session, result: &P4Result) -> Result<Vec<u8>, crate::model::weights::WeightsError> {
        let mut metadata = std::collections::BTreeMap::from([
            ("val_loss".to_string(), format!("{:.4}", result.val_loss)),
            ("epochs".to_string(), result.history.len().to_string()),
            ("train_size".to_string(), result.config.data.train_size.to_string()),
            ("backend".to_string(), result.backend.clone()),
        ]);
        metadata.extend(result.config.to_pairs().into_iter().map(|(k, v)| (format!("config.{k}"), v)));
        crate::model::weights::export(&session.autoencoder, crate::model::weights::model_name(ExperimentId::P4), metadata).await
    }

    /// Where P4's CNN comes from.
    pub enum CnnInput {
        /// A CNN already trained (kept in the browser, uploaded, or read from a file), with a
        /// sentence saying how it was trained.
        Given(Cnn, String),
        /// Train P3's CNN with this config first, in the same run.
        Train(RunConfig),
        /// No CNN: P4 runs without 4C and 4D's labels.
        None,
    }

    /// P4 end to end: its CNN (given, or trained first as stage 1 of 2), then the
    /// autoencoder and 4B/4C/4D ([`run_p4`]). Returns the CNN trained here, with its result,
    /// so the caller can keep it.
    pub async fn run_p4_pipeline<O: TrainObserver>(
        config: &RunConfig,
        data: &Mnist,
        cnn: CnnInput,
        device: &Device,
        backend: &str,
        observer: &mut O,
        resume: Option<&Checkpoint>,
    ) -> Result<(P4Result, P4Session, Option<(RunResult, Cnn)>), TrainError> {
        let (given, trained) = match cnn {
            CnnInput::Given(cnn, source) => (Some((cnn, source)), None),
            CnnInput::None => (None, None),
            CnnInput::Train(cnn_config) => {
                observer.stage(0, 2, "step 1 of 2: P3's CNN, for 4C and 4D", &cnn_config);
                let (result, cnn) = run_p3(&cnn_config, data, device, backend, observer).await?;
                let source = format!("P3's CNN trained in this run: {} epoch(s), test accuracy {:.4}", result.history.len(), result.test_accuracy);
                observer.stage(1, 2, "step 2 of 2: the denoising autoencoder", config);
                (Some((cnn.clone(), source)), Some((result, cnn)))
            }
        };
        let (result, session) = run_p4_from(config, data, given, device, backend, observer, resume).await?;
        Ok((result, session, trained))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::seed;

    fn row(level: f64, noisy: f64, denoised: f64) -> DenoiseRow {
        DenoiseRow { level, noisy_accuracy: noisy, denoised_accuracy: denoised }
    }

    /// The seed's own 4C figures cross between 0.1 and 0.2 (its text says about 0.15).
    #[test]
    fn crossing_of_the_seed_series() {
        let rows: Vec<DenoiseRow> = (0..11).map(|i| row(i as f64 / 10.0, seed::P4_NOISY_ACCURACY[i], seed::P4_DENOISED_ACCURACY[i])).collect();
        let at = crossing_level(&rows).expect("crosses");
        assert!((at - 0.1183).abs() < 1e-3, "{at}");
        assert_eq!(crossing_level(&[row(0.0, 0.9, 0.8), row(0.1, 0.8, 0.7)]), None);
        assert_eq!(crossing_level(&[row(0.0, 0.8, 0.9)]), Some(0.0));
    }

    #[cfg(feature = "ml")]
    #[test]
    fn cholesky_of_a_known_matrix() {
        // [[4, 2], [2, 3]] = L Lᵀ with L = [[2, 0], [1, √2]].
        let l = session::cholesky(&[4.0, 2.0, 2.0, 3.0], 2).expect("positive definite");
        assert!((l[0] - 2.0).abs() < 1e-12 && l[1] == 0.0 && (l[2] - 1.0).abs() < 1e-12 && (l[3] - 2f64.sqrt()).abs() < 1e-12);
        assert!(session::cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }

    /// P4 end to end on a subset, natively: the autoencoder's loss falls, 4B has the seed's
    /// shape with level 0 the clean digit, 4C has 11 rows whose level-0 noisy accuracy is the
    /// CNN's clean accuracy, and 4D decodes labelled digits.
    #[cfg(feature = "ml")]
    #[test]
    fn p4_on_a_subset() {
        let _rng = crate::train::device_rng_lock();
        use crate::data::Mnist;
        use crate::experiment::run::run_p3;
        use crate::train::Silent;
        use burn::tensor::Device;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mnist");
        let data = Mnist::load_dir(&dir, false).expect("committed MNIST");
        let device = Device::flex();
        // As `p3_converges_on_a_subset`: 2 epochs on 6,000 digits reliably reach ~0.89 (one
        // epoch on 3,000 is too close to the start: dropout draws from a generator the
        // parallel tests share, and one such run stayed at 0.34).
        let cnn_config = RunConfig::p3().with_epochs(2).with_train_size(6000).with_test_size(500);
        let (cnn_result, cnn) = pollster::block_on(run_p3(&cnn_config, &data, &device, "cpu", &mut Silent)).expect("cnn");
        let config = RunConfig::p4().with_epochs(3).with_train_size(3000).with_test_size(500);
        let (result, session) = pollster::block_on(run_p4(&config, &data, Some((cnn, "test".into())), &device, "cpu", &mut Silent)).expect("p4");

        assert_eq!(result.history.len(), 3);
        assert!(result.history[0].loss < 0.5, "BCE starts near ln 2 = 0.69: {:?}", result.history[0]);
        for pair in result.history.windows(2) {
            assert!(pair[1].loss < pair[0].loss && pair[1].val_loss < pair[0].val_loss, "{pair:?}");
        }
        assert_eq!(result.val_loss, result.history[2].val_loss);
        assert_eq!(result.model.total_params(), 226_416);

        let grid = &result.grid;
        assert_eq!((grid.digits.clone(), grid.labels.clone()), (SEED_GRID_DIGITS.to_vec(), vec![0, 4, 1, 9]));
        assert_eq!((grid.noisy.len(), grid.noisy[0].len(), grid.noisy[0][0].len()), (4, 11, 784));
        assert_eq!((grid.denoised.len(), grid.denoised[3].len(), grid.denoised[3][10].len()), (4, 11, 784));
        assert_eq!(&grid.noisy[0][0][..], data.train.image(1), "noise 0 is the clean digit");
        assert!(grid.noisy[2][10].iter().all(|&p| p == 0 || p == 255), "noise 1 replaces every pixel");

        assert_eq!(result.denoising.len(), 11);
        assert!((result.denoising[0].noisy_accuracy - cnn_result.test_accuracy).abs() < 1e-9, "{:?} vs {}", result.denoising[0], cnn_result.test_accuracy);
        assert!(cnn_result.test_accuracy > 0.7, "the CNN learned: {}", cnn_result.test_accuracy);
        assert!(result.denoising.iter().all(|r| (0.0..=1.0).contains(&r.noisy_accuracy) && (0.0..=1.0).contains(&r.denoised_accuracy)));
        // Heavy noise hurts the CNN far more than light noise.
        assert!(result.denoising[9].noisy_accuracy < result.denoising[1].noisy_accuracy - 0.2, "{:?}", result.denoising);

        assert_eq!(result.sampled.digits.len(), SAMPLES);
        assert!(result.sampled.digits.iter().all(|d| d.pixels.len() == 784 && d.label.is_some() && d.confidence.is_some_and(|c| (0.1..=1.0).contains(&c))));
        assert_eq!(result.interpolated.digits.len(), INTERPOLATION_STEPS);
        assert_eq!(result.interpolated.how, Generation::Interpolated { from: 1, to: 3, from_label: 0, to_label: 1 });

        // The session redraws on request, reproducibly.
        let again = pollster::block_on(session.sample(4, 7)).expect("sample");
        assert_eq!(again, pollster::block_on(session.sample(4, 7)).expect("sample"));
        assert_ne!(again.digits[0].pixels, pollster::block_on(session.sample(4, 8)).expect("sample").digits[0].pixels);
        let grid = pollster::block_on(session.noise_grid(&data.train, &[10, 20], 3)).expect("grid");
        assert_eq!(grid.noisy.len(), 2);
        assert!(pollster::block_on(session.noise_grid(&data.train, &[60_000], 3)).is_err());
    }

    /// P4 resumed from the end of epoch 1 (the autoencoder's weights and Adam's moments
    /// from a checkpoint, the parameter ids remapped through the weights file) ends exactly
    /// as the uninterrupted run; without Adam's state it would not (checked too).
    #[cfg(feature = "ml")]
    #[test]
    fn p4_resumed_from_a_checkpoint_ends_as_the_uninterrupted_one() {
        let _rng = crate::train::device_rng_lock();
        use crate::data::Mnist;
        use crate::experiment::EpochMetrics;
        use crate::experiment::result::Checkpoint;
        use crate::train::{Silent, TrainObserver};
        use burn::tensor::Device;

        #[derive(Default)]
        struct First(Option<Checkpoint>);
        impl TrainObserver for First {
            fn progress(&mut self, _: &crate::experiment::result::StepProgress) {}
            fn epoch_end(&mut self, _: &EpochMetrics) {}
            fn wants_checkpoints(&self) -> bool {
                true
            }
            fn checkpoint(&mut self, history: &[EpochMetrics], weights: Vec<u8>, optimizer: Option<Vec<u8>>) {
                if self.0.is_none() {
                    let config = RunConfig::p4().with_epochs(3).with_train_size(640).with_test_size(200);
                    self.0 = Some(Checkpoint { config, history: history.to_vec(), weights, optimizer });
                }
            }
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mnist");
        let data = Mnist::load_dir(&dir, false).expect("committed MNIST");
        let config = RunConfig::p4().with_epochs(3).with_train_size(640).with_test_size(200);
        let mut first = First::default();
        let (whole, _) = pollster::block_on(run_p4(&config, &data, None, &Device::flex(), "cpu", &mut first)).expect("p4");
        let checkpoint = first.0.expect("a checkpoint after epoch 1");
        assert_eq!(checkpoint.history.len(), 1);
        assert!(checkpoint.optimizer.as_ref().is_some_and(|o| o.len() > 2 * 226_416 * 4), "Adam keeps two moments per weight");

        // The resumed run is a fresh model in the same process: its parameter ids differ
        // from the checkpoint's until the weights file restores them.
        let (resumed, _) = pollster::block_on(run_p4_from(&config, &data, None, &Device::flex(), "cpu", &mut Silent, Some(&checkpoint))).expect("resumed");
        let losses = |r: &P4Result| r.history.iter().map(|e| (e.epoch, e.loss, e.val_loss)).collect::<Vec<_>>();
        assert_eq!(losses(&resumed), losses(&whole));
        assert_eq!(resumed.val_loss, whole.val_loss);
        assert_eq!(resumed.grid, whole.grid);
        assert_eq!(resumed.sampled, whole.sampled);

        // Without Adam's moments the run is refused, not silently different.
        let bare = Checkpoint { optimizer: None, ..checkpoint };
        assert!(pollster::block_on(run_p4_from(&config, &data, None, &Device::flex(), "cpu", &mut Silent, Some(&bare))).is_err());
    }

    /// Without a CNN, 4C is empty and generated digits are unlabelled.
    #[cfg(feature = "ml")]
    #[test]
    fn p4_without_a_cnn() {
        let _rng = crate::train::device_rng_lock();
        use crate::data::Mnist;
        use crate::train::Silent;
        use burn::tensor::Device;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mnist");
        let data = Mnist::load_dir(&dir, false).expect("committed MNIST");
        let config = RunConfig::p4().with_epochs(1).with_train_size(640).with_test_size(100);
        let (result, _) = pollster::block_on(run_p4(&config, &data, None, &Device::flex(), "cpu", &mut Silent)).expect("p4");
        assert!(result.denoising.is_empty() && result.cnn.is_none());
        assert!(result.sampled.digits.iter().all(|d| d.label.is_none()));
    }
}

/// P4's one entry point: a CNN trained first in the same run gives the same 4C and 4D as
/// that CNN read back from its weights file.
#[cfg(all(test, feature = "ml"))]
mod pipeline_tests {
    use super::*;
    use crate::data::Mnist;
    use crate::train::Silent;
    use burn::tensor::Device;

    #[test]
    fn trained_first_equals_the_same_cnn_from_a_file() {
        let _rng = crate::train::device_rng_lock();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mnist");
        let data = Mnist::load_dir(&dir, false).expect("committed MNIST");
        let device = Device::flex();
        let config = RunConfig::p4().with_epochs(1).with_train_size(640).with_test_size(200);
        let cnn_config = cnn_stage_config(&config, Some(1)).with_train_size(1000);
        assert_eq!((cnn_config.schedule.epochs, cnn_config.schedule.seed, cnn_config.optimizer.lr(), cnn_config.schedule.batch_size), (1, config.schedule.seed, 0.1, 128));
        let (first, _, trained) = pollster::block_on(run_p4_pipeline(&config, &data, CnnInput::Train(cnn_config), &device, "cpu", &mut Silent, None)).expect("p4 with its CNN trained first");
        let (cnn_result, cnn) = trained.expect("the trained CNN is handed back");
        let bytes = pollster::block_on(crate::experiment::run::export_cnn(&cnn, &cnn_result)).expect("export");
        let (from_file, source) = crate::experiment::run::import_cnn(&bytes, &device).expect("import");
        let (second, _, none) = pollster::block_on(run_p4_pipeline(&config, &data, CnnInput::Given(from_file, source), &device, "cpu", &mut Silent, None)).expect("p4 with the CNN from its file");
        assert!(none.is_none());
        assert_eq!(first.denoising.len(), 11);
        assert_eq!(first.denoising, second.denoising, "4C");
        assert_eq!(first.sampled, second.sampled, "4D sampled digits and labels");
        assert_eq!(first.interpolated, second.interpolated, "4D interpolation");
        let losses = |r: &P4Result| r.history.iter().map(|e| (e.loss, e.val_loss)).collect::<Vec<_>>();
        assert_eq!(losses(&first), losses(&second), "the autoencoder trains the same");
    }
}
