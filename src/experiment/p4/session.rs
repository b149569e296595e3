//! A P4 run end to end (its CNN stage, the autoencoder, 4B/4C/4D) and the session it
//! leaves behind for the page's later requests.

use burn::module::Module;
use crate::experiment::OptimizerConfig;
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Int, Tensor, TensorData, Transaction};
use rand::rngs::StdRng;
use rand::SeedableRng;
use web_time::Instant;

use super::*;
use super::latent::LatentGaussian;
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
pub(super) const EVAL_BATCH: usize = 1000;
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
    let mut optimizer = crate::train::adam::keras_adam();
    let (model, done) = resumed(model, config, resume)?;
    if let Some(state) = resume.and_then(|c| c.optimizer.clone()) {
        let record = OptimizerRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(state))
            .map_err(|e| TrainError::Config(format!("the checkpoint's optimizer state does not load: {e}")))?;
        optimizer = crate::train::adam::load_state(optimizer, record, device);
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
