//! The lab: every experiment's run controller, owned in one place and shared by context.
//! It decides what may run at once (one experiment at a time: they would share the
//! machine's cores or GPU), starts, pauses, resumes and cancels any of them by id, and
//! runs the whole report ([`super::report`]) through the same calls.

use leptos::prelude::*;

use crate::ui::tabs::data::DataState;
use super::kept::Kept;
use crate::ui::tabs::playground::Playground;
use crate::ui::tabs::cnn::P3Run;
use crate::ui::tabs::denoise::P4Run;
use super::report::Report;
use super::run_controller::RunController;
use super::state::RunStatus;
use crate::ui::tabs::cnn::stored_cnn::StoredCnn;
use crate::ui::tabs::sweep::Sweep;
use crate::data::{ClassNames, DatasetId};
use crate::experiment::record::{self, Outcome, RunRecord};
use crate::experiment::{ExperimentId, PageQuery, RunConfig};

/// What the tabs show: Problem 1's data, or one experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Data,
    Experiment(ExperimentId),
    /// Draw a digit for the kept classifiers.
    Playground,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Data,
        Tab::Experiment(ExperimentId::P2),
        Tab::Experiment(ExperimentId::P2d),
        Tab::Experiment(ExperimentId::P3),
        Tab::Experiment(ExperimentId::P4),
        Tab::Playground,
    ];

    /// `p1`, `p2`, `p2d`, `p3`, `p4`, `play`: element ids and test ids.
    pub fn key(self) -> &'static str {
        match self {
            Tab::Data => "p1",
            Tab::Experiment(id) => id.as_str(),
            Tab::Playground => "play",
        }
    }
}

/// Every run of the page and what the page knows around them. `Copy`.
#[derive(Clone, Copy)]
pub struct Lab {
    pub p2: RunController,
    pub sweep: Sweep,
    pub p3: P3Run,
    pub p4: P4Run,
    pub data: RwSignal<DataState>,
    pub active: RwSignal<Tab>,
    pub report: Report,
    /// Every finished run kept in this browser.
    pub kept: Kept,
    /// The playground tab (its own worker, reading drawn digits).
    pub playground: Playground,
    /// A run the page's link carries (`#run=…`), shown in its tab instead of a kept one:
    /// `Ok(the run)`, or why the link's run could not be read.
    pub shared: StoredValue<Option<Result<RunRecord, String>>>,
    /// The key of the shared run while its tab shows it.
    pub shared_key: RwSignal<Option<String>>,
    /// The experiment whose setup the page's URL changed from the seed's, if one: its tab
    /// shows a kept run of exactly that setup or none; the others show their latest.
    linked: Option<ExperimentId>,
}

impl Lab {
    /// One query per experiment: the URL's for the one it names, the seed's defaults (with
    /// the URL's backend and data) for the others.
    pub fn new(initial: &PageQuery, data_url: String) -> Self {
        let query_for = |id: ExperimentId| {
            if initial.config.experiment == id {
                initial.clone()
            } else {
                PageQuery { config: crate::experiment::RunConfig::for_experiment(id), backend: initial.backend, data: initial.data.clone(), report: initial.report, ..PageQuery::default() }
            }
        };
        let stored_cnn = StoredCnn::new();
        let kept = Kept::open();
        let data = RwSignal::new(DataState::Loading);
        let dataset = Signal::derive(move || data.with(DataState::dataset));
        let id = initial.config.experiment;
        Self {
            p2: RunController::plain(RwSignal::new(query_for(ExperimentId::P2)), data_url.clone()),
            sweep: Sweep::new(RwSignal::new(query_for(ExperimentId::P2d)), data_url.clone(), kept, dataset),
            p3: P3Run::new(RwSignal::new(query_for(ExperimentId::P3)), data_url.clone(), stored_cnn),
            p4: P4Run::new(RwSignal::new(query_for(ExperimentId::P4)), data_url, stored_cnn),
            data,
            active: RwSignal::new(Tab::Experiment(initial.config.experiment)),
            report: Report::new(),
            kept,
            playground: Playground::new(),
            shared: StoredValue::new(crate::web::location_hash().filter(|h| h.starts_with("#run=")).map(|h| record::share::decode(&h).map_err(|e| e.to_string()))),
            shared_key: RwSignal::new(None),
            linked: (initial.config != RunConfig::for_experiment(id)).then_some(id),
        }
    }

    /// Sets the P2D tab to the sweep `network` belongs to (its `part_of` setup), so the
    /// sweep's kept networks show.
    pub fn adopt_sweep(&self, network: &RunRecord) {
        let Some(setup) = &network.part_of else { return };
        let (query, errors) = PageQuery::parse(crate::web::parse_query(setup));
        if errors.is_empty() && query.config.experiment == ExperimentId::P2d && !self.sweep.busy.get_untracked() {
            self.sweep.query.update(|q| {
                q.config = query.config;
                q.sweep = query.sweep;
            });
        }
    }

    /// The loaded dataset's class names (tracked): the digits until it has loaded.
    pub fn class_names(&self) -> ClassNames {
        self.data.with(|d| match d {
            DataState::Ready(summary) => summary.classes.clone(),
            _ => ClassNames::digits(),
        })
    }

    /// [`Self::class_names`], untracked (for views built once per result).
    pub fn class_names_untracked(&self) -> ClassNames {
        untrack(|| self.class_names())
    }

    /// The loaded dataset's identity (tracked); `None` until it has loaded.
    pub fn dataset(&self) -> Option<DatasetId> {
        self.data.with(DataState::dataset)
    }

    /// Keeps every run that finishes in this visit, and, once both the dataset and the
    /// store are loaded, shows what was kept in every tab and starts the shown tab's worker
    /// (unless it shows a kept run: nothing to train yet).
    pub fn install_keeping(&self) {
        let lab = *self;
        for ctl in [lab.p2, lab.p3.ctl, lab.p4.ctl] {
            ctl.keep_checkpoints(Callback::new(move |checkpoint| {
                if let Some(dataset) = untrack(|| lab.dataset()) {
                    lab.kept.keep_checkpoint(&dataset, checkpoint);
                }
            }));
        }
        for run in [lab.p2.run, lab.p3.run] {
            Effect::new(move |_| {
                let Some(result) = run.result.get() else { return };
                if run.restored.get_untracked().is_none() && let Some(dataset) = untrack(|| lab.dataset()) {
                    lab.kept.keep(dataset, Outcome::Classifier(result), None, run.model.get_untracked());
                }
            });
        }
        let p4 = lab.p4;
        Effect::new(move |_| {
            let Some(result) = p4.out.result.get() else { return };
            if p4.run.restored.get_untracked().is_none() && let Some(dataset) = untrack(|| lab.dataset()) {
                lab.kept.keep(dataset, Outcome::Denoiser(Box::new(result)), None, p4.out.model.get_untracked());
            }
        });
        Effect::new(move |done: Option<bool>| {
            if done == Some(true) {
                return true;
            }
            let (Some(dataset), true) = (lab.dataset(), lab.kept.is_loaded()) else { return false };
            untrack(|| {
                if let Some(Ok(record)) = lab.shared.get_value() {
                    lab.shared_key.set(Some(record.key()));
                    lab.show_record(record);
                }
                lab.restore_kept(&dataset);
                lab.warm_up();
            });
            true
        });
    }

    /// Shows the kept runs of `dataset` in the tabs that show nothing yet.
    fn restore_kept(&self, dataset: &DatasetId) {
        // P2D at the seed's setup shows the sweep its latest kept network belongs to.
        let sweep_default = self.sweep.query.with_untracked(|q| q.config == RunConfig::p2d() && q.sweep == Default::default());
        if self.linked != Some(ExperimentId::P2d) && sweep_default && !self.sweep.busy.get_untracked() && let Some(record) = untrack(|| self.kept.latest(ExperimentId::P2d, dataset)) {
            self.adopt_sweep(&record);
        }
        for id in [ExperimentId::P2, ExperimentId::P3, ExperimentId::P4] {
            let Some(run) = self.controller(id).map(|c| c.run) else { continue };
            if run.is_running_untracked() || run.config.with_untracked(Option::is_some) {
                continue;
            }
            let config = self.query(id).with_untracked(|q| q.config.clone());
            let record = untrack(|| {
                self.kept.find(&config, dataset).or_else(|| {
                    // A tab at the seed's setup shows the latest kept run of its experiment.
                    (self.linked != Some(id) && config == RunConfig::for_experiment(id)).then(|| self.kept.latest(id, dataset)).flatten()
                })
            });
            if let Some(record) = record {
                self.show_in_tab(record);
            }
        }
    }

    /// Shows a run (kept, imported or shared) in its tab (P2, P3, P4: P2D's networks show
    /// in the sweep they belong to), its setup in the tab's form, unless the tab trains;
    /// returns whether it did.
    pub fn show_in_tab(&self, record: RunRecord) -> bool {
        let id = record.experiment();
        if self.is_busy(id) || id == ExperimentId::P2d {
            return false;
        }
        let query = self.query(id);
        if query.with_untracked(|q| q.config != *record.config()) {
            query.update(|q| q.config = record.config().clone());
        }
        match (record.outcome, self.controller(id)) {
            (Outcome::Classifier(result), Some(ctl)) => ctl.run.restore(result, record.saved_at_ms),
            (Outcome::Denoiser(result), _) => self.p4.restore(*result, record.saved_at_ms),
            (Outcome::Classifier(_), None) => return false,
        }
        true
    }

    /// The experiment's query (its tab's setup).
    pub fn query(&self, id: ExperimentId) -> RwSignal<PageQuery> {
        match id {
            ExperimentId::P2 => self.p2.query,
            ExperimentId::P2d => self.sweep.query,
            ExperimentId::P3 => self.p3.query,
            ExperimentId::P4 => self.p4.query,
        }
    }

    /// The experiment's run status (tracked).
    pub fn status(&self, id: ExperimentId) -> RunStatus {
        match id {
            ExperimentId::P2 => self.p2.run.status.get(),
            ExperimentId::P2d => self.sweep.status(),
            ExperimentId::P3 => self.p3.run.status.get(),
            ExperimentId::P4 => self.p4.run.status.get(),
        }
    }

    /// Whether the experiment is training or paused (tracked).
    pub fn is_busy(&self, id: ExperimentId) -> bool {
        matches!(self.status(id), RunStatus::Running | RunStatus::Paused)
    }

    /// Fraction of the experiment's current (or last) run done (tracked).
    pub fn fraction_done(&self, id: ExperimentId) -> f64 {
        match id {
            ExperimentId::P2 => self.p2.run.overall_fraction(),
            ExperimentId::P2d => self.sweep.fraction_done(),
            ExperimentId::P3 => self.p3.run.overall_fraction(),
            ExperimentId::P4 => self.p4.run.overall_fraction(),
        }
    }

    /// The experiment that is training, if one is (tracked).
    pub fn busy_experiment(&self) -> Option<ExperimentId> {
        ExperimentId::ALL.into_iter().find(|&id| self.is_busy(id))
    }

    /// Why `id` cannot start now because of another experiment or the report (tracked).
    pub fn blocked_reason(&self, id: ExperimentId) -> Option<String> {
        if self.report.is_running() {
            return Some("The whole report is running (see the bar above); it trains each experiment in turn.".into());
        }
        let other = self.busy_experiment().filter(|&other| other != id)?;
        let what = match other {
            ExperimentId::P2 => "P2 is training",
            ExperimentId::P2d => "The P2D sweep is training",
            ExperimentId::P3 => "The P3 CNN is training",
            ExperimentId::P4 => "P4 is training",
        };
        Some(format!("{what} (in its tab); this can start when it has finished or been cancelled."))
    }

    /// Starts `id` with its tab's query, if the dataset is loaded and nothing else trains.
    /// Returns whether it started (a sweep whose networks are all kept has nothing to do
    /// and also returns `true`: its status reads `done`).
    pub fn start(&self, id: ExperimentId) -> bool {
        self.start_as(id, false)
    }

    /// As [`Self::start`]; `for_report`: the whole report runs it (P3 then keeps its CNN
    /// for the report's P4 without asking).
    pub fn start_as(&self, id: ExperimentId, for_report: bool) -> bool {
        let ready = self.data.with_untracked(DataState::is_ready);
        let other_busy = untrack(|| self.busy_experiment()).is_some();
        if !ready || other_busy {
            return false;
        }
        match id {
            ExperimentId::P2 => self.p2.start(None, false),
            ExperimentId::P2d => self.sweep.start(),
            ExperimentId::P3 => {
                // The worker drops what it held when its next run starts.
                self.p3.held.set(None);
                self.p3.ctl.start(None, for_report);
            }
            ExperimentId::P4 => self.p4.start(),
        }
        true
    }

    /// The single-worker controller of `id` (P2, P3, P4; P2D has its sweep).
    pub fn controller(&self, id: ExperimentId) -> Option<RunController> {
        match id {
            ExperimentId::P2 => Some(self.p2),
            ExperimentId::P3 => Some(self.p3.ctl),
            ExperimentId::P4 => Some(self.p4.ctl),
            ExperimentId::P2d => None,
        }
    }

    /// Goes on with an interrupted run of `id` from `checkpoint`, if nothing else trains and
    /// the checkpoint is of the tab's setup.
    /// Goes on with `id`'s interrupted run from `checkpoint`; `for_report`: as a part of the
    /// whole report (P3 then keeps its CNN for the report's P4).
    pub fn resume_from(&self, id: ExperimentId, checkpoint: crate::experiment::result::Checkpoint, for_report: bool) -> Result<(), String> {
        let ctl = self.controller(id).ok_or("this experiment does not resume")?;
        if !self.data.with_untracked(DataState::is_ready) || untrack(|| self.busy_experiment()).is_some() || (!for_report && self.report.is_running()) {
            return Err("another run is training; resume when it has finished".into());
        }
        if !ctl.query.with_untracked(|q| checkpoint.resumes(&q.config)) {
            return Err("the checkpoint is not of this setup".into());
        }
        if id == ExperimentId::P3 {
            self.p3.held.set(None);
        }
        ctl.start_from(None, for_report && id == ExperimentId::P3, Some(checkpoint));
        Ok(())
    }

    pub fn pause(&self, id: ExperimentId) {
        match id {
            ExperimentId::P2 => self.p2.pause(),
            ExperimentId::P2d => self.sweep.pause(),
            ExperimentId::P3 => self.p3.ctl.pause(),
            ExperimentId::P4 => self.p4.ctl.pause(),
        }
    }

    pub fn resume(&self, id: ExperimentId) {
        match id {
            ExperimentId::P2 => self.p2.resume(),
            ExperimentId::P2d => self.sweep.resume(),
            ExperimentId::P3 => self.p3.ctl.resume(),
            ExperimentId::P4 => self.p4.ctl.resume(),
        }
    }

    pub fn cancel(&self, id: ExperimentId) {
        match id {
            ExperimentId::P2 => self.p2.cancel(),
            ExperimentId::P2d => self.sweep.cancel(),
            ExperimentId::P3 => self.p3.ctl.cancel(),
            ExperimentId::P4 => self.p4.ctl.cancel(),
        }
    }

    /// Starts the shown experiment's worker(s) now, so Train answers at once (not for a
    /// tab that shows a kept run: nothing may be trained there at all).
    pub fn warm_up(&self) {
        if let Tab::Experiment(id) = self.active.get_untracked() && self.shows_kept(id) {
            return;
        }
        match self.active.get_untracked() {
            // The playground's worker starts with its panel.
            Tab::Data | Tab::Playground => {}
            Tab::Experiment(ExperimentId::P2) => self.p2.warm_up(),
            Tab::Experiment(ExperimentId::P2d) => self.sweep.warm_up(),
            Tab::Experiment(ExperimentId::P3) => self.p3.ctl.warm_up(),
            Tab::Experiment(ExperimentId::P4) => self.p4.ctl.warm_up(),
        }
    }

    /// Whether the experiment's tab shows a kept run (not one of this visit); for P2D,
    /// whether every network of its sweep is kept.
    pub fn shows_kept(&self, id: ExperimentId) -> bool {
        match id {
            ExperimentId::P2 => self.p2.run.restored.with_untracked(Option::is_some),
            ExperimentId::P3 => self.p3.run.restored.with_untracked(Option::is_some),
            ExperimentId::P4 => self.p4.run.restored.with_untracked(Option::is_some),
            // Every network of the shown sweep kept: nothing to train.
            ExperimentId::P2d => self.sweep.plan.with_untracked(|plan| {
                !plan.is_empty() && self.sweep.finished.with_untracked(|f| plan.iter().all(|n| f.contains_key(&n.key)))
            }),
        }
    }

    /// Shows `tab`: the address bar follows its setup, idle workers of the other tabs go
    /// (their results stay on the page), and its worker starts.
    pub fn switch_to(&self, tab: Tab) {
        if self.active.get_untracked() == tab {
            return;
        }
        // Autostart belongs to the page load, not to a tab the reader opens.
        for id in ExperimentId::ALL {
            self.query(id).update(|q| q.autostart = false);
        }
        self.active.set(tab);
        if let Tab::Experiment(id) = tab {
            crate::web::replace_query(&self.query(id).with_untracked(PageQuery::to_query_string));
        }
        if tab != Tab::Experiment(ExperimentId::P2d) {
            self.sweep.shut_down_idle();
        }
        if tab != Tab::Experiment(ExperimentId::P2) {
            self.p2.shut_down_idle();
        }
        if tab != Tab::Experiment(ExperimentId::P3) {
            // Leaving without deciding keeps the kept CNN; the idle worker and what it held go.
            if !self.p3.run.is_running_untracked() {
                self.p3.held.set(None);
            }
            self.p3.ctl.shut_down_idle();
        }
        // P4's worker holds the trained autoencoder for 4B/4D requests: it stays.
        if self.data.with_untracked(DataState::is_ready) && untrack(|| self.kept.is_loaded()) {
            self.warm_up();
        }
    }
}
