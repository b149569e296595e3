//! Progress reports whose running metrics are read back while the loop goes on.
//!
//! Why not await a report's read at its step: on a GPU backend the loop would then encode
//! nothing until the bytes are back, so the queue drains at every report and the GPU and the
//! loop take turns instead of overlapping. On headless Chromium's SwiftShader, where a P2
//! step takes longer than the report interval and so every step reports, the step took
//! 375 ms with each read awaited and 279 ms with reads 2 s apart (2026-12-04). So a report's
//! read is started at its step (its copy queued behind that step's work) and polled between
//! the following steps; the report goes out when the read has landed. The next report's
//! start waits for it: the loop never runs more than one report interval ahead of the device
//! (unbounded, it queued a whole epoch's steps on SwiftShader before the first report came
//! back, holding every step's buffers and leaving the progress bar still). On the CPU
//! backend a read is ready when it is made, so every report goes out at its own step, as
//! before.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use web_time::Instant;

use super::{check_finite, StepProgress, TrainError, TrainObserver};

/// The running sums a report reads: the loss summed over the examples seen, and the correct
/// predictions where the loop counts them (classifiers; not the autoencoder).
pub(crate) type Sums = (f64, Option<f64>);

/// Where in the run a report's sums were taken.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At {
    pub epoch: usize,
    /// 1-based.
    pub step: usize,
    pub steps: usize,
    /// Examples the sums are over.
    pub seen: usize,
    /// When the epoch began. A report's `elapsed_seconds` is taken when its read lands, not
    /// when it starts: by then the device has done the report's step, so the time counts
    /// the GPU's queued work and not only its submission (`auto`'s probe times steps from
    /// these reports: `experiment::probe`).
    pub started: Instant,
}

type Read = Pin<Box<dyn Future<Output = Result<Sums, TrainError>>>>;

/// At most one report's read in flight.
#[derive(Default)]
pub(crate) struct ProgressReads {
    in_flight: Option<(Read, At)>,
}

impl ProgressReads {
    /// Starts the report of `at` with its `read`, after waiting for the report still in
    /// flight, if any, and sending it.
    pub(crate) async fn start(&mut self, read: impl Future<Output = Result<Sums, TrainError>> + 'static, at: At, observer: &mut impl TrainObserver) -> Result<(), TrainError> {
        if let Some((earlier, earlier_at)) = self.in_flight.take() {
            report(earlier.await?, earlier_at, observer)?;
        }
        self.in_flight = Some((Box::pin(read), at));
        self.poll(observer)
    }

    /// Sends the report in flight if its read has landed, without waiting for it. A
    /// non-finite loss ends the run here ([`TrainError::Diverged`], at the report's step).
    pub(crate) fn poll(&mut self, observer: &mut impl TrainObserver) -> Result<(), TrainError> {
        let Some((read, _)) = self.in_flight.as_mut() else { return Ok(()) };
        // No waker is needed: the loop polls again between its next steps, and [`Self::last`]
        // awaits whatever is still in flight at the epoch's end.
        let Poll::Ready(sums) = read.as_mut().poll(&mut Context::from_waker(Waker::noop())) else { return Ok(()) };
        if let Some((_, at)) = self.in_flight.take() {
            report(sums?, at, observer)?;
        }
        Ok(())
    }

    /// The epoch's last report, after its last step (`at`): waits for the report in flight;
    /// unless that one was `at.step`'s, reads the sums with `read` and reports them. Returns
    /// the epoch's sums.
    pub(crate) async fn last<R>(&mut self, read: impl FnOnce() -> R, at: At, observer: &mut impl TrainObserver) -> Result<Sums, TrainError>
    where
        R: Future<Output = Result<Sums, TrainError>>,
    {
        if let Some((read, earlier)) = self.in_flight.take() {
            let sums = report(read.await?, earlier, observer)?;
            if earlier.step == at.step {
                return Ok(sums);
            }
        }
        report(read().await?, at, observer)
    }
}

/// Checks the loss and sends the report; returns its sums.
fn report(sums: Sums, at: At, observer: &mut impl TrainObserver) -> Result<Sums, TrainError> {
    let (loss_sum, correct) = sums;
    check_finite(loss_sum, "training loss", at.epoch, at.step)?;
    let seen = at.seen.max(1) as f64;
    observer.progress(&StepProgress {
        epoch: at.epoch,
        step: at.step,
        steps: at.steps,
        loss: loss_sum / seen,
        accuracy: correct.map(|c| c / seen),
        elapsed_seconds: at.started.elapsed().as_secs_f64(),
    });
    Ok(sums)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::EpochMetrics;
    use pollster::block_on;

    /// Collects the reports.
    #[derive(Default)]
    struct Log(Vec<(usize, f64)>);
    impl TrainObserver for Log {
        fn progress(&mut self, p: &StepProgress) {
            self.0.push((p.step, p.loss));
        }
        fn epoch_end(&mut self, _: &EpochMetrics) {}
    }

    fn at(step: usize) -> At {
        At { epoch: 1, step, steps: 4, seen: step * 10, started: Instant::now() }
    }

    /// A read that is pending for its first `polls` polls, then gives `loss_sum`.
    fn slow(polls: usize, loss_sum: f64) -> impl Future<Output = Result<Sums, TrainError>> {
        let mut left = polls;
        std::future::poll_fn(move |cx| {
            if left == 0 {
                Poll::Ready(Ok((loss_sum, Some(1.0))))
            } else {
                left -= 1;
                // As a real read's channel does when its bytes land (an executor that
                // awaits it polls again only when woken).
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
    }

    #[test]
    fn a_ready_read_reports_at_its_own_step() {
        let mut reads = ProgressReads::default();
        let mut log = Log::default();
        block_on(reads.start(slow(0, 20.0), at(2), &mut log)).unwrap();
        assert_eq!(log.0, vec![(2, 1.0)]);
    }

    #[test]
    fn a_slow_read_reports_when_it_lands_and_the_next_start_waits_for_it() {
        let mut reads = ProgressReads::default();
        let mut log = Log::default();
        block_on(reads.start(slow(3, 10.0), at(1), &mut log)).unwrap();
        reads.poll(&mut log).unwrap();
        assert!(log.0.is_empty(), "still in flight");
        reads.poll(&mut log).unwrap();
        reads.poll(&mut log).unwrap();
        assert_eq!(log.0, vec![(1, 1.0)]);
        // Step 2's read is slow too; step 3's start waits for it.
        block_on(reads.start(slow(5, 40.0), at(2), &mut log)).unwrap();
        block_on(reads.start(slow(0, 90.0), at(3), &mut log)).unwrap();
        assert_eq!(log.0, vec![(1, 1.0), (2, 2.0), (3, 3.0)]);
    }

    #[test]
    fn the_last_report_waits_for_the_one_in_flight_and_reads_the_last_step() {
        let mut reads = ProgressReads::default();
        let mut log = Log::default();
        block_on(reads.start(slow(3, 20.0), at(2), &mut log)).unwrap();
        let sums = block_on(reads.last(|| slow(1, 80.0), at(4), &mut log)).unwrap();
        assert_eq!(sums, (80.0, Some(1.0)));
        assert_eq!(log.0, vec![(2, 1.0), (4, 2.0)]);

        // When the read in flight is the last step's, it is not read twice.
        let mut log = Log::default();
        block_on(reads.start(slow(1, 40.0), at(4), &mut log)).unwrap();
        let again = || std::future::poll_fn(|_| -> Poll<Result<Sums, TrainError>> { panic!("read again") });
        let sums = block_on(reads.last(again, at(4), &mut log)).unwrap();
        assert_eq!(sums, (40.0, Some(1.0)));
        assert_eq!(log.0, vec![(4, 1.0)]);
    }

    #[test]
    fn a_non_finite_loss_ends_the_run_at_the_step_it_was_read_at() {
        let mut reads = ProgressReads::default();
        let mut log = Log::default();
        block_on(reads.start(slow(1, f64::NAN), at(3), &mut log)).unwrap();
        let err = reads.poll(&mut log).unwrap_err();
        assert!(matches!(err, TrainError::Diverged { epoch: 1, step: 3, .. }), "{err}");
        assert!(log.0.is_empty());
    }
}
