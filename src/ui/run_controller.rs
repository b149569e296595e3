//! One run controller for every single-worker experiment (P2, P3, P4): the next run's
//! query, the run's state, and the worker that trains it — start, pause, resume, cancel.
//! Each tab adds only what its experiment has besides (P3's kept CNN, P4's figures).

use futures_channel::oneshot;
use leptos::prelude::*;

use super::backend_choice;
use super::state::RunState;
use super::threads::page_has_webgpu;
use super::worker_client::{CancelOutcome, WorkerClient, WorkerEvent};
use crate::experiment::probe::ProbeOutcome;
use crate::experiment::{BackendChoice, PageQuery, RunConfig};
use crate::experiment::result::Checkpoint;
use crate::protocol::{CnnStage, WorkerInput, WorkerOutput};

/// A run and its worker; `Copy`, shared by the lab and the tab that shows it.
#[derive(Clone, Copy)]
pub struct RunController {
    /// The next run's setup, edited by the tab's controls.
    pub query: RwSignal<PageQuery>,
    /// The current (or last) run.
    pub run: RunState,
    client: StoredValue<Option<WorkerClient>, LocalStorage>,
    data_url: StoredValue<String>,
    /// Where the run's checkpoints go (set by the lab, which keeps them).
    on_checkpoint: StoredValue<Option<Callback<Checkpoint>>>,
    /// Where the CPU probe's answer goes while `auto` measures (see [`backend_choice`]).
    probe_reply: StoredValue<Option<oneshot::Sender<(String, ProbeOutcome)>>, LocalStorage>,
    /// `auto` is measuring: nothing is training yet.
    probing: StoredValue<bool>,
}

impl RunController {
    /// Spawns nothing yet. Every worker event goes to `on_event` (which usually ends in
    /// [`RunState::apply`]); the handler gets the controller, so it can act on the run.
    pub fn new(query: RwSignal<PageQuery>, data_url: String, on_event: impl Fn(RunController, WorkerEvent) + 'static) -> Self {
        Self::with_state(query, RunState::new(), data_url, on_event)
    }

    /// As [`Self::new`], showing the run in `run` (signals a view already holds: a sweep's
    /// worker slots exist before their workers do).
    pub fn with_state(query: RwSignal<PageQuery>, run: RunState, data_url: String, on_event: impl Fn(RunController, WorkerEvent) + 'static) -> Self {
        let this = Self {
            query,
            run,
            client: StoredValue::new_local(None),
            data_url: StoredValue::new(data_url),
            on_checkpoint: StoredValue::new(None),
            probe_reply: StoredValue::new_local(None),
            probing: StoredValue::new(false),
        };
        let client = WorkerClient::threading(move |event| match event {
            WorkerEvent::Output(WorkerOutput::Checkpoint(checkpoint)) => {
                if this.run.is_running_untracked() && let Some(keep) = this.on_checkpoint.get_value() {
                    keep.run(checkpoint);
                }
            }
            WorkerEvent::Output(WorkerOutput::Probed { name, outcome }) => this.answer_probe(name, outcome),
            event => {
                // A worker that dies while it probes answers the probe too.
                if let WorkerEvent::Crashed(reason) | WorkerEvent::Failed(reason) = &event {
                    this.answer_probe("cpu".into(), ProbeOutcome::Failed { reason: reason.clone() });
                }
                on_event(this, event)
            }
        });
        this.client.set_value(Some(client));
        this
    }

    /// A controller whose events only update the run's state.
    pub fn plain(query: RwSignal<PageQuery>, data_url: String) -> Self {
        Self::new(query, data_url, |c, event| c.run.apply(event))
    }

    fn with_client<T>(&self, f: impl FnOnce(&WorkerClient) -> Result<T, String>) -> Result<T, String> {
        self.client.with_value(|c| c.as_ref().map_or_else(|| Err("the training worker is not set up".to_string()), f))
    }

    /// Sends the run's checkpoints to `keep`.
    pub fn keep_checkpoints(&self, keep: Callback<Checkpoint>) {
        self.on_checkpoint.set_value(Some(keep));
    }

    /// Trains with the current query (P4: after `cnn`, its CNN stage, if given; P3:
    /// replacing a kept CNN without asking if `replace_kept_cnn`); nothing if a run is going.
    pub fn start(&self, cnn: Option<CnnStage>, replace_kept_cnn: bool) {
        self.start_from(cnn, replace_kept_cnn, None);
    }

    /// As [`Self::start`], going on from `resume` (a checkpoint of the query's run).
    pub fn start_from(&self, cnn: Option<CnnStage>, replace_kept_cnn: bool, resume: Option<Checkpoint>) {
        if self.run.is_running_untracked() {
            return;
        }
        let query = self.query.get_untracked();
        self.run.begin(query.config.clone());
        if let Some(checkpoint) = &resume {
            // The finished epochs show at once; the worker goes on with the next.
            self.run.history.set(checkpoint.history.clone());
            self.run.phase.set(Some(format!("resuming after epoch {}…", checkpoint.history.len())));
        }
        self.client.with_value(|c| c.as_ref().map(|c| c.want_threads(query.threads)));
        if query.backend == BackendChoice::Auto && page_has_webgpu() {
            // `auto` on a page with WebGPU: measure (or recall) which backend is faster first.
            let this = *self;
            leptos::task::spawn_local(async move {
                let data_url = this.data_url.get_value();
                let probe_cpu = || this.probe_cpu(&query.config, &data_url);
                this.probing.set_value(true);
                let decided = backend_choice::decide(&query.config, &data_url, probe_cpu, || this.run.is_running_untracked()).await;
                this.probing.set_value(false);
                // Cancelled (or failed) while it measured: nothing more to start.
                if !this.run.is_running_untracked() {
                    return;
                }
                let backend = decided.as_ref().map_or(BackendChoice::Cpu, |(choice, _)| *choice);
                this.run.backend_choice.set(decided.map(|(_, line)| line));
                this.post_start(&query, backend, cnn, replace_kept_cnn, resume);
            });
            return;
        }
        self.post_start(&query, query.backend, cnn, replace_kept_cnn, resume);
    }

    fn post_start(&self, query: &PageQuery, backend: BackendChoice, cnn: Option<CnnStage>, replace_kept_cnn: bool, resume: Option<Checkpoint>) {
        let input = WorkerInput::Start { config: query.config.clone(), backend, data_url: self.data_url.get_value(), cnn, replace_kept_cnn, resume };
        if let Err(e) = self.with_client(|c| c.start(input)) {
            self.run.fail(e);
        }
    }

    /// Times a few steps of `config` on the CPU backend, in the worker a CPU run goes to.
    async fn probe_cpu(&self, config: &RunConfig, data_url: &str) -> (String, ProbeOutcome) {
        let (sender, receiver) = oneshot::channel();
        self.probe_reply.set_value(Some(sender));
        self.run.phase.set(Some("auto: timing a few steps on each backend…".into()));
        let input = WorkerInput::Probe { config: config.clone(), backend: BackendChoice::Cpu, data_url: data_url.into() };
        if let Err(reason) = self.with_client(|c| c.start(input)) {
            self.probe_reply.set_value(None);
            return ("cpu".into(), ProbeOutcome::Failed { reason });
        }
        receiver.await.unwrap_or_else(|_| ("cpu".into(), ProbeOutcome::Failed { reason: "the probe was dropped".into() }))
    }

    fn answer_probe(&self, name: String, outcome: ProbeOutcome) {
        if let Some(sender) = self.probe_reply.try_update_value(Option::take).flatten() {
            let _ = sender.send((name, outcome));
        }
    }

    /// Posts a request that is not a run (P4's 4B/4D) to the worker.
    pub fn request(&self, input: WorkerInput) -> Result<(), String> {
        self.with_client(|c| c.start(input))
    }

    /// Holds the run after the worker's current step (not while `auto` measures: the probe
    /// takes a few seconds and trains nothing).
    pub fn pause(&self) {
        if !self.run.is_running_untracked() || self.run.is_paused_untracked() || self.probing.get_value() {
            return;
        }
        match self.with_client(|c| c.send(&WorkerInput::Pause)) {
            Ok(true) => self.run.phase.set(Some("pausing after the current step…".into())),
            Ok(false) => {}
            Err(e) => self.run.fail(e),
        }
    }

    /// Lets a paused run go on.
    pub fn resume(&self) {
        if let Err(e) = self.with_client(|c| c.send(&WorkerInput::Resume)) {
            self.run.fail(e);
        }
    }

    /// Stops the run after the worker's current step (a paused run stops at once).
    pub fn cancel(&self) {
        if self.probing.get_value() {
            // Nothing trains yet: the run ends now, and the probe stops without a decision.
            let _ = self.with_client(WorkerClient::cancel);
            self.run.cancelled_before_start();
            return;
        }
        match self.with_client(WorkerClient::cancel) {
            Ok(CancelOutcome::Posted) => self.run.phase.set(Some("cancelling after the current step…".into())),
            Ok(CancelOutcome::DroppedQueuedStart | CancelOutcome::Nothing) => self.run.cancelled_before_start(),
            Err(e) => self.run.fail(e),
        }
    }

    /// Starts the worker the next run goes to now, so Train answers at once.
    pub fn warm_up(&self) {
        let query = self.query.get_untracked();
        self.client.with_value(|c| c.as_ref().map(|c| c.want_threads(query.threads)));
        if let Err(e) = self.with_client(|c| c.warm_up_for(query.backend)) {
            self.run.fail(e);
        }
    }

    /// Ends the worker unless it is training (the results stay on the page).
    pub fn shut_down_idle(&self) {
        if !self.run.is_running_untracked() {
            self.client.with_value(|c| c.as_ref().map(WorkerClient::shutdown));
        }
    }
}
