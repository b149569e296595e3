//! P2D's sweep, run by the page: the networks of the sweep (factors x replicates) not yet
//! finished wait in a queue; each is one `WorkerInput::Start` to a training worker. On the
//! CPU backend several workers train in parallel (each wasm worker is single-threaded), on
//! WebGPU one does. Every finished network is kept ([`crate::ui::kept`]), so a reload
//! shows it at once and a restarted sweep goes on with the next unfinished one.
//!
//! [`Sweep`] is `Copy`: reactive state for the view, one [`RunController`] per worker slot
//! (start, pause, resume, cancel, as every run has), and the queue (which network each
//! slot trains; what comes next is the core's `schedule::assign`) in a page-local
//! `StoredValue`. Worker events arrive from JS callbacks; nothing here is re-entered while
//! the queue is borrowed (posting to a worker never calls back synchronously). The view's
//! reads are in `queries.rs`, the workers' events in `events.rs`.

use std::collections::{HashMap, VecDeque};

use leptos::prelude::*;

use super::plan::{MAX_WORKERS, PlannedNetwork, Session, SlotView, networks_of};
use crate::data::DatasetId;
use crate::experiment::schedule;
use crate::experiment::{BackendChoice, ExperimentId, PageQuery, RunResult};
use crate::ui::kept::Kept;
use crate::ui::run_controller::RunController;
use crate::ui::threads::page_has_webgpu;
use crate::ui::state::{BackendInfo, RunStatus};
use crate::web;

/// The sweep's queue: not reactive, page-local.
pub(super) struct Ctl {
    /// The network each slot's worker trains.
    pub(super) jobs: Vec<Option<PlannedNetwork>>,
    pub(super) queue: VecDeque<PlannedNetwork>,
    pub(super) backend: BackendChoice,
    /// Slots to use now.
    pub(super) target: usize,
    /// Ticks `now_ms` while the sweep runs.
    pub(super) ticker: Option<leptos::prelude::IntervalHandle>,
    /// Networks (by index) whose worker crashed once in this sweep: trained again once.
    pub(super) retried: Vec<usize>,
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
    pub(super) dataset: Signal<Option<DatasetId>>,
    /// The network whose log is shown (storage key); `None` = the first.
    pub selected: RwSignal<Option<String>>,
    /// Seconds one validation pass over the test images took (latest epoch seen), for the
    /// ETA: a running epoch's step reports cover training only.
    pub validation_seconds: RwSignal<Option<f64>>,
    /// The clock the ETA counts from, ticking every second while the sweep runs.
    pub now_ms: RwSignal<f64>,
    /// A worker crashed and its network is being trained again.
    pub retry_note: RwSignal<Option<String>>,
    pub(super) ctl: StoredValue<Ctl, LocalStorage>,
    /// One run controller per slot (its handler holds the sweep, so they are made after it).
    controllers: StoredValue<Vec<RunController>, LocalStorage>,
}

/// Cores the browser reports (1 when it does not say).
pub fn cores() -> usize {
    web_sys::window().map_or(1, |w| w.navigator().hardware_concurrency() as usize).max(1)
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
            ctl: StoredValue::new_local(Ctl { jobs: vec![None; MAX_WORKERS], queue: VecDeque::new(), backend: BackendChoice::Auto, target: 0, ticker: None, retried: Vec::new() }),
            controllers: StoredValue::new_local(Vec::new()),
            retry_note: RwSignal::new(None),
        };
        // Each slot's worker is a run controller like every other run's; the sweep handles
        // what is the sweep's (a finished network, a crash, the backend) and lets the slot's
        // run show the rest.
        let controllers = (0..MAX_WORKERS)
            .map(|slot| {
                let view = sweep.slots[slot];
                RunController::with_state(view.query, view.run, data_url.clone(), move |_, event| sweep.on_event(slot, event))
            })
            .collect();
        sweep.controllers.set_value(controllers);
        // Whatever this setup already trained (in this browser) shows at once.
        Effect::new(move |_| {
            kept.records.track();
            plan.with(|p| sweep.load_stored(p));
        });
        sweep
    }


    /// Workers to start with for `backend`.
    pub(super) fn initial_workers(&self, backend: BackendChoice) -> usize {
        let cpu = self.cpu_workers.get_untracked().clamp(1, MAX_WORKERS);
        match backend {
            BackendChoice::Cpu => cpu,
            BackendChoice::Webgpu => 1,
            // One worker finds out; more follow if it falls back to the CPU.
            BackendChoice::Auto if page_has_webgpu() => 1,
            BackendChoice::Auto => cpu,
        }
    }

    /// Slot `slot`'s run controller.
    pub(super) fn controller(&self, slot: usize) -> Option<RunController> {
        self.controllers.with_value(|c| c.get(slot).copied())
    }

    /// Starts the workers the next sweep will use, so that "Train sweep" answers at once.
    pub fn warm_up(&self) {
        let workers = self.initial_workers(self.query.with_untracked(|q| q.backend));
        for slot in 0..workers {
            if let Some(controller) = self.controller(slot) {
                controller.warm_up();
            }
        }
    }

    /// Stops the idle workers (another experiment is shown); a later sweep starts new ones.
    pub fn shut_down_idle(&self) {
        if self.busy.get_untracked() {
            return;
        }
        self.controllers.with_value(|c| c.iter().for_each(RunController::shut_down_idle));
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
    pub(super) fn dispatch(&self) {
        if self.paused.get_untracked() {
            return;
        }
        let mut starts = Vec::new();
        let mut queued = 0;
        let sweep_query = self.query.get_untracked();
        self.ctl.update_value(|c| {
            // Which free worker takes which queued network: the core's rule.
            let waiting: Vec<usize> = c.queue.iter().map(|n| n.index).collect();
            let slots: Vec<Option<usize>> = c.jobs.iter().map(|j| j.as_ref().map(|n| n.index)).collect();
            for (slot, index) in schedule::assign(&waiting, &slots, c.target) {
                let Some(position) = c.queue.iter().position(|n| n.index == index) else { continue };
                let Some(network) = c.queue.remove(position) else { continue };
                c.jobs[slot] = Some(network.clone());
                starts.push((slot, network, c.backend));
            }
            queued = c.queue.len();
        });
        self.queued.set(queued);
        for (slot, network, backend) in starts {
            let view = self.slots[slot];
            let Some(controller) = self.controller(slot) else { continue };
            // The slot's controller trains exactly this network, on the sweep's backend.
            view.query.set(PageQuery { config: network.config.clone(), backend, ..sweep_query.clone() });
            view.started_ms.set(web::now_ms());
            view.network.set(Some(network));
            controller.start(None, false);
            if let RunStatus::Error(message) = view.run.status.get_untracked() {
                self.release(slot);
                self.fail(message);
            }
        }
        self.check_idle();
    }

    /// Frees a slot; returns the network it was training.
    pub(super) fn release(&self, slot: usize) -> Option<PlannedNetwork> {
        let job = self.ctl.try_update_value(|c| c.jobs[slot].take()).flatten();
        if job.is_some() {
            self.slots[slot].clear();
        }
        job
    }

    /// When nothing is queued or training any more, the sweep has stopped.
    pub(super) fn check_idle(&self) {
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

    /// The controllers of the slots that are training a network.
    pub(super) fn busy_controllers(&self) -> Vec<(usize, RunController)> {
        let busy: Vec<usize> = self.ctl.with_value(|c| (0..MAX_WORKERS).filter(|&i| c.jobs[i].is_some()).collect());
        busy.into_iter().filter_map(|slot| self.controller(slot).map(|c| (slot, c))).collect()
    }

    /// "Pause": every running network waits after its current step; none starts.
    pub fn pause(&self) {
        if !self.busy.get_untracked() || self.paused.get_untracked() {
            return;
        }
        self.paused.set(true);
        for (_, controller) in self.busy_controllers() {
            controller.pause();
        }
    }

    /// "Resume": the held networks go on, and free workers take queued ones again.
    pub fn resume(&self) {
        if !self.paused.get_untracked() {
            return;
        }
        self.paused.set(false);
        for (_, controller) in self.busy_controllers() {
            controller.resume();
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

    pub(super) fn stop_all(&self) {
        self.ctl.update_value(|c| c.queue.clear());
        self.queued.set(0);
        for (slot, controller) in self.busy_controllers() {
            controller.cancel();
            // Nothing was posted (the start was still queued, or the worker had gone):
            // the slot is free at once; otherwise its `Cancelled` frees it.
            if !controller.run.is_running_untracked() {
                self.release(slot);
            }
        }
        self.check_idle();
    }

    /// A failure: shown as the status; the other workers are stopped.
    pub(super) fn fail(&self, message: String) {
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
}
