//! What runs when and how long it has left: the P2D sweep over N workers (which network
//! each free worker trains next, the sweep's time left) and one run's progress and time
//! left. Pure functions of what is queued, running and finished, so the page (one network
//! per Web Worker) only carries them out, and they are tested natively.

use super::result::StepProgress;

/// Epochs done of a run with `finished` epochs and `step` its latest report, fractional
/// within the running epoch.
pub fn epochs_done(finished: usize, step: Option<&StepProgress>) -> f64 {
    match step {
        Some(s) if s.epoch > finished && s.steps > 0 => (s.epoch - 1) as f64 + s.step as f64 / s.steps as f64,
        _ => finished as f64,
    }
}

/// Seconds left of a run of `epochs`: the running epoch at its current pace, then the
/// remaining epochs at the mean pace of the finished ones (`finished_seconds`), or the
/// running one's before any finished. `None` before the first step report and once every
/// epoch is done (what remains is analysis, which has no pace).
pub fn run_seconds_left(epochs: usize, finished_seconds: &[f64], step: &StepProgress) -> Option<f64> {
    if step.step == 0 || step.steps == 0 || finished_seconds.len() >= epochs {
        return None;
    }
    let fraction = step.step as f64 / step.steps as f64;
    let current_epoch_total = step.elapsed_seconds / fraction;
    let per_epoch = if finished_seconds.is_empty() { current_epoch_total } else { finished_seconds.iter().sum::<f64>() / finished_seconds.len() as f64 };
    let (in_epoch, after) = if step.epoch > finished_seconds.len() {
        ((current_epoch_total - step.elapsed_seconds).max(0.0), epochs.saturating_sub(step.epoch))
    } else {
        (0.0, epochs.saturating_sub(finished_seconds.len()))
    };
    Some(in_epoch + after as f64 * per_epoch)
}

/// The networks to hand out now: each free slot among the first `workers` gets the next
/// queued network (in the plan's order) that no slot is training. Returns
/// `(slot, network)` pairs; `slots[i]` is the network slot `i` trains, if any.
pub fn assign(queued: &[usize], slots: &[Option<usize>], workers: usize) -> Vec<(usize, usize)> {
    let mut next = queued.iter().copied().filter(|n| !slots.contains(&Some(*n)));
    (0..workers.min(slots.len()))
        .filter(|&slot| slots[slot].is_none())
        .map_while(|slot| next.next().map(|network| (slot, network)))
        .collect()
}

/// A network being trained, as its worker last reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct Running {
    /// Epochs done, fractional within the running epoch.
    pub epochs_done: f64,
    /// Its own pace (training and validation) if known yet.
    pub seconds_per_epoch: Option<f64>,
    /// Seconds since it was handed to its worker.
    pub elapsed_seconds: f64,
    /// Its running epoch's steps are done and it is validating.
    pub validating: bool,
}

/// What the sweep's time left is computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Epochs per network.
    pub epochs: usize,
    pub running: Vec<Running>,
    /// Networks waiting for a worker.
    pub queued: usize,
    /// Workers in use.
    pub workers: usize,
    /// Mean wall time per finished network of this sweep (start-up and final pass included).
    pub mean_wall_seconds: Option<f64>,
    /// Mean training seconds per finished network (this sweep's, else stored ones').
    pub mean_training_seconds: Option<f64>,
    /// Seconds of one validation pass, if measured.
    pub validation_seconds: Option<f64>,
}

/// Seconds until the whole sweep is done. A running network has left the larger of its
/// epochs still to train at its own pace (plus the validation it is in and one final pass
/// over the test images) and the mean wall time of finished networks minus its time so
/// far; each queued network then takes the mean time per network on the worker that is
/// free first. `None` until anything gives a pace.
pub fn seconds_left(p: &Progress) -> Option<f64> {
    let epochs = p.epochs.max(1) as f64;
    let validation = p.validation_seconds.unwrap_or(0.0);
    let mut busy_until = Vec::with_capacity(p.workers.max(p.running.len()));
    let mut paces = Vec::new();
    for r in &p.running {
        let pace = r.seconds_per_epoch.or(p.mean_training_seconds.map(|k| k / epochs));
        let in_validation = if r.validating { validation } else { 0.0 };
        let by_epochs = pace.map(|pace| (epochs - r.epochs_done).max(0.0) * pace + in_validation + validation);
        let by_wall = p.mean_wall_seconds.map(|w| (w - r.elapsed_seconds).max(0.0));
        let left = match (by_epochs, by_wall) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => a.or(b)?,
        };
        paces.extend(pace);
        busy_until.push(left);
    }
    let mean_pace = (!paces.is_empty()).then(|| paces.iter().sum::<f64>() / paces.len() as f64);
    let per_network = p.mean_wall_seconds.or(p.mean_training_seconds).or_else(|| mean_pace.map(|pace| pace * epochs + validation))?;
    while busy_until.len() < p.workers.max(1) {
        busy_until.push(0.0);
    }
    for _ in 0..p.queued {
        if let Some(first) = busy_until.iter_mut().min_by(|a, b| a.total_cmp(b)) {
            *first += per_network;
        }
    }
    busy_until.into_iter().reduce(f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_workers_take_the_next_networks_in_order() {
        // Two workers, nothing running: the first two queued networks.
        assert_eq!(assign(&[0, 1, 2], &[None, None, None, None], 2), vec![(0, 0), (1, 1)]);
        // Slot 0 trains network 3: slot 1 gets the first queued one that is not network 3.
        assert_eq!(assign(&[3, 4, 5], &[Some(3), None], 2), vec![(1, 4)]);
        // Every worker busy, or nothing queued: nothing to hand out.
        assert_eq!(assign(&[7], &[Some(1), Some(2)], 2), vec![]);
        assert_eq!(assign(&[], &[None, None], 2), vec![]);
        // More workers than slots, or fewer networks than free workers.
        assert_eq!(assign(&[9], &[None, None], 8), vec![(0, 9)]);
        // A slot beyond the workers in use is left alone.
        assert_eq!(assign(&[1, 2], &[Some(0), None, None], 2), vec![(1, 1)]);
    }

    #[test]
    fn no_network_is_handed_out_twice() {
        let queued: Vec<usize> = (0..15).collect();
        let mut slots = vec![None; 4];
        let mut started = Vec::new();
        for _ in 0..10 {
            for (slot, network) in assign(&queued.iter().copied().filter(|n| !started.contains(n)).collect::<Vec<_>>(), &slots, 3) {
                slots[slot] = Some(network);
                started.push(network);
            }
            // The lowest-numbered slot finishes.
            if let Some(slot) = slots.iter().position(Option::is_some) {
                slots[slot] = None;
            }
        }
        let mut sorted = started.clone();
        sorted.dedup();
        assert_eq!(sorted, started, "in order, each once");
        assert_eq!(started, (0..started.len()).collect::<Vec<_>>());
    }

    fn step(epoch: usize, step: usize, steps: usize, elapsed_seconds: f64) -> StepProgress {
        StepProgress { epoch, step, steps, loss: 0.5, accuracy: None, elapsed_seconds }
    }

    #[test]
    fn one_run_progress_and_time_left() {
        // Epoch 2 of 4, a quarter done in 5 s: 15 s more, then 2 epochs at the finished
        // epoch's 18 s.
        assert_eq!(epochs_done(1, Some(&step(2, 25, 100, 5.0))), 1.25);
        assert_eq!(run_seconds_left(4, &[18.0], &step(2, 25, 100, 5.0)), Some(15.0 + 2.0 * 18.0));
        // Before any finished epoch, the running one's pace.
        assert_eq!(run_seconds_left(3, &[], &step(1, 50, 100, 10.0)), Some(10.0 + 2.0 * 20.0));
        // The last step of epoch 1 reported, its epoch not yet ended: the rest.
        assert_eq!(epochs_done(0, Some(&step(1, 100, 100, 20.0))), 1.0);
        // No report yet, or every epoch done: nothing to say.
        assert_eq!(run_seconds_left(3, &[], &step(1, 0, 100, 0.0)), None);
        assert_eq!(run_seconds_left(2, &[10.0, 10.0], &step(2, 100, 100, 10.0)), None);
        assert_eq!(epochs_done(2, None), 2.0);
    }

    fn running(epochs_done: f64, pace: Option<f64>, elapsed: f64) -> Running {
        Running { epochs_done, seconds_per_epoch: pace, elapsed_seconds: elapsed, validating: false }
    }

    #[test]
    fn time_left_from_paces_and_the_queue() {
        // Two workers, each halfway through 4 epochs of 10 s, 3 queued of 40 s each
        // (measured wall time), one validation of 1 s: the busier of the two queues.
        let p = Progress {
            epochs: 4,
            running: vec![running(2.0, Some(10.0), 20.0), running(2.0, Some(10.0), 20.0)],
            queued: 3,
            workers: 2,
            mean_wall_seconds: Some(40.0),
            mean_training_seconds: Some(38.0),
            validation_seconds: Some(1.0),
        };
        // Each running one: max(2 × 10 + 1, 40 − 20) = 21; then 2 more on one worker.
        assert_eq!(seconds_left(&p), Some(21.0 + 2.0 * 40.0));
        // Nothing known yet: no estimate.
        let unknown = Progress { running: vec![running(0.0, None, 1.0)], mean_wall_seconds: None, mean_training_seconds: None, ..p.clone() };
        assert_eq!(seconds_left(&unknown), None);
        // Only stored networks' training time: the pace is that over the epochs.
        let stored = Progress { running: vec![running(1.0, None, 5.0)], queued: 1, workers: 1, mean_wall_seconds: None, mean_training_seconds: Some(40.0), validation_seconds: None, ..p.clone() };
        assert_eq!(seconds_left(&stored), Some(3.0 * 10.0 + 40.0));
        // A validating network still has its validation ahead.
        let validating = Progress { running: vec![Running { validating: true, ..running(4.0, Some(10.0), 39.0) }], queued: 0, workers: 1, mean_wall_seconds: None, ..p };
        assert_eq!(seconds_left(&validating), Some(1.0 + 1.0));
    }
}
