//! Data-parallel steps on the CPU backend: a batch is split into contiguous shards, each
//! shard's forward and backward pass runs on its own thread of the CPU backend's pool, and
//! the shards' gradients are summed (in shard order) before the one optimizer step.
//!
//! The whole split step runs on the pool ([`on_pool`]); the thread that drives the loop
//! waits. In the page that thread is the training worker's own, which also runs its event
//! loop, and there the same shard ran slower and unevenly: P2D on 2 threads, 4 epochs, the
//! worker's shard took 3.7–7.3 s per epoch (slower from epoch to epoch, up to 1.9× the pool
//! thread's) while the pool thread's took 3.4–4.8 s; with both shards on pool threads they
//! stayed within 10 % of each other (bench/README.md, "The worker's own thread").
//!
//! Why here and not in burn-flex: burn-flex parallelises inside each operation (rayon over
//! the batch, im2col tiles, large GEMMs). At this project's sizes that pays little (P3 went
//! from 86 to 79 ms/step natively on 2 cores) and in wasm every such operation is handed from
//! the worker's thread to the pool and back. A whole forward and backward pass per thread
//! has one hand-off per step. burn-train's data-parallel learner does the same across
//! devices, but it does not run in wasm.
//!
//! The step stays Keras' step: the loss is the batch's mean, so shard `s` of `n_s` examples
//! out of `n` backpropagates `(n_s / n) · mean_s`, and the sum of the shards' gradients is
//! the batch's gradient (up to the order of float additions). Stochastic layers draw per
//! example ([`StepNoise`]), so a step draws the same dropout masks however it is split.

use burn::tensor::Device;

/// Smallest shard worth a thread: below this the hand-off costs more than the pass.
pub const MIN_SHARD: usize = 16;

/// Fewest forward multiply-adds a shard must carry to be worth a thread. A split step pays
/// a fixed price (the hand-off, the second graph, summing the gradients; in wasm also the
/// allocator's one lock) that a small model's shard does not earn back. Measured in the
/// threaded page on 2 threads (bench/run, 2026-12-03): P2's 64-example shards (3.5 M) made
/// its epoch 1.12× slower than one shard; P4's (14 M) and P2D's (35 M) 1.6× faster.
pub const MIN_SHARD_MACS: usize = 8_000_000;

/// The threads a step's shards run on, once [`set_threads`] has said; 0 until then.
#[cfg(feature = "cpu-threads")]
static THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Records that shards run on `threads` threads: rayon's global pool of `threads`, which
/// the caller builds (natively [`start_pool`], in the threaded worker wasm-bindgen-rayon's).
/// The thread that drives the loop waits while the pool runs a step, so the cores carry
/// `threads` busy threads, not one more.
#[cfg(feature = "cpu-threads")]
pub fn set_threads(threads: usize) {
    THREADS.store(threads.max(1), std::sync::atomic::Ordering::Relaxed);
}

/// Natively: rayon's global pool with `threads` threads, and [`set_threads`].
#[cfg(all(feature = "cpu-threads", not(target_arch = "wasm32")))]
pub fn start_pool(threads: usize) -> Result<(), String> {
    let threads = threads.max(1);
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().map_err(|e| e.to_string())?;
    set_threads(threads);
    Ok(())
}

/// The threads the CPU backend can run a step's shards on: what [`set_threads`] recorded,
/// else the global pool's size (tests); 1 in a build without a pool (the single-thread and
/// the WebGPU worker).
pub fn available_threads() -> usize {
    #[cfg(feature = "cpu-threads")]
    return match THREADS.load(std::sync::atomic::Ordering::Relaxed) {
        0 => rayon::current_num_threads(),
        n => n,
    };
    #[cfg(not(feature = "cpu-threads"))]
    1
}

/// The threads a pass on `device` can use of `threads`: only the CPU backend splits its
/// work (a GPU runs a whole batch as one chain of dispatches).
pub fn threads_on(device: &Device, threads: usize) -> usize {
    if is_cpu(device) { threads.max(1) } else { 1 }
}

/// Whether `device` (an autodiff device or not) is the CPU backend's.
pub fn is_cpu(device: &Device) -> bool {
    device.clone().inner() == Device::flex()
}

/// How many shards a step of `batch` examples on `device` splits into, for at most `threads`
/// threads, for a model of `macs_per_example` forward multiply-adds: no shard is smaller than
/// [`MIN_SHARD`] examples or [`MIN_SHARD_MACS`].
pub fn shard_count(device: &Device, batch: usize, threads: usize, macs_per_example: usize) -> usize {
    let min_shard = MIN_SHARD.max(MIN_SHARD_MACS.div_ceil(macs_per_example.max(1)));
    threads_on(device, threads).min(batch / min_shard).max(1)
}

/// `items` split into `shards` contiguous runs whose lengths differ by at most one, each with
/// the position of its first item.
pub fn split<T>(items: &[T], shards: usize) -> Vec<(usize, &[T])> {
    let shards = shards.clamp(1, items.len().max(1));
    let (base, extra) = (items.len() / shards, items.len() % shards);
    let mut start = 0;
    (0..shards)
        .map(|s| {
            let len = base + usize::from(s < extra);
            let run = (start, &items[start..start + len]);
            start += len;
            run
        })
        .collect()
}

/// `job` run on a thread of the pool while the calling thread waits, or right here where
/// the build has no pool or the caller is one of its threads. For a split step (its shards,
/// the gradients' sum, the optimizer's update) as one hand-off, not one per part.
pub fn on_pool<T: Send>(job: impl FnOnce() -> T + Send) -> T {
    #[cfg(feature = "cpu-threads")]
    if rayon::current_thread_index().is_none() {
        return rayon::scope(|_| job());
    }
    job()
}

/// A training step of `shards` shards: on the pool ([`on_pool`]) when it is split, right
/// here when it is not (a whole step's hand-off cost more than it won: P2 in the threaded
/// page, bench/README.md "The worker's own thread").
pub fn run_step<T: Send>(shards: usize, step: impl FnOnce() -> T + Send) -> T {
    if shards > 1 { on_pool(step) } else { step() }
}

/// `job` applied to every input, the results in the inputs' order. Where the build has a
/// pool, all at once on the pool's threads (so the caller passes at most
/// [`available_threads`] inputs): the first on the calling thread if it is one of them,
/// else everything moves there ([`on_pool`]); without a pool one after another.
pub fn map<I: Send, T: Send>(inputs: Vec<I>, job: impl Fn(I) -> T + Sync + Send) -> Vec<T> {
    #[cfg(feature = "cpu-threads")]
    if inputs.len() > 1 && rayon::current_thread_index().is_none() {
        return on_pool(move || map(inputs, job));
    }
    #[cfg(feature = "cpu-threads")]
    if inputs.len() > 1 {
        let mut slots: Vec<Option<T>> = inputs.iter().map(|_| None).collect();
        let mut inputs = inputs.into_iter();
        let (first_slot, other_slots) = slots.split_first_mut().expect("more than one input");
        let first = inputs.next().expect("more than one input");
        let job = &job;
        rayon::in_place_scope(|scope| {
            for (slot, input) in other_slots.iter_mut().zip(inputs) {
                scope.spawn(move |_| *slot = Some(job(input)));
            }
            *first_slot = Some(job(first));
        });
        return slots.into_iter().map(|slot| slot.expect("every job ran")).collect();
    }
    inputs.into_iter().map(job).collect()
}

/// The random draws of one training step, addressed per example: the example at position
/// `first_example + i` of the batch draws from a stream seeded by `seed` and that position
/// alone, so a shard draws what the same rows of the whole batch would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepNoise {
    pub seed: u64,
    pub first_example: usize,
}

impl StepNoise {
    /// The draws of step `step` (1-based) of an epoch whose stream is `epoch_seed`.
    pub fn for_step(epoch_seed: u64, step: usize) -> Self {
        Self { seed: crate::experiment::p2d::mix_seed(epoch_seed ^ (step as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)), first_example: 0 }
    }

    /// The same step's draws for the shard starting at `offset` within the batch.
    pub fn shard(self, offset: usize) -> Self {
        Self { first_example: self.first_example + offset, ..self }
    }

    /// The seed of example `i` of this shard's rows.
    pub fn example_seed(&self, i: usize) -> u64 {
        crate::experiment::p2d::mix_seed(self.seed ^ ((self.first_example + i) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// Inverted-dropout multipliers for `rows` examples of `units` each (Keras' `Dropout(p)`
    /// while training): 0 with probability `p`, else `1 / (1 - p)`; row-major `[rows, units]`.
    pub fn dropout_multipliers(&self, rows: usize, units: usize, p: f64) -> Vec<f32> {
        use rand::{RngExt, SeedableRng};
        use rand::rngs::Xoshiro256PlusPlus;
        let keep_scale = if p < 1.0 { (1.0 / (1.0 - p)) as f32 } else { 0.0 };
        let mut out = Vec::with_capacity(rows * units);
        for i in 0..rows {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.example_seed(i));
            out.extend((0..units).map(|_| if rng.random::<f64>() < p { 0.0 } else { keep_scale }));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_every_item_once_in_even_runs() {
        let items: Vec<usize> = (0..10).collect();
        let runs = split(&items, 3);
        assert_eq!(runs.iter().map(|(start, run)| (*start, run.len())).collect::<Vec<_>>(), vec![(0, 4), (4, 3), (7, 3)]);
        assert_eq!(runs.iter().flat_map(|(_, run)| run.iter().copied()).collect::<Vec<_>>(), items);
        assert_eq!(split(&items, 1), vec![(0, &items[..])]);
        // Never more shards than items, never zero.
        assert_eq!(split(&items[..2], 8).len(), 2);
        assert_eq!(split(&items, 0).len(), 1);
    }

    #[test]
    fn only_the_cpu_backend_splits_and_no_shard_is_tiny() {
        use crate::model::summary::{P2_HIDDEN, P2D_HIDDEN, autoencoder_summary, cnn_summary, mlp_summary};
        let cpu = Device::flex();
        let cnn = cnn_summary().forward_macs_per_example();
        assert_eq!(shard_count(&cpu, 128, 2, cnn), 2);
        assert_eq!(shard_count(&cpu.clone().autodiff(), 128, 8, cnn), 8);
        assert_eq!(shard_count(&cpu, 128, 16, cnn), 8, "128 / MIN_SHARD");
        assert_eq!(shard_count(&cpu, 20, 4, cnn), 1);
        assert_eq!(shard_count(&cpu, 128, 1, cnn), 1);
        // The models' own sizes: P2's step is too small to split; P2D's and P4's split.
        let p2 = mlp_summary(&P2_HIDDEN).forward_macs_per_example();
        assert_eq!(shard_count(&cpu, 128, 2, p2), 1);
        assert_eq!(shard_count(&cpu, 128, 8, mlp_summary(&P2D_HIDDEN).forward_macs_per_example()), 8);
        let p4 = autoencoder_summary().forward_macs_per_example();
        assert_eq!((shard_count(&cpu, 128, 2, p4), shard_count(&cpu, 128, 8, p4)), (2, 3), "shards of at least 36 examples");
        assert_eq!(shard_count(&cpu, 128, 2, 0), 1, "a model of no work never splits");
    }

    /// A split step runs on the pool, its first shard on the thread that took the step
    /// there, and a map from outside the pool moves there whole.
    #[cfg(feature = "cpu-threads")]
    #[test]
    fn split_work_runs_on_the_pools_threads() {
        assert_eq!(rayon::current_thread_index(), None, "the test's own thread is not the pool's");
        let (stepper, shards) = on_pool(|| (rayon::current_thread_index(), map(vec![0, 1], |_| rayon::current_thread_index())));
        assert!(stepper.is_some(), "on_pool runs its job on a pool thread");
        assert_eq!(shards[0], stepper, "the first shard runs on the thread that runs the step");
        let outside = map(vec![0, 1], |_| rayon::current_thread_index());
        assert!(outside.iter().all(Option::is_some), "{outside:?}");
        assert_eq!(on_pool(|| 7), 7);
    }

    #[test]
    fn map_keeps_the_inputs_order() {
        let out = map((0..64).collect(), |i: u64| (0..10_000u64).fold(i, |a, b| a.wrapping_mul(31).wrapping_add(b)) % 1000 + i * 1000);
        assert_eq!(out.iter().map(|v| v / 1000).collect::<Vec<_>>(), (0..64).collect::<Vec<_>>());
    }

    /// A shard draws exactly the rows the whole batch draws at its positions; other steps
    /// draw otherwise; the multipliers are 0 or 1 / (1 - p), about a fraction p of zeros.
    #[test]
    fn dropout_draws_do_not_depend_on_the_split() {
        let step = StepNoise::for_step(42, 3);
        let whole = step.dropout_multipliers(8, 128, 0.5);
        let mut halves = step.shard(0).dropout_multipliers(5, 128, 0.5);
        halves.extend(step.shard(5).dropout_multipliers(3, 128, 0.5));
        assert_eq!(whole, halves);
        assert_ne!(whole, StepNoise::for_step(42, 4).dropout_multipliers(8, 128, 0.5));
        assert!(whole.iter().all(|&m| m == 0.0 || m == 2.0));
        let zeros = whole.iter().filter(|&&m| m == 0.0).count() as f64 / whole.len() as f64;
        assert!((0.4..0.6).contains(&zeros), "{zeros}");
        assert!(step.dropout_multipliers(2, 4, 0.0).iter().all(|&m| m == 1.0));
    }
}
