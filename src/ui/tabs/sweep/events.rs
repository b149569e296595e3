//! A sweep worker's events: a finished network is kept and the next one dispatched, a crash
//! is retried once, a failure stops the sweep; the rest is shown by the slot's run.

use super::controller::Sweep;
use super::plan::{MAX_WORKERS, PlannedNetwork};
use crate::experiment::record::Outcome;
use crate::experiment::{BackendChoice, PageQuery, RunResult};
use crate::protocol::WorkerOutput;
use crate::ui::state::BackendInfo;
use crate::ui::worker_client::WorkerEvent;
use crate::web;
use leptos::prelude::*;

impl Sweep {
    /// A worker's event: what is the sweep's (a finished network, a crash, a failure, the
    /// backend) is handled here; the rest updates the slot's run as any run's.
    pub(super) fn on_event(&self, slot: usize, event: WorkerEvent) {
        let view = self.slots[slot];
        let has_job = self.ctl.with_value(|c| c.jobs[slot].is_some());
        match event {
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
            WorkerEvent::Output(WorkerOutput::Error(message)) => {
                let message = match self.release(slot) {
                    Some(n) => format!("{message} ({})", n.label()),
                    None => message,
                };
                self.fail(message);
            }
            WorkerEvent::Output(WorkerOutput::Done { result, weights }) => {
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
            WorkerEvent::Output(WorkerOutput::Cancelled { .. }) => {
                if self.release(slot).is_some() {
                    self.check_idle();
                }
            }
            WorkerEvent::Output(WorkerOutput::Backend { name, fallback_reason, threads }) => {
                let on_cpu = name == "cpu";
                self.backend.set(Some(BackendInfo { name: name.clone(), fallback_reason: fallback_reason.clone(), threads }));
                view.run.apply(WorkerEvent::Output(WorkerOutput::Backend { name, fallback_reason, threads }));
                if on_cpu {
                    self.grow_for_cpu();
                }
            }
            WorkerEvent::Output(WorkerOutput::EpochEnd(metrics)) if has_job => {
                // The epoch's seconds minus its training steps' is one validation pass.
                let trained = view.step.with_untracked(|s| s.as_ref().filter(|s| s.epoch == metrics.epoch && s.step == s.steps).map(|s| s.elapsed_seconds));
                if let Some(trained) = trained {
                    self.validation_seconds.set(Some((metrics.seconds - trained).max(0.0)));
                }
                view.run.apply(WorkerEvent::Output(WorkerOutput::EpochEnd(metrics)));
            }
            // Progress, status, validation and pause reports: the slot's run shows them.
            event if has_job => view.run.apply(event),
            _ => {}
        }
    }

    /// `auto` fell back to the CPU: use the CPU's number of workers.
    pub(super) fn grow_for_cpu(&self) {
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
    pub(super) fn keep(&self, network: &PlannedNetwork, mut result: RunResult, model: Option<Vec<u8>>, wall_seconds: f64) {
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
