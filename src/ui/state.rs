//! The page's reactive state of a training run, fed by the worker's messages.

use leptos::prelude::*;

use super::worker_client::WorkerEvent;
use crate::experiment::schedule;
use crate::experiment::{EpochMetrics, RunConfig, RunResult};
use crate::protocol::WorkerOutput;

/// The run's state as tests read it from `data-testid="run-status"`.
#[derive(Debug, Clone, PartialEq)]
pub enum RunStatus {
    Idle,
    Running,
    /// Running, but held by the visitor after a step (the worker waits).
    Paused,
    Done,
    Error(String),
}

impl RunStatus {
    /// Exactly `idle`, `running`, `paused`, `done` or `error: <message>`.
    pub fn label(&self) -> String {
        match self {
            Self::Idle => "idle".into(),
            Self::Running => "running".into(),
            Self::Paused => "paused".into(),
            Self::Done => "done".into(),
            Self::Error(message) => format!("error: {message}"),
        }
    }
}

/// The latest step report of the running epoch: the core's type, as the worker posts it.
pub type StepInfo = crate::experiment::result::StepProgress;

/// The backend the worker chose.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendInfo {
    pub name: String,
    pub fallback_reason: Option<String>,
    /// The CPU backend's threads in the worker (1 unless it is the threaded one; 0 for a
    /// kept run, where it is not known).
    pub threads: usize,
}

/// An earlier network of a run of several (P4's CNN before its autoencoder), kept on
/// screen with its epoch log when the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedStage {
    pub name: String,
    pub config: RunConfig,
    pub history: Vec<EpochMetrics>,
}

/// The stage a run of several networks is in.
#[derive(Debug, Clone, PartialEq)]
pub struct StageInfo {
    pub index: usize,
    pub count: usize,
    pub name: String,
}

/// Every signal of a run, `Copy` so components and closures can share it.
#[derive(Debug, Clone, Copy)]
pub struct RunState {
    pub status: RwSignal<RunStatus>,
    /// The worker's latest `Status` text (loading data, compiling kernels...).
    pub phase: RwSignal<Option<String>>,
    pub backend: RwSignal<Option<BackendInfo>>,
    /// How `auto` chose the backend (both probes' numbers), when it did.
    pub backend_choice: RwSignal<Option<String>>,
    pub step: RwSignal<Option<StepInfo>>,
    pub history: RwSignal<Vec<EpochMetrics>>,
    pub result: RwSignal<Option<RunResult>>,
    /// The trained model (a safetensors file) the worker sent with `result`, if any.
    pub model: RwSignal<Option<Vec<u8>>>,
    /// `Some(completed epochs)` once a run was cancelled.
    pub cancelled: RwSignal<Option<usize>>,
    /// The configuration of the current (or last) run (of its current stage).
    pub config: RwSignal<Option<RunConfig>>,
    /// The stage of a run of several networks, if it is one.
    pub stage: RwSignal<Option<StageInfo>>,
    /// Earlier stages of the run, with their logs.
    pub earlier: RwSignal<Vec<FinishedStage>>,
    /// The running epoch's validation: `(done, total)` test images.
    pub validating: RwSignal<Option<(usize, usize)>>,
    /// `Some(when it was kept, ms since 1970)` while the run shown is one kept in this
    /// browser by an earlier visit, not trained now.
    pub restored: RwSignal<Option<f64>>,
}

impl Default for RunState {
    fn default() -> Self {
        Self::new()
    }
}

impl RunState {
    pub fn new() -> Self {
        Self {
            status: RwSignal::new(RunStatus::Idle),
            phase: RwSignal::new(None),
            backend: RwSignal::new(None),
            backend_choice: RwSignal::new(None),
            step: RwSignal::new(None),
            history: RwSignal::new(Vec::new()),
            result: RwSignal::new(None),
            model: RwSignal::new(None),
            cancelled: RwSignal::new(None),
            config: RwSignal::new(None),
            stage: RwSignal::new(None),
            earlier: RwSignal::new(Vec::new()),
            validating: RwSignal::new(None),
            restored: RwSignal::new(None),
        }
    }

    /// Running or paused: a worker holds the run.
    pub fn is_running(&self) -> bool {
        self.status.with(|s| matches!(s, RunStatus::Running | RunStatus::Paused))
    }

    /// As [`Self::is_running`], without subscribing (for event handlers).
    pub fn is_running_untracked(&self) -> bool {
        self.status.with_untracked(|s| matches!(s, RunStatus::Running | RunStatus::Paused))
    }

    pub fn is_paused(&self) -> bool {
        self.status.with(|s| *s == RunStatus::Paused)
    }

    pub fn is_paused_untracked(&self) -> bool {
        self.status.with_untracked(|s| *s == RunStatus::Paused)
    }

    /// Clears the previous run's figures and marks a new one running.
    pub fn begin(&self, config: RunConfig) {
        self.phase.set(Some("starting the training worker…".into()));
        self.backend.set(None);
        self.backend_choice.set(None);
        self.step.set(None);
        self.history.set(Vec::new());
        self.result.set(None);
        self.model.set(None);
        self.cancelled.set(None);
        self.config.set(Some(config));
        self.stage.set(None);
        self.earlier.set(Vec::new());
        self.restored.set(None);
        self.status.set(RunStatus::Running);
    }

    /// Shows a run kept by an earlier visit (kept at `saved_at_ms`), as if it had just
    /// finished; no worker is involved.
    pub fn restore(&self, result: RunResult, saved_at_ms: f64) {
        self.show_kept(result.config.clone(), result.history.clone(), &result.backend, saved_at_ms);
        self.result.set(Some(result));
    }

    /// The part of [`Self::restore`] every kept run has: its config, history and backend.
    pub fn show_kept(&self, config: RunConfig, history: Vec<EpochMetrics>, backend: &str, saved_at_ms: f64) {
        self.restored.set(Some(saved_at_ms));
        self.step.set(None);
        self.cancelled.set(None);
        self.stage.set(None);
        self.earlier.set(Vec::new());
        self.config.set(Some(config));
        self.history.set(history);
        self.backend.set(Some(BackendInfo { name: backend.to_string(), fallback_reason: None, threads: 0 }));
        self.phase.set(Some("kept in this browser (not trained in this visit)".into()));
        self.status.set(RunStatus::Done);
    }

    /// Shows nothing: no run (a kept run that was shown has been forgotten).
    pub fn clear(&self) {
        self.phase.set(None);
        self.backend.set(None);
        self.step.set(None);
        self.history.set(Vec::new());
        self.result.set(None);
        self.cancelled.set(None);
        self.config.set(None);
        self.stage.set(None);
        self.earlier.set(Vec::new());
        self.restored.set(None);
        self.status.set(RunStatus::Idle);
    }

    /// A run that ended before it began (its queued start was dropped).
    pub fn cancelled_before_start(&self) {
        self.phase.set(None);
        self.cancelled.set(Some(0));
        self.status.set(RunStatus::Idle);
    }

    /// A failure on the page's side (worker could not be started or posted to).
    pub fn fail(&self, message: String) {
        self.status.set(RunStatus::Error(message));
    }

    /// Applies one event from the worker client. What is already shown is kept on errors.
    pub fn apply(&self, event: WorkerEvent) {
        match event {
            WorkerEvent::Output(output) => self.apply_output(output),
            // A panicking worker posts its panic text, then its instance traps and the crash
            // event says only "unreachable": keep the text.
            WorkerEvent::Crashed(message) => {
                // An idle worker that crashes is replaced on the next Train; what is shown stays.
                if self.is_running_untracked() {
                    self.fail(format!("worker crashed: {message}"));
                }
            }
            WorkerEvent::Failed(message) => self.fail(message),
        }
    }

    fn apply_output(&self, output: WorkerOutput) {
        let running = self.is_running_untracked();
        match output {
            WorkerOutput::Ready { .. } => {
                if running {
                    self.phase.set(Some("worker ready".into()));
                }
            }
            WorkerOutput::Status(text) => self.phase.set(Some(text)),
            WorkerOutput::Backend { name, fallback_reason, threads } => self.backend.set(Some(BackendInfo { name, fallback_reason, threads })),
            // The worker reports by wall time (`experiment::run::REPORT_EVERY`), so every
            // report is shown.
            WorkerOutput::Progress(progress) => {
                if running {
                    self.validating.set(None);
                    self.step.set(Some(progress));
                }
            }
            WorkerOutput::Validating { done, total, .. } => {
                if running {
                    self.validating.set(Some((done, total)));
                }
            }
            WorkerOutput::Stage { index, count, name, config } => {
                if !running {
                    return;
                }
                // The previous network's log stays on screen above the next one's.
                let previous = self.stage.get_untracked().map(|s| s.name);
                let history = self.history.get_untracked();
                if let (Some(name), Some(config)) = (previous, self.config.get_untracked()) {
                    self.earlier.update(|e| e.push(FinishedStage { name, config, history }));
                }
                self.step.set(None);
                self.history.set(Vec::new());
                self.config.set(Some(config));
                self.phase.set(Some(name.clone()));
                self.stage.set(Some(StageInfo { index, count, name }));
            }
            WorkerOutput::Paused(paused) => {
                if running {
                    self.status.set(if paused { RunStatus::Paused } else { RunStatus::Running });
                }
            }
            WorkerOutput::EpochEnd(metrics) => {
                if !running {
                    return;
                }
                self.validating.set(None);
                // The epoch is complete: show its bar full with its final running figures.
                self.step.update(|s| {
                    if let Some(s) = s.as_mut().filter(|s| s.epoch == metrics.epoch) {
                        s.step = s.steps;
                        s.loss = metrics.loss;
                        s.accuracy = metrics.accuracy.is_finite().then_some(metrics.accuracy);
                    }
                });
                self.history.update(|h| h.push(metrics));
            }
            WorkerOutput::Done { result, weights } => {
                if !running {
                    return;
                }
                // Before the result: what keeps the result reads the model with it.
                self.model.set(weights.map(serde_bytes::ByteBuf::into_vec));
                if self.history.with_untracked(|h| h.len() < result.history.len()) {
                    self.history.set(result.history.clone());
                }
                if self.backend.with_untracked(Option::is_none) {
                    self.backend.set(Some(BackendInfo { name: result.backend.clone(), fallback_reason: None, threads: 0 }));
                }
                self.result.set(Some(result));
                self.phase.set(Some("finished".into()));
                self.status.set(RunStatus::Done);
            }
            WorkerOutput::Cancelled { completed } => {
                if !running {
                    return;
                }
                self.phase.set(None);
                self.cancelled.set(Some(completed));
                self.status.set(RunStatus::Idle);
            }
            WorkerOutput::Error(message) => self.fail(message),
            // P4's results, 4B/4D answers and the stored model are the P4 tab's and the
            // stored-model card's business (see `tabs::denoise`, `tabs::cnn::stored_cnn`).
            WorkerOutput::P4Done { .. }
            | WorkerOutput::Denoised(_)
            | WorkerOutput::NoiseGrid(_)
            | WorkerOutput::Generated(_)
            | WorkerOutput::RequestFailed(_)
            | WorkerOutput::ModelStored { .. }
            | WorkerOutput::Checkpoint(_)
            | WorkerOutput::CnnHeld { .. }
            | WorkerOutput::ReadersLoaded { .. }
            | WorkerOutput::Read(_)
            | WorkerOutput::Insight(_) => {}
            // The run controller takes probe answers (`backend_choice`).
            WorkerOutput::Probed { .. } => {}
            // The client turns it into `WorkerEvent::Crashed` before it gets here.
            WorkerOutput::DeviceLost(_) => {}
        }
    }

    /// Marks the run finished when its result is kept elsewhere (P4).
    pub fn finish(&self) {
        if self.is_running_untracked() {
            self.phase.set(Some("finished".into()));
            self.status.set(RunStatus::Done);
        }
    }

    /// Fraction of the whole run done, from the step reports and finished epochs.
    pub fn fraction_done(&self) -> f64 {
        let epochs = self.config.with(|c| c.as_ref().map_or(0, |c| c.schedule.epochs));
        if epochs == 0 {
            return 0.0;
        }
        (self.epochs_done() / epochs as f64).clamp(0.0, 1.0)
    }

    /// Epochs done, fractional within the running epoch.
    pub fn epochs_done(&self) -> f64 {
        let finished = self.history.with(Vec::len);
        self.step.with(|s| schedule::epochs_done(finished, s.as_ref()))
    }

    /// Seconds left (see [`schedule::run_seconds_left`]).
    pub fn eta_seconds(&self) -> Option<f64> {
        let epochs = self.config.with(|c| c.as_ref().map(|c| c.schedule.epochs))?;
        let step = self.step.get()?;
        let finished: Vec<f64> = self.history.with(|h| h.iter().map(|m| m.seconds).collect());
        schedule::run_seconds_left(epochs, &finished, &step)
    }
}

impl RunState {
    /// Fraction of the whole run done, across the stages of a run of several networks.
    pub fn overall_fraction(&self) -> f64 {
        let own = self.fraction_done();
        match self.stage.get() {
            Some(stage) if stage.count > 0 => ((stage.index as f64 + own) / stage.count as f64).clamp(0.0, 1.0),
            _ => own,
        }
    }
}
