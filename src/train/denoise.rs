//! Training P4's denoising autoencoder: noisy images in, clean images as targets, binary
//! cross-entropy, Adam. The same shape of loop as [`super::fit`] (metrics summed on the
//! device and read back as [`super::ReportClock`] says), without classes or accuracy.

use burn::module::Module;
use burn::optim::{GradientsAccumulator, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData, Transaction};
use web_time::Instant;

use super::batches::Batch;
use super::loss::binary_cross_entropy_with_logits;
use super::report::{At, ProgressReads, Sums};
use super::{TrainError, TrainObserver, TrainOptions};
use crate::data::{MnistSplit, PIXELS};
use crate::experiment::EpochMetrics;
use crate::model::autoencoder::Autoencoder;

/// Noisy inputs and the clean images they came from: the same digits in the same order.
#[derive(Clone, Copy)]
pub struct NoisyPairs<'a> {
    pub noisy: &'a MnistSplit,
    pub clean: &'a MnistSplit,
}

impl NoisyPairs<'_> {
    pub fn len(&self) -> usize {
        self.noisy.len().min(self.clean.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Inputs and targets `[n, 784]` on `device`.
    fn tensors(&self, indices: &[usize], device: &Device) -> (Tensor<2>, Tensor<2>) {
        let n = indices.len();
        let input = Batch::gather(self.noisy, indices).pixels;
        let target = Batch::gather(self.clean, indices).pixels;
        (
            Tensor::from_data(TensorData::new(input, [n, PIXELS]), device),
            Tensor::from_data(TensorData::new(target, [n, PIXELS]), device),
        )
    }
}

async fn read_scalar(sum: Tensor<1>) -> Result<f64, TrainError> {
    let data = Transaction::default().register(sum).execute_async().await?;
    Ok(data[0].iter::<f64>().next().unwrap_or(f64::NAN))
}

/// The training loss summed over the examples seen, as a progress report reads it.
async fn read_loss_sum(sum: Tensor<1>) -> Result<Sums, TrainError> {
    Ok((read_scalar(sum).await?, None))
}

/// Mean binary cross-entropy of the reconstructions of `pairs.noisy` against `pairs.clean`
/// (the seed's `val_loss`). `model` in evaluation mode, on a plain device.
/// On the CPU backend, batches run one per thread of its pool.
pub async fn reconstruction_loss(model: &Autoencoder, pairs: NoisyPairs<'_>, batch_size: usize, device: &Device) -> Result<f64, TrainError> {
    let batch_size = batch_size.max(1);
    let round = super::parallel::threads_on(device, super::parallel::available_threads());
    let starts: Vec<usize> = (0..pairs.len()).step_by(batch_size).collect();
    let mut sum = Tensor::<1>::zeros([1], device);
    for starts in starts.chunks(round) {
        let jobs: Vec<_> = starts.iter().map(|&start| (model.clone(), start)).collect();
        let sums = super::parallel::map(jobs, |(model, start)| {
            let indices: Vec<usize> = (start..(start + batch_size).min(pairs.len())).collect();
            let (x, y) = pairs.tensors(&indices, device);
            binary_cross_entropy_with_logits(model.reconstruction_logits(x), y) * indices.len() as f32
        });
        for part in sums {
            sum = sum + part;
        }
    }
    Ok(read_scalar(sum).await? / pairs.len().max(1) as f64)
}

/// Forward and backward pass of the batch `indices` in `shards` shards, as the classifiers'
/// loop does ([`super::parallel`]): each shard backpropagates its part of the batch's mean,
/// `(count / batch) · mean`, and returns its mean (without autodiff), count and gradients,
/// in shard order.
fn step_shards(model: &Autoencoder, train: NoisyPairs<'_>, indices: &[usize], shards: usize, device: &Device) -> Vec<(Tensor<1>, usize, GradientsParams)> {
    let batch = indices.len().max(1) as f32;
    let shard = |model: &Autoencoder, rows: &[usize]| {
        let (x, y) = train.tensors(rows, device);
        let mean = binary_cross_entropy_with_logits(model.reconstruction_logits(x), y);
        let grads = GradientsParams::from_grads((mean.clone() * (rows.len() as f32 / batch)).backward(), model);
        (mean.inner(), rows.len(), grads)
    };
    if shards <= 1 {
        return vec![shard(model, indices)];
    }
    let jobs: Vec<_> = super::parallel::split(indices, shards).into_iter().map(|(_, rows)| (model.clone().fork(device), rows)).collect();
    super::parallel::map(jobs, |(fork, rows)| shard(&fork, rows))
}

/// Trains the autoencoder on `train` (shuffled every epoch), validating on `validation`
/// after every epoch. `device` must be an autodiff device holding the model. The epochs'
/// `accuracy` fields are NaN: an autoencoder has none.
///
/// `done`: the epochs a checkpoint already holds (the model carries their weights and
/// `optimizer` their Adam state); their shuffles are replayed. When the observer keeps
/// checkpoints, each epoch's end but the last gives it the weights (with their parameter
/// ids) and Adam's state. Reading that state is synchronous: only on the CPU backend.
#[allow(clippy::too_many_arguments)]
pub async fn fit_autoencoder<O: TrainObserver>(
    mut model: Autoencoder,
    optimizer: &mut ModuleOptimizer,
    train: NoisyPairs<'_>,
    validation: NoisyPairs<'_>,
    options: &TrainOptions,
    device: &Device,
    observer: &mut O,
    done: &[EpochMetrics],
) -> Result<(Autoencoder, Vec<EpochMetrics>), TrainError> {
    let (plain, mut shuffles) = super::prepare_loop(device, train.len(), options)?;
    let steps = shuffles.steps_per_epoch();
    let mut clock = super::ReportClock::new(options.report_every);
    let mut history = Vec::with_capacity(options.epochs);
    for metrics in done.iter().take(options.epochs) {
        shuffles.next_epoch();
        history.push(metrics.clone());
    }
    let shards = super::parallel::shard_count(device, options.batch_size, options.threads, model.summary().forward_macs_per_example());
    // Only the CPU backend computes on subnormals at a crawl (a GPU flushes them itself).
    let flush_state = super::parallel::is_cpu(device);
    for epoch in history.len() + 1..=options.epochs {
        let started = Instant::now();
        let mut loss_sum = Tensor::<1>::zeros([1], &plain);
        let mut reads = ProgressReads::default();
        let mut seen = 0usize;
        for (step, indices) in shuffles.next_epoch().into_iter().enumerate() {
            if observer.should_stop() {
                return Err(TrainError::Cancelled { completed: epoch - 1 });
            }
            let train_step = || {
                let mut gradients = GradientsAccumulator::<Autoencoder>::new();
                for (mean, count, grads) in step_shards(&model, train, &indices, shards, device) {
                    loss_sum = loss_sum.clone() + mean * count as f32;
                    gradients.accumulate(&model, grads);
                }
                optimizer.step(options.lr, model, gradients.grads())
            };
            model = super::parallel::run_step(shards, train_step);
            seen += indices.len();
            let step = step + 1;
            if flush_state && step % super::subnormal::FLUSH_EVERY == 0 {
                super::subnormal::flush(optimizer, &plain).map_err(|e| TrainError::Backend(format!("cannot flush Adam's subnormal moments: {e}")))?;
            }
            if clock.due(step, steps) {
                reads.start(read_loss_sum(loss_sum.clone()), At { epoch, step, steps, seen, started }, observer).await?;
            }
            reads.poll(observer)?;
            observer.pause().await;
        }
        let at = At { epoch, step: steps, steps, seen, started };
        let (loss_sum, _) = reads.last(|| read_loss_sum(loss_sum), at, observer).await?;
        let loss = loss_sum / seen.max(1) as f64;
        let val_loss = reconstruction_loss(&model.valid(), validation, options.eval_batch_size, &plain).await?;
        super::check_finite(val_loss, "validation loss", epoch, steps)?;
        let metrics = EpochMetrics { epoch, loss, accuracy: f64::NAN, val_loss, val_accuracy: f64::NAN, seconds: started.elapsed().as_secs_f64() };
        observer.epoch_end(&metrics);
        history.push(metrics);
        if observer.wants_checkpoints() && epoch < options.epochs {
            let failed = |e: &dyn std::fmt::Display| TrainError::Backend(format!("cannot write the checkpoint: {e}"));
            let weights = crate::model::weights::export_checkpoint(&model.valid(), options.weights_model).await.map_err(|e| failed(&e))?;
            let state = optimizer.to_record().into_bytes().map_err(|e| failed(&e))?;
            observer.checkpoint(&history, weights, Some(state.to_vec()));
        }
    }
    Ok((model, history))
}
