//! The whole report: every experiment of the assignment in order (P2 → P2D → P3 → P4),
//! either with the seed's settings (`full`) or with a labelled quick preset (subsets, few
//! epochs) that finishes in a few minutes on a laptop CPU. Which parts, with which
//! settings, how much of the whole is done and how long the rest will take are decided
//! here, natively testable; the page only starts each part and reports its progress.

use serde::{Deserialize, Serialize};

use super::config::{BackendChoice, ExperimentId, PageQuery, RunConfig, TEST_IMAGES, TRAIN_IMAGES};
use super::p2d::SweepSpec;

/// Which settings the report runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportPreset {
    /// The seed notebook's settings: every figure comparable with the seed's.
    Full,
    /// Subsets and few epochs: every figure is made, none is comparable with the seed's.
    Quick,
}

impl ReportPreset {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Quick => "quick",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "full" => Some(Self::Full),
            "quick" => Some(Self::Quick),
            _ => None,
        }
    }

    /// What the preset is, in the page's words.
    pub fn description(self) -> &'static str {
        match self {
            Self::Full => "the seed's settings: every network trained as in the notebook (hours on a laptop CPU)",
            Self::Quick => "quick preset: subsets of the data and few epochs, a few minutes; its figures are not comparable with the seed's",
        }
    }
}

/// One part of the report: an experiment and the query it runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportPart {
    pub experiment: ExperimentId,
    pub query: PageQuery,
}

impl ReportPart {
    /// The part's name in the report's list.
    pub fn title(&self) -> &'static str {
        match self.experiment {
            ExperimentId::P2 => "P2 · the 64-64 network",
            ExperimentId::P2d => "P2D · the weight-decay sweep",
            ExperimentId::P3 => "P3 · the convolutional network",
            ExperimentId::P4 => "P4 · the denoising autoencoder",
        }
    }
}

/// The quick preset's subsets: 6,000 training and 2,000 test images.
const QUICK_TRAIN: usize = 6_000;
const QUICK_TEST: usize = 2_000;

/// The report's parts, in the assignment's order. `backend` and `data` are the page's.
/// P4 uses the CNN that the report's P3 part keeps in the browser.
pub fn plan(preset: ReportPreset, backend: BackendChoice, data: Option<String>) -> Vec<ReportPart> {
    let part = |config: RunConfig, sweep: SweepSpec| ReportPart {
        experiment: config.experiment,
        query: PageQuery { config, backend, autostart: false, data: data.clone(), sweep, cnn_epochs: None, keep_cnn: false, threads: None, workers: None, report: None },
    };
    match preset {
        ReportPreset::Full => [RunConfig::p2(), RunConfig::p2d(), RunConfig::p3(), RunConfig::p4()]
            .into_iter()
            .map(|config| part(config, SweepSpec::default()))
            .collect(),
        ReportPreset::Quick => {
            let quick = |config: RunConfig, epochs: usize| config.with_epochs(epochs).with_train_size(QUICK_TRAIN).with_test_size(QUICK_TEST);
            vec![
                part(quick(RunConfig::p2(), 3), SweepSpec::default()),
                // Every factor of the seed, two replicates (so the table has a spread).
                part(quick(RunConfig::p2d(), 3), SweepSpec { replicates: 2, ..SweepSpec::default() }),
                part(quick(RunConfig::p3(), 2), SweepSpec::default()),
                part(quick(RunConfig::p4(), 3), SweepSpec::default()),
            ]
        }
    }
}

/// Seconds per image on one CPU worker in the page (burn-flex, SIMD128, one thread), from
/// `bench/results/latest.md`: (training, validation). Only the ratios between parts and
/// a first guess of the wall time come from these; the time left is rescaled by the pace
/// measured on the visitor's machine (see [`seconds_left`]).
fn seconds_per_image(experiment: ExperimentId) -> (f64, f64) {
    match experiment {
        ExperimentId::P2 => (1.14 / TRAIN_IMAGES as f64, 0.05 / TEST_IMAGES as f64),
        ExperimentId::P2d => (6.5 / TRAIN_IMAGES as f64, 0.45 / TEST_IMAGES as f64),
        ExperimentId::P3 => (71.0 / TRAIN_IMAGES as f64, 4.45 / TEST_IMAGES as f64),
        ExperimentId::P4 => (5.98 / TRAIN_IMAGES as f64, 0.32 / TEST_IMAGES as f64),
    }
}

/// 4C runs the CNN on the noised and the denoised test digits at 11 noise levels.
const P4_TABLE_CNN_PASSES: f64 = 22.0;

/// Estimated seconds of a part, with `sweep_workers` networks training at once in P2D.
pub fn estimated_seconds(part: &ReportPart, sweep_workers: usize) -> f64 {
    let c = &part.query.config;
    let (train, validation) = seconds_per_image(part.experiment);
    let per_epoch = c.data.train_size as f64 * train + c.data.test_size as f64 * validation;
    let mut seconds = c.schedule.epochs as f64 * per_epoch;
    match part.experiment {
        ExperimentId::P2d => seconds *= part.query.sweep.len() as f64 / sweep_workers.max(1) as f64,
        ExperimentId::P4 => seconds += P4_TABLE_CNN_PASSES * c.data.test_size as f64 * seconds_per_image(ExperimentId::P3).1,
        ExperimentId::P2 | ExperimentId::P3 => {}
    }
    seconds
}

/// Fraction of the whole report done, each part weighted by its estimated cost:
/// `fractions[i]` is how much of part `i` is done (0 to 1).
pub fn overall_fraction(estimates: &[f64], fractions: &[f64]) -> f64 {
    let total: f64 = estimates.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let done: f64 = estimates.iter().zip(fractions).map(|(e, f)| e * f.clamp(0.0, 1.0)).sum();
    (done / total).clamp(0.0, 1.0)
}

/// Share of the report that must be done before the measured pace replaces the estimate.
const MIN_MEASURED_SHARE: f64 = 0.01;

/// Seconds left for the whole report: the estimated cost of what remains, rescaled by the
/// pace measured so far (elapsed seconds per estimated second of work done) once enough is
/// done to measure it; the raw estimate before that.
pub fn seconds_left(estimates: &[f64], fractions: &[f64], elapsed_seconds: f64) -> f64 {
    let total: f64 = estimates.iter().sum();
    let done_share = overall_fraction(estimates, fractions);
    let remaining = total * (1.0 - done_share);
    if done_share >= MIN_MEASURED_SHARE && elapsed_seconds > 0.0 {
        remaining * elapsed_seconds / (total * done_share)
    } else {
        remaining
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_report_runs_the_seed_settings_in_order() {
        let parts = plan(ReportPreset::Full, BackendChoice::Auto, None);
        let order: Vec<ExperimentId> = parts.iter().map(|p| p.experiment).collect();
        assert_eq!(order, ExperimentId::ALL);
        for part in &parts {
            assert_eq!(part.query.config, RunConfig::for_experiment(part.experiment), "{}", part.title());
            assert!(!part.query.autostart);
        }
        assert_eq!(parts[1].query.sweep, SweepSpec::default());
        assert_eq!(parts[1].query.sweep.len(), 15);
    }

    #[test]
    fn quick_report_is_small_and_valid() {
        let parts = plan(ReportPreset::Quick, BackendChoice::Cpu, Some("http://x".into()));
        assert_eq!(parts.len(), 4);
        for part in &parts {
            let c = &part.query.config;
            assert!(c.validate().is_ok(), "{}", part.title());
            assert!(c.data.train_size < TRAIN_IMAGES && c.data.test_size < TEST_IMAGES && c.schedule.epochs <= 3);
            assert_eq!(part.query.backend, BackendChoice::Cpu);
            assert_eq!(part.query.data.as_deref(), Some("http://x"));
            // The seed's optimizer settings stay: only the amount of work shrinks.
            let seed = RunConfig::for_experiment(part.experiment);
            assert_eq!((c.optimizer.lr(), c.schedule.batch_size), (seed.optimizer.lr(), seed.schedule.batch_size));
        }
        assert_eq!(parts[1].query.sweep.factors, SweepSpec::default().factors);
        // A few minutes on one CPU worker by the page's measured speeds.
        let total: f64 = parts.iter().map(|p| estimated_seconds(p, 1)).sum();
        assert!(total < 180.0, "quick report estimated at {total} s");
    }

    #[test]
    fn estimates_follow_the_work() {
        let parts = plan(ReportPreset::Full, BackendChoice::Auto, None);
        let seconds: Vec<f64> = parts.iter().map(|p| estimated_seconds(p, 2)).collect();
        // P2: 10 epochs of 1.19 s.
        assert!((seconds[0] - 11.9).abs() < 1e-6, "{seconds:?}");
        // P2D: 15 networks x 40 epochs x 6.95 s on 2 workers.
        assert!((seconds[1] - 15.0 * 40.0 * 6.95 / 2.0).abs() < 1e-6, "{seconds:?}");
        // The CNN dominates; P4 adds its 22 CNN passes over the test set.
        assert!(seconds[2] > seconds[1] && seconds[2] > seconds[3]);
        assert!((seconds[3] - (32.0 * 6.30 + 22.0 * 4.45)).abs() < 1e-6, "{seconds:?}");
        assert!(estimated_seconds(&parts[1], 1) > 1.99 * estimated_seconds(&parts[1], 2));
    }

    #[test]
    fn overall_fraction_weights_parts_by_cost() {
        let estimates = [10.0, 30.0, 60.0];
        assert_eq!(overall_fraction(&estimates, &[0.0, 0.0, 0.0]), 0.0);
        assert!((overall_fraction(&estimates, &[1.0, 0.5, 0.0]) - 0.25).abs() < 1e-12);
        assert_eq!(overall_fraction(&estimates, &[1.0, 1.0, 1.0]), 1.0);
        // Out-of-range part fractions are clamped; no estimates means nothing to do.
        assert_eq!(overall_fraction(&estimates, &[2.0, 2.0, 2.0]), 1.0);
        assert_eq!(overall_fraction(&[], &[]), 0.0);
    }

    #[test]
    fn time_left_uses_the_measured_pace() {
        let estimates = [10.0, 30.0, 60.0];
        // Nothing done: the estimate.
        assert_eq!(seconds_left(&estimates, &[0.0, 0.0, 0.0], 0.0), 100.0);
        // A quarter done in 50 s where 25 s were expected: twice as slow, 150 s left.
        assert!((seconds_left(&estimates, &[1.0, 0.5, 0.0], 50.0) - 150.0).abs() < 1e-9);
        // Twice as fast: 37.5 s left.
        assert!((seconds_left(&estimates, &[1.0, 0.5, 0.0], 12.5) - 37.5).abs() < 1e-9);
        assert_eq!(seconds_left(&estimates, &[1.0, 1.0, 1.0], 80.0), 0.0);
    }

    #[test]
    fn presets_parse_and_print() {
        for preset in [ReportPreset::Full, ReportPreset::Quick] {
            assert_eq!(ReportPreset::parse(preset.as_str()), Some(preset));
        }
        assert_eq!(ReportPreset::parse("all"), None);
    }
}
