//! What the P2D sweep trains and what the view reads of it: the planned networks of a
//! setup (factors x replicates, in the seed's order), what each worker is doing, and the
//! throughput of a press of "Train sweep". The controller that runs them is
//! [`super::controller`].

use leptos::prelude::*;

use crate::data::DatasetId;
use crate::experiment::record::record_key;
use crate::experiment::schedule;
use crate::experiment::{EpochMetrics, ExperimentId, PageQuery, RunConfig};
use crate::ui::state::{RunState, StepInfo};

/// The most workers a sweep runs at once (the CPU choice is also capped by the cores).
pub const MAX_WORKERS: usize = crate::experiment::config::MAX_SWEEP_WORKERS;

/// One network of the sweep, in the seed's order (factor-major).
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedNetwork {
    /// 0-based position in the sweep.
    pub index: usize,
    /// Networks in the sweep.
    pub total: usize,
    pub factor_index: usize,
    pub factor: f64,
    /// 0-based.
    pub replicate: usize,
    pub replicates: usize,
    /// What the worker trains (its own derived seed, `l2 = factor`).
    pub config: RunConfig,
    /// Its storage key.
    pub key: String,
}

impl PlannedNetwork {
    /// `network 4 of 15: factor 1e-5, replicate 1`.
    pub fn label(&self) -> String {
        format!("network {} of {}: factor {}, replicate {}", self.index + 1, self.total, factor_label(self.factor), self.replicate + 1)
    }
}

/// A regularization factor as the URL and the seed's plots write it: `1e-6`, `5e-4`.
pub fn factor_label(factor: f64) -> String {
    format!("{factor:e}")
}

/// The sweep's networks for a query.
/// `dataset`: the loaded dataset (keys of kept networks are per dataset); `None` before it
/// has loaded, when no key matches a kept network.
pub fn networks_of(query: &PageQuery, dataset: Option<&DatasetId>) -> Vec<PlannedNetwork> {
    let base = RunConfig { experiment: ExperimentId::P2d, ..query.config.clone() };
    let networks = query.sweep.networks(&base);
    let total = networks.len();
    let replicates = query.sweep.replicates.max(1);
    networks
        .into_iter()
        .enumerate()
        .map(|(index, config)| PlannedNetwork {
            index,
            total,
            factor_index: index / replicates,
            factor: config.model.l2(),
            replicate: index % replicates,
            replicates,
            key: dataset.map_or_else(|| format!("unloaded/{index}"), |d| record_key(&config, d)),
            config,
        })
        .collect()
}

/// One worker of the sweep: the network it trains and the run its [`RunController`]
/// shows. `step`, `history` and `phase` are the run's own signals, named here for the view.
///
/// [`RunController`]: crate::ui::run_controller::RunController
#[derive(Debug, Clone, Copy)]
pub struct SlotView {
    /// The network it trains; `None` when idle.
    pub network: RwSignal<Option<PlannedNetwork>>,
    /// The setup the slot's controller starts: the network's config on the sweep's backend.
    pub query: RwSignal<PageQuery>,
    /// That network's run, as its controller keeps it.
    pub run: RunState,
    pub step: RwSignal<Option<StepInfo>>,
    /// The running network's finished epochs.
    pub history: RwSignal<Vec<EpochMetrics>>,
    /// The worker's latest status text.
    pub phase: RwSignal<Option<String>>,
    /// When the running network was handed to the worker ([`crate::web::now_ms`]).
    pub started_ms: RwSignal<f64>,
}

impl SlotView {
    pub(super) fn new() -> Self {
        let run = RunState::new();
        Self { network: RwSignal::new(None), query: RwSignal::new(PageQuery::default()), run, step: run.step, history: run.history, phase: run.phase, started_ms: RwSignal::new(0.0) }
    }

    pub(super) fn clear(&self) {
        self.network.set(None);
        self.run.clear();
    }

    /// Epochs done of the running network, fractional within the running epoch.
    pub fn epochs_done(&self) -> f64 {
        let finished = self.history.with(Vec::len);
        self.step.with(|s| schedule::epochs_done(finished, s.as_ref()))
    }

    /// Whether every epoch is done and the worker makes its final pass over the test
    /// images (test figures and analysis) before it reports the result.
    pub fn final_pass(&self) -> bool {
        let epochs = self.network.with(|n| n.as_ref().map_or(usize::MAX, |n| n.config.schedule.epochs));
        self.history.with(Vec::len) >= epochs
    }

    /// Whether the running epoch's steps are done and the worker is validating on the test
    /// images (no progress reports come meanwhile).
    pub fn validating(&self) -> bool {
        let finished = self.history.with(Vec::len);
        self.step.with(|s| s.as_ref().is_some_and(|s| s.epoch > finished && s.steps > 0 && s.step == s.steps))
    }

    /// Seconds per epoch (training and validation) of the running network: its finished
    /// epochs' mean, else the running epoch's training pace plus `validation` seconds.
    pub(super) fn seconds_per_epoch(&self, validation: Option<f64>) -> Option<f64> {
        let finished: Vec<f64> = self.history.with(|h| h.iter().map(|m| m.seconds).collect());
        if !finished.is_empty() {
            return Some(finished.iter().sum::<f64>() / finished.len() as f64);
        }
        let training = self.step.with(|s| {
            s.as_ref()
                .filter(|s| s.step > 0 && s.steps > 0)
                .map(|s| s.elapsed_seconds * s.steps as f64 / s.step as f64)
        })?;
        Some(training + validation?)
    }
}

/// Throughput of the current (or last) press of "Train sweep".
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub started_ms: f64,
    /// Networks finished since.
    pub finished: usize,
    pub last_finished_ms: f64,
    /// Each finished network's own training seconds.
    pub seconds: Vec<f64>,
    /// Each finished network's wall-clock seconds on its worker, from the `Start` to its
    /// result: training, validation, the final pass over the test set and messaging.
    pub walls: Vec<f64>,
    /// Workers used.
    pub workers: usize,
}

impl Session {
    /// Networks per minute of wall-clock time since the sweep was started (worker start-up
    /// included), up to the last finished network.
    pub fn per_minute(&self) -> Option<f64> {
        let minutes = (self.last_finished_ms - self.started_ms) / 60_000.0;
        (self.finished > 0 && minutes > 0.0).then(|| self.finished as f64 / minutes)
    }

    pub fn elapsed_seconds(&self) -> f64 {
        (self.last_finished_ms - self.started_ms) / 1000.0
    }
}

/// Epochs of the network a worker trains (0 when idle).
pub(super) fn network_epochs(network: &Option<PlannedNetwork>) -> usize {
    network.as_ref().map_or(0, |n| n.config.schedule.epochs)
}
