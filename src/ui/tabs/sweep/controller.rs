//! P2D's sweep, run by the page: the networks of the sweep (factors x replicates) not yet
//! finished wait in a queue; each is one `WorkerInput::Start` to a training worker. On the
//! CPU backend several workers train in parallel (each wasm worker is single-threaded), on
//! WebGPU one does. Every finished network is kept ([`crate::ui::kept`]), so a reload
//! shows it at once and a restarted sweep goes on with the next unfinished one.
//!
//! [`Sweep`] is `Copy`: reactive state for the view, plus the controller (queue, worker
//! clients, which network each worker trains) in a page-local `StoredValue`. Worker events
//! arrive from JS callbacks; nothing here is re-entered while the controller is borrowed
//! (posting to a worker never calls back synchronously).

use std::collections::{HashMap, VecDeque};

use leptos::prelude::*;

use super::plan::{MAX_WORKERS, PlannedNetwork, Session, SlotView, networks_of};
use crate::ui::state::{BackendInfo, RunStatus};
use crate::ui::kept::Kept;
use crate::ui::worker_client::{CancelOutcome, WorkerClient, WorkerEvent};
use crate::experiment::p2d::{self, FactorStats};
use crate::experiment::schedule;
use crate::experiment::{BackendChoice, ExperimentId, PageQuery, RunResult};
use crate::data::DatasetId;
use crate::experiment::record::Outcome;
use crate::protocol::{WorkerInput, WorkerOutput};
use crate::web;

/// Progress redraws per worker are throttled to this interval (epoch ends always show).
const PROGRESS_INTERVAL_MS: f64 = 250.0;

/// The controller: not reactive, page-local (worker clients hold `Rc`s).
struct Ctl {
    /// Created on first use, one per slot.
    clients: Vec<Option<WorkerClient>>,
    /// The network each slot's worker trains.
    jobs: Vec<Option<PlannedNetwork>>,
    queue: VecDeque<PlannedNetwork>,
    backend: BackendChoice,
    data_url: String,
    /// Slots to use now.
    target: usize,
    last_progress_ms: Vec<f64>,
    /// Ticks `now_ms` while the sweep runs.
    ticker: Option<leptos::prelude::IntervalHandle>,
    /// Networks (by index) whose worker crashed once in this sweep: trained again once.
    retried: Vec<usize>,
}

/// The sweep's state and controller.
#[derive(Clone, Copy)]
pub struct Sweep {
    /// The P2D query (the sweep's setup), edited by the panel's controls.
    pub query: RwSignal<PageQuery>,
    /// The query's networks.
    pub plan: Memo<Vec<PlannedNetwork>>,
    /// Finished networks by storage key (loaded from storage, or trained here).
    pub finished: RwSignal<HashMap<String, RunResult>>,
    pub slots: [SlotView; MAX_WORKERS],
    /// Networks queued or training.
    pub busy: RwSignal<bool>,
    /// Held by the visitor: the running networks wait after their current step and no
    /// queued one starts until Resume.
    pub paused: RwSignal<bool>,
    pub cancelling: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    /// `Some(networks finished)` after a cancelled sweep.
    pub cancelled: RwSignal<Option<usize>>,
    pub backend: RwSignal<Option<BackendInfo>>,
    pub session: RwSignal<Option<Session>>,
    /// Workers in use.
    pub workers: RwSignal<usize>,
    /// Workers to use on the CPU backend (the reader's choice).
    pub cpu_workers: RwSignal<usize>,
    /// Networks waiting for a worker.
    pub queued: RwSignal<usize>,
    /// Where finished networks are kept (with every other run).
    pub kept: Kept,
    dataset: Signal<Option<DatasetId>>,
    /// The network whose log is shown (storage key); `None` = the first.
    pub selected: RwSignal<Option<String>>,
    /// Seconds one validation pass over the test images took (latest epoch seen), for the
    /// ETA: a running epoch's step reports cover training only.
    pub validation_seconds: RwSignal<Option<f64>>,
    /// The clock the ETA counts from, ticking every second while the sweep runs.
    pub now_ms: RwSignal<f64>,
    /// A worker crashed and its network is being trained again.
    pub retry_note: RwSignal<Option<String>>,
    ctl: StoredValue<Ctl, LocalStorage>,
}

/// Cores the browser reports (1 when it does not say).
pub fn cores() -> usize {
    web_sys::window().map_or(1, |w| w.navigator().hardware_concurrency() as usize).max(1)
}

/// Whether the page's browser exposes WebGPU at all (the worker may still fall back).
fn page_has_webgpu() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w.navigator(), &"gpu".into()).ok())
        .is_some_and(|gpu| !gpu.is_undefined() && !gpu.is_null())
}

impl Sweep {
    pub fn new(query: RwSignal<PageQuery>, data_url: String, kept: Kept, dataset: Signal<Option<DatasetId>>) -> Self {
        let plan = Memo::new(move |_| dataset.with(|d| query.with(|q| networks_of(q, d.as_ref()))));
        let sweep = Self {
            query,
            plan,
            finished: RwSignal::new(HashMap::new()),
            slots: [SlotView::new(), SlotView::new(), SlotView::new(), SlotView::new()],
            busy: RwSignal::new(false),
            paused: RwSignal::new(false),
            cancelling: RwSignal::new(false),
            error: RwSignal::new(None),
            cancelled: RwSignal::new(None),
            backend: RwSignal::new(None),
            session: RwSignal::new(None),
            workers: RwSignal::new(0),
            cpu_workers: RwSignal::new(query.with_untracked(|q| q.workers).unwrap_or_else(|| cores().clamp(1, 2)).clamp(1, MAX_WORKERS)),
            queued: RwSignal::new(0),
            kept,
            dataset,
            selected: RwSignal::new(None),
            validation_seconds: RwSignal::new(None),
            now_ms: RwSignal::new(0.0),
            ctl: StoredValue::new_local(Ctl {
                clients: (0..MAX_WORKERS).map(|_| None).collect(),
                jobs: vec![None; MAX_WORKERS],
                queue: VecDeque::new(),
                backend: BackendChoice::Auto,
                data_url,
                target: 0,
                last_progress_ms: vec![f64::NEG_INFINITY; MAX_WORKERS],
                ticker: None,
                retried: Vec::new(),
            }),
            retry_note: RwSignal::new(None),
        };
        // Whatever this setup already trained (in this browser) shows at once.
        Effect::new(move |_| {
            kept.records.track();
            plan.with(|p| sweep.load_stored(p));
        });
        sweep
    }

    fn load_stored(&self, plan: &[PlannedNetwork]) {
        let found: Vec<(String, RunResult)> = self.finished.with_untracked(|f| {
            plan.iter()
                .filter(|n| !f.contains_key(&n.key))
                .filter_map(|n| match self.kept.records.with_untracked(|r| r.get(&n.key).map(|rec| rec.outcome.clone())) {
                    Some(Outcome::Classifier(result)) if result.config == n.config => Some((n.key.clone(), result)),
                    _ => None,
                })
                .collect()
        });
        if !found.is_empty() {
            self.finished.update(|f| f.extend(found));
        }
    }

    /// Exactly `idle`, `running`, `done` (every network of the sweep finished) or
    /// `error: <message>`.
    pub fn status(&self) -> RunStatus {
        if let Some(message) = self.error.get() {
            RunStatus::Error(message)
        } else if self.busy.get() && self.paused.get() {
            RunStatus::Paused
        } else if self.busy.get() {
            RunStatus::Running
        } else if self.finished_count() == self.plan.with(Vec::len) && self.plan.with(|p| !p.is_empty()) {
            RunStatus::Done
        } else {
            RunStatus::Idle
        }
    }

    /// The finished networks of the sweep, in its order.
    pub fn results(&self) -> Vec<(PlannedNetwork, RunResult)> {
        self.plan.with(|p| self.finished.with(|f| p.iter().filter_map(|n| f.get(&n.key).map(|r| (n.clone(), r.clone()))).collect()))
    }

    pub fn finished_count(&self) -> usize {
        self.plan.with(|p| self.finished.with(|f| p.iter().filter(|n| f.contains_key(&n.key)).count()))
    }

    /// The seed's table over the finished networks.
    pub fn stats(&self) -> Vec<FactorStats> {
        let results: Vec<RunResult> = self.results().into_iter().map(|(_, r)| r).collect();
        self.query.with(|q| p2d::statistics(&q.sweep, &results))
    }

    /// The best finished network and its final validation accuracy.
    pub fn best(&self) -> Option<(PlannedNetwork, f64)> {
        self.results()
            .into_iter()
            .filter_map(|(n, r)| r.history.last().map(|m| (n, m.val_accuracy)))
            .fold(None, |best: Option<(PlannedNetwork, f64)>, (n, a)| match best {
                Some((_, b)) if b >= a => best,
                _ => Some((n, a)),
            })
    }

    /// The slot training `key`, if one is.
    pub fn slot_of(&self, key: &str) -> Option<SlotView> {
        self.slots.iter().copied().find(|s| s.network.with(|n| n.as_ref().is_some_and(|n| n.key == key)))
    }

    /// Fraction of the sweep done (finished networks plus the running ones' progress).
    pub fn fraction_done(&self) -> f64 {
        let total = self.plan.with(Vec::len);
        if total == 0 {
            return 0.0;
        }
        let epochs = self.query.with(|q| q.config.schedule.epochs).max(1) as f64;
        let running: f64 = self.slots.iter().filter(|s| s.network.with(Option::is_some)).map(|s| s.epochs_done() / epochs).sum();
        ((self.finished_count() as f64 + running) / total as f64).clamp(0.0, 1.0)
    }

    /// Seconds until the whole sweep is done. A running network has left the larger of
    /// its epochs still to train at its own pace, and the mean wall time of this sweep's
    /// finished networks minus its time so far (which covers the final test pass and the
    /// start-up that epochs do not show); the queued networks take that mean time each, on
    /// the worker that is free first.
    pub fn eta_seconds(&self) -> Option<f64> {
        if !self.busy.get() {
            return None;
        }
        let now = self.now_ms.get().max(web::now_ms());
        let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let (walls, seconds) = self.session.with(|s| s.as_ref().map(|s| (s.walls.clone(), s.seconds.clone())).unwrap_or_default());
        // Before this sweep finished one: the stored networks' training time.
        let stored_seconds: Vec<f64> = self.results().iter().map(|(_, r)| r.seconds).collect();
        let validation = self.validation_seconds.get();
        let running = self
            .slots
            .iter()
            .filter(|s| s.network.with(Option::is_some))
            .map(|slot| schedule::Running {
                epochs_done: slot.epochs_done(),
                seconds_per_epoch: slot.seconds_per_epoch(validation),
                elapsed_seconds: ((now - slot.started_ms.get()) / 1000.0).max(0.0),
                validating: slot.validating(),
            })
            .collect();
        schedule::seconds_left(&schedule::Progress {
            epochs: self.query.with(|q| q.config.schedule.epochs),
            running,
            queued: self.queued.get(),
            workers: self.workers.get(),
            mean_wall_seconds: mean(&walls),
            mean_training_seconds: mean(&seconds).or_else(|| mean(&stored_seconds)),
            validation_seconds: validation,
        })
    }

    /// Workers to start with for `backend`.
    fn initial_workers(&self, backend: BackendChoice) -> usize {
        let cpu = self.cpu_workers.get_untracked().clamp(1, MAX_WORKERS);
        match backend {
            BackendChoice::Cpu => cpu,
            BackendChoice::Webgpu => 1,
            // One worker finds out; more follow if it falls back to the CPU.
            BackendChoice::Auto if page_has_webgpu() => 1,
            BackendChoice::Auto => cpu,
        }
    }

    /// Starts the workers the next sweep will use, so that "Train sweep" answers at once.
    pub fn warm_up(&self) {
        let workers = self.initial_workers(self.query.with_untracked(|q| q.backend));
        let clients: Vec<WorkerClient> = self.ctl.try_update_value(|c| (0..workers).map(|i| self.client(c, i)).collect()).unwrap_or_default();
        for client in clients {
            if let Err(e) = client.ensure_live() {
                web_sys::console::warn_1(&format!("cannot start a training worker yet: {e}").into());
            }
        }
    }

    /// Stops the idle workers (another experiment is shown); a later sweep starts new ones.
    pub fn shut_down_idle(&self) {
        if self.busy.get_untracked() {
            return;
        }
        let clients: Vec<WorkerClient> = self.ctl.try_update_value(|c| c.clients.iter_mut().filter_map(Option::take).collect()).unwrap_or_default();
        for client in clients {
            client.shutdown();
        }
    }

    fn client(&self, ctl: &mut Ctl, slot: usize) -> WorkerClient {
        let this = *self;
        ctl.clients[slot].get_or_insert_with(|| WorkerClient::new(move |event| this.on_event(slot, event))).clone()
    }

    /// "Train sweep": queues every unfinished network and starts the workers.
    pub fn start(&self) {
        if self.busy.get_untracked() {
            return;
        }
        let plan = self.plan.get_untracked();
        self.load_stored(&plan);
        let queue: VecDeque<PlannedNetwork> = self.finished.with_untracked(|f| plan.iter().filter(|n| !f.contains_key(&n.key)).cloned().collect());
        self.error.set(None);
        self.cancelled.set(None);
        self.cancelling.set(false);
        self.retry_note.set(None);
        if queue.is_empty() {
            // Everything is stored already: the status says `done`.
            return;
        }
        let backend = self.query.with_untracked(|q| q.backend);
        let workers = self.initial_workers(backend);
        let now = web::now_ms();
        self.session.set(Some(Session { started_ms: now, finished: 0, last_finished_ms: now, seconds: Vec::new(), walls: Vec::new(), workers }));
        self.now_ms.set(now);
        self.workers.set(workers);
        self.queued.set(queue.len());
        self.busy.set(true);
        for slot in &self.slots {
            slot.clear();
        }
        let now_ms = self.now_ms;
        let ticker = set_interval_with_handle(move || now_ms.set(web::now_ms()), std::time::Duration::from_secs(1)).ok();
        self.ctl.update_value(|c| {
            c.queue = queue;
            c.retried.clear();
            c.backend = backend;
            c.target = workers;
            if let Some(old) = std::mem::replace(&mut c.ticker, ticker) {
                old.clear();
            }
        });
        self.dispatch();
    }

    /// Gives each free worker (up to the target) the next queued network (none while
    /// the sweep is paused).
    fn dispatch(&self) {
        if self.paused.get_untracked() {
            return;
        }
        let mut starts = Vec::new();
        let mut queued = 0;
        self.ctl.update_value(|c| {
            // Which free worker takes which queued network: the core's rule.
            let waiting: Vec<usize> = c.queue.iter().map(|n| n.index).collect();
            let slots: Vec<Option<usize>> = c.jobs.iter().map(|j| j.as_ref().map(|n| n.index)).collect();
            for (slot, index) in schedule::assign(&waiting, &slots, c.target) {
                let Some(position) = c.queue.iter().position(|n| n.index == index) else { continue };
                let Some(network) = c.queue.remove(position) else { continue };
                let client = self.client(c, slot);
                let input = WorkerInput::Start { config: network.config.clone(), backend: c.backend, data_url: c.data_url.clone(), cnn: None, replace_kept_cnn: false, resume: None };
                c.jobs[slot] = Some(network.clone());
                c.last_progress_ms[slot] = f64::NEG_INFINITY;
                starts.push((slot, client, network, input));
            }
            queued = c.queue.len();
        });
        self.queued.set(queued);
        for (slot, client, network, input) in starts {
            let view = self.slots[slot];
            view.clear();
            view.started_ms.set(web::now_ms());
            view.network.set(Some(network));
            view.phase.set(Some(if client.is_starting() { "starting the training worker…".into() } else { "starting".into() }));
            if let Err(e) = client.start(input) {
                self.release(slot);
                self.fail(e);
            }
        }
        self.check_idle();
    }

    /// Frees a slot; returns the network it was training.
    fn release(&self, slot: usize) -> Option<PlannedNetwork> {
        let job = self.ctl.try_update_value(|c| c.jobs[slot].take()).flatten();
        if job.is_some() {
            self.slots[slot].clear();
        }
        job
    }

    /// When nothing is queued or training any more, the sweep has stopped.
    fn check_idle(&self) {
        let idle = self.ctl.with_value(|c| c.queue.is_empty() && c.jobs.iter().all(Option::is_none));
        if idle && self.busy.get_untracked() {
            if let Some(ticker) = self.ctl.try_update_value(|c| c.ticker.take()).flatten() {
                ticker.clear();
            }
            if self.cancelling.get_untracked() {
                self.cancelling.set(false);
                self.cancelled.set(Some(self.plan.with_untracked(|p| self.finished.with_untracked(|f| p.iter().filter(|n| f.contains_key(&n.key)).count()))));
            }
            self.busy.set(false);
        }
    }

    /// The workers that are training a network.
    fn busy_clients(&self) -> Vec<WorkerClient> {
        self.ctl.with_value(|c| (0..MAX_WORKERS).filter(|&i| c.jobs[i].is_some()).filter_map(|i| c.clients[i].clone()).collect())
    }

    /// "Pause": every running network waits after its current step; none starts.
    pub fn pause(&self) {
        if !self.busy.get_untracked() || self.paused.get_untracked() {
            return;
        }
        self.paused.set(true);
        for client in self.busy_clients() {
            if let Err(e) = client.send(&WorkerInput::Pause) {
                web_sys::console::error_1(&format!("cannot pause a worker: {e}").into());
            }
        }
    }

    /// "Resume": the held networks go on, and free workers take queued ones again.
    pub fn resume(&self) {
        if !self.paused.get_untracked() {
            return;
        }
        self.paused.set(false);
        for client in self.busy_clients() {
            if let Err(e) = client.send(&WorkerInput::Resume) {
                web_sys::console::error_1(&format!("cannot resume a worker: {e}").into());
            }
        }
        self.dispatch();
    }

    /// "Cancel": empties the queue and stops every worker after its current step; what
    /// finished stays (and a network that finishes meanwhile is kept too).
    pub fn cancel(&self) {
        if !self.busy.get_untracked() {
            return;
        }
        self.cancelling.set(true);
        self.paused.set(false);
        self.stop_all();
    }

    fn stop_all(&self) {
        let running: Vec<(usize, Option<WorkerClient>)> = self.ctl.try_update_value(|c| {
            c.queue.clear();
            (0..MAX_WORKERS).filter(|&i| c.jobs[i].is_some()).map(|i| (i, c.clients[i].clone())).collect()
        }).unwrap_or_default();
        self.queued.set(0);
        for (slot, client) in running {
            match client.map(|c| c.cancel()) {
                Some(Ok(CancelOutcome::Posted)) => self.slots[slot].phase.set(Some("cancelling after the current step…".into())),
                Some(Ok(CancelOutcome::DroppedQueuedStart | CancelOutcome::Nothing)) | None => {
                    self.release(slot);
                }
                Some(Err(e)) => {
                    web_sys::console::error_1(&format!("cannot cancel worker {}: {e}", slot + 1).into());
                    self.release(slot);
                }
            }
        }
        self.check_idle();
    }

    /// A failure: shown as the status; the other workers are stopped.
    fn fail(&self, message: String) {
        if self.error.with_untracked(Option::is_none) {
            self.error.set(Some(message));
        }
        self.stop_all();
    }

    /// Forgets every kept P2D network (this browser, all setups and datasets) and the
    /// ones shown; returns how many were kept.
    pub fn forget(&self) -> usize {
        if self.busy.get_untracked() {
            return 0;
        }
        let keys: Vec<String> = self.kept.records.with_untracked(|r| r.iter().filter(|(_, rec)| rec.experiment() == ExperimentId::P2d).map(|(k, _)| k.clone()).collect());
        for key in &keys {
            self.kept.forget(key);
        }
        self.finished.set(HashMap::new());
        self.cancelled.set(None);
        self.error.set(None);
        keys.len()
    }

    fn on_event(&self, slot: usize, event: WorkerEvent) {
        match event {
            WorkerEvent::Output(output) => self.on_output(slot, output),
            WorkerEvent::Crashed(message) => {
                let Some(network) = self.release(slot) else { return };
                // A crash (out of memory, a killed worker) is retried once, on a fresh
                // worker, while the other workers go on; a second one stops the sweep (what
                // finished is kept).
                let first = self.ctl.try_update_value(|c| {
                    let first = !c.retried.contains(&network.index);
                    if first {
                        c.retried.push(network.index);
                        c.queue.push_front(network.clone());
                    }
                    first
                });
                if first == Some(true) {
                    self.retry_note.set(Some(format!("worker {} crashed while training {} ({message}); it is trained again, once, on a fresh worker", slot + 1, network.label())));
                    self.dispatch();
                } else {
                    self.fail(format!("worker {} crashed twice on {}: {message}", slot + 1, network.label()));
                }
            }
            WorkerEvent::Failed(message) => self.fail(message),
        }
    }

    fn on_output(&self, slot: usize, output: WorkerOutput) {
        let view = self.slots[slot];
        let has_job = self.ctl.with_value(|c| c.jobs[slot].is_some());
        match output {
            WorkerOutput::Ready { .. } => {
                if has_job {
                    view.phase.set(Some("worker ready".into()));
                }
            }
            WorkerOutput::Status(text) => {
                if has_job {
                    view.phase.set(Some(text));
                }
            }
            WorkerOutput::Backend { name, fallback_reason } => {
                let on_cpu = name == "cpu";
                self.backend.set(Some(BackendInfo { name, fallback_reason }));
                if on_cpu {
                    self.grow_for_cpu();
                }
            }
            WorkerOutput::Progress(progress) => {
                if !has_job {
                    return;
                }
                let now = web::now_ms();
                let (epoch, step, steps) = (progress.epoch, progress.step, progress.steps);
                let new_epoch = view.step.with_untracked(|s| s.as_ref().is_none_or(|s| s.epoch != epoch));
                let due = self.ctl.try_update_value(|c| {
                    let due = new_epoch || step == steps || now - c.last_progress_ms[slot] >= PROGRESS_INTERVAL_MS;
                    if due {
                        c.last_progress_ms[slot] = now;
                    }
                    due
                });
                if due == Some(true) {
                    view.step.set(Some(progress));
                }
            }
            WorkerOutput::EpochEnd(metrics) => {
                if !has_job {
                    return;
                }
                // The epoch's seconds minus its training steps' is one validation pass.
                let trained = view.step.with_untracked(|s| s.as_ref().filter(|s| s.epoch == metrics.epoch && s.step == s.steps).map(|s| s.elapsed_seconds));
                if let Some(trained) = trained {
                    self.validation_seconds.set(Some((metrics.seconds - trained).max(0.0)));
                }
                view.step.update(|s| {
                    if let Some(s) = s.as_mut().filter(|s| s.epoch == metrics.epoch) {
                        s.step = s.steps;
                        s.loss = metrics.loss;
                        s.accuracy = metrics.accuracy.is_finite().then_some(metrics.accuracy);
                    }
                });
                view.history.update(|h| h.push(metrics));
            }
            // A network is one stage; the sweep's pause is its own (`paused`).
            WorkerOutput::Stage { .. } | WorkerOutput::Paused(_) | WorkerOutput::Validating { .. } | WorkerOutput::CnnHeld { .. } | WorkerOutput::Checkpoint(_) => {}
            WorkerOutput::Done { result, weights } => {
                let Some(network) = self.ctl.with_value(|c| c.jobs[slot].clone()) else { return };
                if result.config == network.config {
                    let wall = (web::now_ms() - view.started_ms.get_untracked()) / 1000.0;
                    self.keep(&network, result, weights.map(serde_bytes::ByteBuf::into_vec), wall);
                    self.release(slot);
                    self.dispatch();
                } else {
                    self.release(slot);
                    self.fail(format!("worker {} returned another network than {}", slot + 1, network.label()));
                }
            }
            WorkerOutput::Cancelled { .. } => {
                if self.release(slot).is_some() {
                    self.check_idle();
                }
            }
            WorkerOutput::Error(message) => {
                let network = self.release(slot);
                let message = match network {
                    Some(n) => format!("{message} ({})", n.label()),
                    None => message,
                };
                self.fail(message);
            }
            // Sweep networks are MLPs: no models kept, no P4 answers.
            WorkerOutput::P4Done { .. }
            | WorkerOutput::Denoised(_)
            | WorkerOutput::NoiseGrid(_)
            | WorkerOutput::Generated(_)
            | WorkerOutput::RequestFailed(_)
            | WorkerOutput::ModelStored { .. }
            | WorkerOutput::ReadersLoaded { .. }
            | WorkerOutput::Read(_)
            | WorkerOutput::Insight(_) => {}
            // The client turns it into `WorkerEvent::Crashed` before it gets here.
            WorkerOutput::DeviceLost(_) => {}
        }
    }

    /// `auto` fell back to the CPU: use the CPU's number of workers.
    fn grow_for_cpu(&self) {
        let cpu = self.cpu_workers.get_untracked().clamp(1, MAX_WORKERS);
        let grown = self.ctl.try_update_value(|c| {
            let grow = c.backend == BackendChoice::Auto && c.target < cpu && !c.queue.is_empty();
            if grow {
                c.target = cpu;
            }
            grow
        });
        if grown == Some(true) && self.error.with_untracked(Option::is_none) && !self.cancelling.get_untracked() {
            self.workers.set(cpu);
            self.session.update(|s| {
                if let Some(s) = s {
                    s.workers = cpu;
                }
            });
            self.dispatch();
        }
    }

    /// Stores a finished network (with its trained model) and counts it. The test-set
    /// analysis (confusion matrix, mistakes with their pixels: tens of KB) is not used by
    /// P2D and is dropped.
    fn keep(&self, network: &PlannedNetwork, mut result: RunResult, model: Option<Vec<u8>>, wall_seconds: f64) {
        result.analysis = None;
        match self.dataset.get_untracked() {
            Some(dataset) => self.kept.keep(dataset, Outcome::Classifier(result.clone()), Some(self.query.with_untracked(PageQuery::to_query_string)), model),
            None => self.kept.message.set(Some("the dataset is not loaded, so the network cannot be kept".into())),
        }
        let now = web::now_ms();
        let seconds = result.seconds;
        self.session.update(|s| {
            if let Some(s) = s {
                s.finished += 1;
                s.last_finished_ms = now;
                s.seconds.push(seconds);
                s.walls.push(wall_seconds);
            }
        });
        self.finished.update(|f| {
            f.insert(network.key.clone(), result);
        });
    }
}
