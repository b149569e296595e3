//! `auto`'s measurement: before a run, a few training steps of the very model about to train
//! (its config, its optimizer, its batch size) on each usable backend; the faster trains.
//!
//! The steps are timed from the run's own progress reports, which read the loss back from
//! the device: so a GPU's queued work is counted, not only its submission. The first
//! [`WARMUP_STEPS`] steps (shader compiles, autotune, first allocations) are left out.
//! The decision itself ([`choose`]) and what is kept of it ([`BackendDecision`]) are plain
//! data; the page keeps one per adapter and experiment.

use serde::{Deserialize, Serialize};

use super::{BackendChoice, ExperimentId, RunConfig};
use crate::experiment::result::StepProgress;

/// Steps left out before the timing starts.
pub const WARMUP_STEPS: usize = 2;
/// The measurement ends after this many timed steps...
pub const MEASURED_STEPS: usize = 5;
/// ...or once this much time has been timed (fast models report every 100 ms, so a few
/// reports cover dozens of steps).
pub const MEASURED_SECONDS: f64 = 0.3;
/// The probe's training set, in batches: enough for the warm-up and the timed steps on a
/// slow backend; on a fast one the measurement ends long before.
const PROBE_BATCHES: usize = 64;

/// The whole probe's budget where the adapter is a software one (SwiftShader, a fallback
/// adapter): WebGPU gets what the CPU probe left of it, at least [`MIN_GPU_BUDGET_MS`].
pub const SOFTWARE_BUDGET_MS: f64 = 3000.0;
pub const MIN_GPU_BUDGET_MS: f64 = 1000.0;
/// A GPU compiles its kernels during its first steps: it gets longer before it loses.
pub const HARDWARE_GPU_BUDGET_MS: f64 = 10_000.0;

/// Milliseconds WebGPU's probe may take, after the CPU's took `cpu_spent_ms`.
pub fn gpu_budget_ms(software_adapter: bool, cpu_spent_ms: f64) -> f64 {
    if software_adapter { (SOFTWARE_BUDGET_MS - cpu_spent_ms).max(MIN_GPU_BUDGET_MS) } else { HARDWARE_GPU_BUDGET_MS }
}

/// The config a probe trains: the run's own, for one short epoch on the first images.
pub fn probe_config(config: &RunConfig) -> RunConfig {
    let batch = config.schedule.batch_size.max(1);
    let train = config.data.train_size.min(batch * PROBE_BATCHES).max(1);
    config.clone().with_epochs(1).with_train_size(train).with_test_size(config.data.test_size.min(batch).max(1))
}

/// Collects a probe's progress reports and says when it has measured enough.
#[derive(Debug, Default, Clone)]
pub struct StepClock {
    /// (step, seconds since the epoch began) of each report.
    reports: Vec<(usize, f64)>,
}

impl StepClock {
    pub fn report(&mut self, progress: &StepProgress) {
        if progress.epoch == 1 {
            self.reports.push((progress.step, progress.elapsed_seconds));
        }
    }

    /// The first report at or after the warm-up, and the last one. Where the reports are
    /// too sparse for that (a fast model on a short probe set reports its first and last
    /// step only), the first report starts the span: the warm-up of a fast backend is short.
    fn span(&self) -> Option<((usize, f64), (usize, f64))> {
        let to = *self.reports.last()?;
        let from = self.reports.iter().find(|(step, _)| *step >= WARMUP_STEPS).filter(|from| from.0 < to.0).or_else(|| self.reports.first())?;
        (to.0 > from.0).then_some((*from, to))
    }

    /// Whether the measurement is complete.
    pub fn is_done(&self) -> bool {
        self.span().is_some_and(|((s0, t0), (s1, t1))| s1 - s0 >= MEASURED_STEPS || t1 - t0 >= MEASURED_SECONDS)
    }

    /// Milliseconds per step after the warm-up, if at least one step was timed.
    pub fn ms_per_step(&self) -> Option<f64> {
        let ((s0, t0), (s1, t1)) = self.span()?;
        Some((t1 - t0) * 1000.0 / (s1 - s0) as f64)
    }
}

/// How one backend did in the probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ProbeOutcome {
    /// Milliseconds per training step after the warm-up.
    Measured { ms_per_step: f64 },
    /// Still warming up when the page stopped waiting (its budget, in ms).
    TooSlow { budget_ms: f64 },
    /// The backend could not train (no adapter, a failed check, an error).
    Failed { reason: String },
}

impl ProbeOutcome {
    pub fn ms(&self) -> Option<f64> {
        match self {
            Self::Measured { ms_per_step } if ms_per_step.is_finite() => Some(*ms_per_step),
            _ => None,
        }
    }

    /// For people: "2.9 ms per step", "still warming up after 2.0 s", or why it failed.
    pub fn describe(&self) -> String {
        match self {
            Self::Measured { ms_per_step } => format!("{ms_per_step:.1} ms per step"),
            Self::TooSlow { budget_ms } => format!("still warming up after {:.1} s", budget_ms / 1000.0),
            Self::Failed { reason } => format!("failed ({reason})"),
        }
    }
}

/// The faster of the two, CPU when neither was measured or on a tie.
pub fn choose(cpu: &ProbeOutcome, gpu: &ProbeOutcome) -> BackendChoice {
    match (cpu.ms(), gpu.ms()) {
        (Some(c), Some(g)) if g < c => BackendChoice::Webgpu,
        (None, Some(_)) => BackendChoice::Webgpu,
        _ => BackendChoice::Cpu,
    }
}

/// What `auto` decided for one experiment on one adapter, kept in the browser so later
/// runs go straight to the faster backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendDecision {
    pub experiment: ExperimentId,
    /// The WebGPU adapter it was measured on (vendor, architecture, device).
    pub adapter: String,
    pub choice: BackendChoice,
    pub cpu: ProbeOutcome,
    /// What the CPU backend ran on, e.g. "cpu (2 threads)".
    pub cpu_name: String,
    pub gpu: ProbeOutcome,
    /// Milliseconds the whole probe took, as the page measured it.
    pub probe_ms: f64,
}

impl BackendDecision {
    pub fn new(experiment: ExperimentId, adapter: String, cpu: ProbeOutcome, cpu_name: String, gpu: ProbeOutcome, probe_ms: f64) -> Self {
        Self { experiment, adapter, choice: choose(&cpu, &gpu), cpu, cpu_name, gpu, probe_ms }
    }

    /// The line the page shows beside the backend.
    pub fn describe(&self) -> String {
        let chosen = if self.choice == BackendChoice::Webgpu { "WebGPU" } else { "the CPU backend" };
        format!(
            "auto chose {chosen} by measuring a few steps of this model: CPU ({}) {}, WebGPU ({}) {}",
            self.cpu_name,
            self.cpu.describe(),
            self.adapter,
            self.gpu.describe()
        )
    }
}

#[cfg(feature = "ml")]
pub use measure::probe;

#[cfg(feature = "ml")]
mod measure {
    use burn::tensor::Device;

    use super::{StepClock, probe_config};
    use crate::data::Mnist;
    use crate::experiment::result::StepProgress;
    use crate::experiment::{ExperimentId, EpochMetrics, RunConfig, p4, run};
    use crate::train::{TrainError, TrainObserver};

    /// Times the probe's steps and stops the run once they are measured.
    struct ProbeObserver<'a, C: Fn() -> bool> {
        clock: StepClock,
        cancelled: &'a C,
    }

    impl<C: Fn() -> bool> TrainObserver for ProbeObserver<'_, C> {
        fn progress(&mut self, progress: &StepProgress) {
            self.clock.report(progress);
        }
        fn epoch_end(&mut self, _: &EpochMetrics) {}
        fn should_stop(&self) -> bool {
            self.clock.is_done() || (self.cancelled)()
        }
    }

    /// Trains a few steps of `config`'s model on `device` and returns milliseconds per step
    /// after the warm-up. P4 times its autoencoder (the stage the experiment is about; its
    /// CNN stage, when there is one, is P3's model). `cancelled` ends it early.
    pub async fn probe(config: &RunConfig, data: &Mnist, device: &Device, backend: &str, cancelled: &impl Fn() -> bool) -> Result<f64, TrainError> {
        let config = probe_config(config);
        let mut observer = ProbeObserver { clock: StepClock::default(), cancelled };
        let outcome = match config.experiment {
            ExperimentId::P4 => p4::run_p4(&config, data, None, device, backend, &mut observer).await.map(drop),
            _ => run::run(&config, data, device, backend, &mut observer).await.map(drop),
        };
        match outcome {
            Ok(()) | Err(TrainError::Cancelled { .. }) => {}
            Err(e) => return Err(e),
        }
        if cancelled() {
            return Err(TrainError::Cancelled { completed: 0 });
        }
        observer.clock.ms_per_step().ok_or_else(|| TrainError::Config("the probe timed no step after its warm-up".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(step: usize, elapsed_seconds: f64) -> StepProgress {
        StepProgress { epoch: 1, step, steps: 64, loss: 1.0, accuracy: None, elapsed_seconds }
    }

    #[test]
    fn the_clock_leaves_out_the_warm_up_and_stops_after_enough_steps() {
        let mut clock = StepClock::default();
        // Step 1 compiles for 20 s; then 10 ms per step.
        clock.report(&progress(1, 20.0));
        assert!(!clock.is_done() && clock.ms_per_step().is_none());
        for step in 2..=6 {
            clock.report(&progress(step, 20.0 + 0.01 * (step - 1) as f64));
            assert!(!clock.is_done(), "step {step}");
        }
        clock.report(&progress(7, 20.06));
        assert!(clock.is_done());
        let ms = clock.ms_per_step().expect("measured");
        assert!((ms - 10.0).abs() < 1e-6, "{ms}");
    }

    #[test]
    fn a_fast_model_is_done_after_a_few_reports() {
        // Reports every 100 ms (the run's report clock), 35 steps apart.
        let mut clock = StepClock::default();
        for (step, t) in [(1, 0.003), (35, 0.1), (70, 0.2), (105, 0.3)] {
            clock.report(&progress(step, t));
        }
        assert!(clock.is_done());
        let ms = clock.ms_per_step().expect("measured");
        assert!((ms - 200.0 / 70.0).abs() < 1e-6, "{ms}");
    }

    #[test]
    fn a_software_adapter_gets_what_the_cpu_probe_left_of_three_seconds() {
        assert_eq!(gpu_budget_ms(true, 600.0), 2400.0);
        assert_eq!(gpu_budget_ms(true, 2800.0), MIN_GPU_BUDGET_MS);
        assert_eq!(gpu_budget_ms(false, 2800.0), HARDWARE_GPU_BUDGET_MS);
    }

    #[test]
    fn sparse_reports_time_from_the_first_step() {
        let mut clock = StepClock::default();
        clock.report(&progress(1, 0.002));
        assert!(clock.ms_per_step().is_none());
        clock.report(&progress(16, 0.032));
        let ms = clock.ms_per_step().expect("measured");
        assert!((ms - 2.0).abs() < 1e-6, "{ms}");
    }

    #[test]
    fn the_faster_backend_wins_and_the_cpu_backend_when_in_doubt() {
        let ms = |ms_per_step| ProbeOutcome::Measured { ms_per_step };
        let slow = ProbeOutcome::TooSlow { budget_ms: 2000.0 };
        let failed = ProbeOutcome::Failed { reason: "no adapter".into() };
        assert_eq!(choose(&ms(3.0), &ms(9.0)), BackendChoice::Cpu);
        assert_eq!(choose(&ms(30.0), &ms(9.0)), BackendChoice::Webgpu);
        assert_eq!(choose(&ms(3.0), &ms(3.0)), BackendChoice::Cpu);
        assert_eq!(choose(&ms(3.0), &slow), BackendChoice::Cpu);
        assert_eq!(choose(&failed, &ms(9.0)), BackendChoice::Webgpu);
        assert_eq!(choose(&failed, &failed), BackendChoice::Cpu);
        assert_eq!(choose(&ms(f64::NAN), &ms(9.0)), BackendChoice::Webgpu);
        let decision = BackendDecision::new(ExperimentId::P3, "google swiftshader".into(), ms(100.0), "cpu (2 threads)".into(), slow, 2500.0);
        assert_eq!(decision.choice, BackendChoice::Cpu);
        assert!(decision.describe().contains("100.0 ms per step") && decision.describe().contains("still warming up after 2.0 s"), "{}", decision.describe());
        let json = serde_json::to_string(&decision).expect("encodes");
        assert_eq!(serde_json::from_str::<BackendDecision>(&json).expect("decodes"), decision);
    }

    #[test]
    fn the_probe_trains_the_runs_model_on_a_few_batches() {
        let config = RunConfig::for_experiment(ExperimentId::P3);
        let probe = probe_config(&config);
        assert_eq!(probe.schedule.epochs, 1);
        assert_eq!(probe.schedule.batch_size, config.schedule.batch_size);
        assert_eq!(probe.data.train_size, config.schedule.batch_size * PROBE_BATCHES);
        assert_eq!(probe.model, config.model);
        assert_eq!(probe.optimizer, config.optimizer);
        assert!(probe.validate().is_ok());
    }

    #[cfg(feature = "ml")]
    #[test]
    fn a_probe_on_the_cpu_backend_times_steps_of_p2_and_p4() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mnist");
        let full = crate::data::Mnist::load_dir(&dir, false).expect("committed MNIST");
        let data = crate::data::Mnist { train: full.train.take(3000), test: full.test.take(300) };
        let device = burn::tensor::Device::flex();
        for experiment in [ExperimentId::P2, ExperimentId::P4] {
            let config = RunConfig::for_experiment(experiment);
            let ms = pollster::block_on(probe(&config, &data, &device, "cpu", &|| false)).expect("probes");
            assert!(ms.is_finite() && ms > 0.0, "{experiment:?}: {ms}");
        }
        let cancelled = pollster::block_on(probe(&RunConfig::for_experiment(ExperimentId::P2), &data, &device, "cpu", &|| true));
        assert!(matches!(cancelled, Err(crate::train::TrainError::Cancelled { .. })), "{cancelled:?}");
    }
}
