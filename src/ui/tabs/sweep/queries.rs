//! What the sweep's view reads: the finished networks, the status, the seed's table, the
//! best network, the fraction done and the time left (the core's estimate).

use leptos::prelude::*;

use super::controller::Sweep;
use super::plan::{PlannedNetwork, SlotView};
use crate::experiment::p2d::{self, FactorStats};
use crate::experiment::record::Outcome;
use crate::experiment::{RunResult, schedule};
use crate::ui::state::RunStatus;
use crate::web;

impl Sweep {
    pub(super) fn load_stored(&self, plan: &[PlannedNetwork]) {
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
}
