//! What a run is asked to do, and how a page URL says it.
//!
//! The query contract (`?experiment=p2&epochs=1&batch_size=128&lr=0.1&seed=1&train_size=6000
//! &backend=auto&autostart=1&data=<base url>`) is parsed here, natively testable: every
//! unknown key or out-of-range value is reported, never silently replaced by a default.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::p2d::SweepSpec;

/// The experiments of the assignment that this build can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExperimentId {
    /// P2: the MLP 784-64-64-10.
    P2,
    /// P2D: the MLP 784-500-300-10 with Keras' `l2(f)` on its hidden kernels; one
    /// `RunConfig` is one network of the sweep (see [`super::p2d`]).
    P2d,
    /// P3: the CNN (2 conv + 2 pool + 200 + 128 + dropout + 10).
    P3,
    /// P4: the denoising autoencoder 784-128-96-128-784 (and, for 4C/4D, P3's CNN).
    P4,
}

impl ExperimentId {
    /// Every experiment, in the assignment's order.
    pub const ALL: [ExperimentId; 4] = [Self::P2, Self::P2d, Self::P3, Self::P4];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::P2 => "p2",
            Self::P2d => "p2d",
            Self::P3 => "p3",
            Self::P4 => "p4",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "p2" => Some(Self::P2),
            "p2d" => Some(Self::P2d),
            "p3" => Some(Self::P3),
            "p4" => Some(Self::P4),
            _ => None,
        }
    }
}

/// Which burn backend trains the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// WebGPU when the browser offers an adapter, else the CPU backend.
    #[default]
    Auto,
    Webgpu,
    Cpu,
}

impl BackendChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Webgpu => "webgpu",
            Self::Cpu => "cpu",
        }
    }
}

/// Hyper-parameters of one training run. Defaults are the seed's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub experiment: ExperimentId,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub seed: u64,
    /// Train on the first `train_size` training images.
    pub train_size: usize,
    /// Validate (and, in P4, measure 4C) on the first `test_size` test images; the seed
    /// uses all 10,000.
    #[serde(default = "all_test_images")]
    pub test_size: usize,
    /// Keras `kernel_regularizer=l2(f)` factor on the hidden kernels (P2D; 0 for P2).
    #[serde(default)]
    pub l2: f64,
}

pub const TRAIN_IMAGES: usize = 60_000;
/// The most any batch may ask for its activations: a browser tab's wasm memory and its GPU
/// buffers are both a few hundred MB to a few GB, and a larger ask fails late (an
/// out-of-memory trap, a lost device) instead of being refused with a reason.
pub const ACTIVATION_BUDGET: usize = 512 << 20;
/// The largest batch any model takes, whatever its activations.
pub const MAX_BATCH_SIZE: usize = 8192;

/// The largest batch `experiment`'s model trains within [`ACTIVATION_BUDGET`], derived
/// from its layers' activations (P3's CNN: 973; the MLPs and the autoencoder: 8192).
pub fn max_batch_size(experiment: ExperimentId) -> usize {
    let per_example = crate::model::summary::for_experiment(experiment).training_bytes_per_example().max(1);
    (ACTIVATION_BUDGET / per_example).clamp(1, MAX_BATCH_SIZE)
}
/// Most P2D networks trained at once, one worker each.
pub const MAX_SWEEP_WORKERS: usize = 4;
pub const TEST_IMAGES: usize = 10_000;

fn all_test_images() -> usize {
    TEST_IMAGES
}
/// Largest seed a JavaScript number holds exactly (2^53 - 1): seeds travel through worker
/// messages, JSON and URLs.
pub const MAX_SEED: u64 = (1 << 53) - 1;

impl RunConfig {
    /// The seed notebook's P2 setup: SGD lr 0.1, batch 128, 10 epochs, all 60,000 images.
    pub fn p2() -> Self {
        Self { experiment: ExperimentId::P2, epochs: 10, batch_size: 128, lr: 0.1, seed: 1, train_size: TRAIN_IMAGES, test_size: TEST_IMAGES, l2: 0.0 }
    }

    /// The seed's P2D network: as P2 but 40 epochs (the factor is set per network).
    pub fn p2d() -> Self {
        Self { experiment: ExperimentId::P2d, epochs: 40, ..Self::p2() }
    }

    /// The seed's P3: the CNN with SGD lr 0.1, batch 128, 40 epochs.
    pub fn p3() -> Self {
        Self { experiment: ExperimentId::P3, epochs: 40, ..Self::p2() }
    }

    /// The seed's P4 autoencoder: Adam (lr 1e-3), batch 64, 32 epochs.
    pub fn p4() -> Self {
        Self { experiment: ExperimentId::P4, epochs: 32, batch_size: 64, lr: 1e-3, ..Self::p2() }
    }

    pub fn for_experiment(id: ExperimentId) -> Self {
        match id {
            ExperimentId::P2 => Self::p2(),
            ExperimentId::P2d => Self::p2d(),
            ExperimentId::P3 => Self::p3(),
            ExperimentId::P4 => Self::p4(),
        }
    }

    /// Checks every value against its allowed range.
    pub fn validate(&self) -> Result<(), Vec<ParamError>> {
        let mut errors = Vec::new();
        check_range(&mut errors, "epochs", self.epochs as f64, 1.0, 200.0);
        let max_batch = max_batch_size(self.experiment);
        if !(1..=max_batch).contains(&self.batch_size) {
            let per_image = crate::model::summary::for_experiment(self.experiment).training_bytes_per_example() as f64 / 1e6;
            errors.push(ParamError::OutOfRange {
                key: "batch_size".into(),
                value: self.batch_size.to_string(),
                range: format!("1 to {max_batch} for this model: its activations take {per_image:.2} MB per image in training, and a batch may take {} MiB", ACTIVATION_BUDGET >> 20),
            });
        }
        check_range(&mut errors, "train_size", self.train_size as f64, 1.0, TRAIN_IMAGES as f64);
        check_range(&mut errors, "test_size", self.test_size as f64, 1.0, TEST_IMAGES as f64);
        if self.seed > MAX_SEED {
            errors.push(ParamError::OutOfRange { key: "seed".into(), value: self.seed.to_string(), range: format!("0 to {MAX_SEED}") });
        }
        if !(0.0..=1.0).contains(&self.l2) {
            errors.push(ParamError::OutOfRange { key: "l2".into(), value: format!("{:?}", self.l2), range: "0 to 1".into() });
        }
        if !(self.lr > 0.0 && self.lr <= 10.0) {
            errors.push(ParamError::OutOfRange { key: "lr".into(), value: format!("{:?}", self.lr), range: "0 < lr <= 10".into() });
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// The pairs that say this config (unencoded), the one codec every serialisation of a
    /// config goes through: the page's URL ([`PageQuery::to_pairs`]), the keys of kept
    /// results (`record::record_key`) and the CLI's flags. `test_size` and `l2` are left
    /// out at their defaults (all test images; no L2), as URLs always have; `l2` is set
    /// only on one network of a P2D sweep, whose URL gives `factors` instead.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = vec![
            ("experiment".into(), self.experiment.as_str().into()),
            ("epochs".into(), self.epochs.to_string()),
            ("batch_size".into(), self.batch_size.to_string()),
            ("lr".into(), self.lr.to_string()),
            ("seed".into(), self.seed.to_string()),
            ("train_size".into(), self.train_size.to_string()),
        ];
        if self.test_size != TEST_IMAGES {
            pairs.push(("test_size".into(), self.test_size.to_string()));
        }
        if self.l2 != 0.0 {
            pairs.push(("l2".into(), format!("{:e}", self.l2)));
        }
        pairs
    }

    /// Steps per epoch, counting the last partial batch as Keras does.
    pub fn steps_per_epoch(&self) -> usize {
        self.train_size.div_ceil(self.batch_size.max(1))
    }
}

fn check_range(errors: &mut Vec<ParamError>, key: &str, value: f64, min: f64, max: f64) {
    if !(min..=max).contains(&value) {
        errors.push(ParamError::OutOfRange { key: key.into(), value: value.to_string(), range: format!("{min} to {max}") });
    }
}

/// Everything a page URL can say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageQuery {
    pub config: RunConfig,
    pub backend: BackendChoice,
    pub autostart: bool,
    /// Base URL of the four MNIST .gz files; `None` means the app's embedded copy.
    pub data: Option<String>,
    /// P2D's sweep (factors x replicates); the seed's by default.
    pub sweep: SweepSpec,
    /// P4: epochs of the CNN that P4 trains first when none is stored (default: the
    /// autoencoder's `epochs`).
    pub cnn_epochs: Option<usize>,
    /// P4: keep the CNN it trains first (`cnn_epochs`) in the browser afterwards.
    #[serde(default)]
    pub keep_cnn: bool,
    /// P2D: how many CPU workers train networks at once (default: the page's choice from
    /// the visitor's cores).
    #[serde(default)]
    pub workers: Option<usize>,
    /// `report=full|quick`: run the whole report (P2 → P2D → P3 → P4) from this page.
    #[serde(default)]
    pub report: Option<super::report::ReportPreset>,
}

impl Default for PageQuery {
    fn default() -> Self {
        Self { config: RunConfig::p2(), backend: BackendChoice::Auto, autostart: false, data: None, sweep: SweepSpec::default(), cnn_epochs: None, keep_cnn: false, workers: None, report: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum ParamError {
    #[error("unknown URL parameter '{0}'")]
    UnknownKey(String),
    #[error("'{key}={value}' is not a valid {expected}")]
    Invalid { key: String, value: String, expected: String },
    #[error("'{key}={value}' is out of range ({range})")]
    OutOfRange { key: String, value: String, range: String },
    #[error("URL parameter '{0}' is given more than once (the first is used)")]
    Duplicate(String),
}

fn parse_num<T: std::str::FromStr>(key: &str, value: &str, expected: &str) -> Result<T, ParamError> {
    value.trim().parse().map_err(|_| ParamError::Invalid { key: key.into(), value: value.into(), expected: expected.into() })
}

impl PageQuery {
    /// Parses URL query pairs. Returns the query with every valid value applied, and the
    /// errors of the others, so the page can show both what it runs and what it refused.
    pub fn parse<I, K, V>(pairs: I) -> (Self, Vec<ParamError>)
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let pairs: Vec<(String, String)> = pairs.into_iter().map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string())).collect();
        let mut errors = Vec::new();
        // The experiment picks the defaults the other keys override.
        let experiment = match pairs.iter().find(|(k, _)| k == "experiment").map(|(_, v)| v.as_str()) {
            None => ExperimentId::P2,
            Some(value) => ExperimentId::parse(value).unwrap_or_else(|| {
                errors.push(ParamError::Invalid { key: "experiment".into(), value: value.into(), expected: "experiment (this build runs: p2, p2d, p3, p4)".into() });
                ExperimentId::P2
            }),
        };
        let mut query = PageQuery { config: RunConfig::for_experiment(experiment), ..PageQuery::default() };
        let mut seen: Vec<&str> = Vec::new();
        for (key, value) in &pairs {
            // A key given twice is ambiguous (which one did the link's author mean?): the
            // first is used, the others are refused by name.
            if seen.contains(&key.as_str()) {
                errors.push(ParamError::Duplicate(key.clone()));
                continue;
            }
            seen.push(key.as_str());
            let result = match key.as_str() {
                "experiment" => Ok(()),
                "epochs" => parse_num(key, value, "whole number").map(|v| query.config.epochs = v),
                "batch_size" => parse_num(key, value, "whole number").map(|v| query.config.batch_size = v),
                "lr" => parse_num::<f64>(key, value, "number").and_then(|v| {
                    if v.is_finite() { query.config.lr = v; Ok(()) } else { Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "finite number".into() }) }
                }),
                "seed" => parse_num(key, value, "whole number").map(|v| query.config.seed = v),
                "train_size" => parse_num(key, value, "whole number").map(|v| query.config.train_size = v),
                "test_size" => parse_num(key, value, "whole number").map(|v| query.config.test_size = v),
                "cnn_epochs" if experiment != ExperimentId::P4 => {
                    Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "parameter here: it belongs to experiment=p4".into() })
                }
                "cnn_epochs" => parse_num(key, value, "whole number").and_then(|v: usize| {
                    if (1..=200).contains(&v) { query.cnn_epochs = Some(v); Ok(()) } else { Err(ParamError::OutOfRange { key: key.clone(), value: value.clone(), range: "1 to 200".into() }) }
                }),
                "backend" => match value.as_str() {
                    "auto" => Ok(query.backend = BackendChoice::Auto),
                    "webgpu" => Ok(query.backend = BackendChoice::Webgpu),
                    "cpu" => Ok(query.backend = BackendChoice::Cpu),
                    _ => Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "backend (auto, webgpu or cpu)".into() }),
                },
                "autostart" => match value.as_str() {
                    "1" | "true" => Ok(query.autostart = true),
                    "0" | "false" => Ok(query.autostart = false),
                    _ => Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "flag (0 or 1)".into() }),
                },
                "keep_cnn" if experiment != ExperimentId::P4 => {
                    Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "parameter here: it belongs to experiment=p4".into() })
                }
                "keep_cnn" => match value.as_str() {
                    "1" | "true" => Ok(query.keep_cnn = true),
                    "0" | "false" => Ok(query.keep_cnn = false),
                    _ => Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "flag (0 or 1)".into() }),
                },
                "workers" if experiment != ExperimentId::P2d => {
                    Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "parameter here: it belongs to experiment=p2d".into() })
                }
                "workers" => parse_num(key, value, "whole number").and_then(|v: usize| {
                    if (1..=MAX_SWEEP_WORKERS).contains(&v) { query.workers = Some(v); Ok(()) } else { Err(ParamError::OutOfRange { key: key.clone(), value: value.clone(), range: format!("1 to {MAX_SWEEP_WORKERS}") }) }
                }),
                "report" => super::report::ReportPreset::parse(value)
                    .map(|preset| query.report = Some(preset))
                    .ok_or_else(|| ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "report (full or quick)".into() }),
                "factors" | "replicates" if experiment != ExperimentId::P2d => {
                    Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "parameter here: it belongs to experiment=p2d".into() })
                }
                "factors" => SweepSpec::parse_factors(value)
                    .map(|f| query.sweep.factors = f)
                    .map_err(|expected| ParamError::Invalid { key: key.clone(), value: value.clone(), expected }),
                "replicates" => parse_num(key, value, "whole number").and_then(|v: usize| {
                    if (1..=10).contains(&v) { query.sweep.replicates = v; Ok(()) } else { Err(ParamError::OutOfRange { key: key.clone(), value: value.clone(), range: "1 to 10".into() }) }
                }),
                "data" => {
                    // Trailing slashes and spaces in any mix go (idempotently: the URL form
                    // of the result reads back the same); a control character is no URL's.
                    let base = value.trim_start().trim_end_matches(|c: char| c == '/' || c.is_whitespace());
                    if base.is_empty() || base.chars().any(char::is_control) {
                        Err(ParamError::Invalid { key: key.clone(), value: value.escape_debug().to_string(), expected: "base URL".into() })
                    } else {
                        query.data = Some(base.to_string());
                        Ok(())
                    }
                }
                _ => Err(ParamError::UnknownKey(key.clone())),
            };
            if let Err(e) = result {
                errors.push(e);
            }
        }
        // Out-of-range values are refused and replaced by the experiment's defaults.
        if let Err(range_errors) = query.config.validate() {
            let defaults = RunConfig::for_experiment(experiment);
            for e in &range_errors {
                if let ParamError::OutOfRange { key, .. } = e {
                    match key.as_str() {
                        "epochs" => query.config.epochs = defaults.epochs,
                        "batch_size" => query.config.batch_size = defaults.batch_size,
                        "train_size" => query.config.train_size = defaults.train_size,
                        "test_size" => query.config.test_size = defaults.test_size,
                        "lr" => query.config.lr = defaults.lr,
                        "seed" => query.config.seed = defaults.seed,
                        _ => {}
                    }
                }
            }
            errors.extend(range_errors);
        }
        (query, errors)
    }

    /// The URL pairs (unencoded) that reproduce this query: the one codec of the page's
    /// setup, which [`Self::parse`] reads back. Values at their defaults are left out
    /// where the URL has always left them out.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let c = &self.config;
        let mut pairs = c.to_pairs();
        pairs.push(("backend".into(), self.backend.as_str().into()));
        if c.experiment == ExperimentId::P2d {
            pairs.push(("factors".into(), self.sweep.factors_string()));
            pairs.push(("replicates".into(), self.sweep.replicates.to_string()));
        }
        if let (ExperimentId::P4, Some(epochs)) = (c.experiment, self.cnn_epochs) {
            pairs.push(("cnn_epochs".into(), epochs.to_string()));
        }
        if c.experiment == ExperimentId::P4 && self.keep_cnn {
            pairs.push(("keep_cnn".into(), "1".into()));
        }
        if let (ExperimentId::P2d, Some(workers)) = (c.experiment, self.workers) {
            pairs.push(("workers".into(), workers.to_string()));
        }
        if let Some(report) = self.report {
            pairs.push(("report".into(), report.as_str().into()));
        }
        if self.autostart {
            pairs.push(("autostart".into(), "1".into()));
        }
        if let Some(data) = &self.data {
            pairs.push(("data".into(), data.clone()));
        }
        pairs
    }

    /// The query string that reproduces this run (without the leading `?`).
    pub fn to_query_string(&self) -> String {
        self.to_pairs().iter().map(|(k, v)| format!("{k}={}", percent_encode(v))).collect::<Vec<_>>().join("&")
    }
}

/// Percent-encodes a query value (only what a URL needs; no crate for seven characters).
fn percent_encode(value: &str) -> String {
    value.bytes().map(|b| match b {
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' | b':' | b',' => (b as char).to_string(),
        _ => format!("%{b:02X}"),
    }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_example_parses() {
        let (q, errors) = PageQuery::parse([
            ("experiment", "p2"), ("epochs", "1"), ("batch_size", "128"), ("lr", "0.1"), ("seed", "1"),
            ("train_size", "6000"), ("backend", "auto"), ("autostart", "1"),
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(q.config.epochs, 1);
        assert_eq!(q.config.train_size, 6000);
        assert_eq!(q.backend, BackendChoice::Auto);
        assert!(q.autostart);
        assert_eq!(q.config.steps_per_epoch(), 47);
    }

    #[test]
    fn no_query_means_the_seed_setup() {
        let (q, errors) = PageQuery::parse(Vec::<(String, String)>::new());
        assert!(errors.is_empty());
        assert_eq!(q.config, RunConfig::p2());
        assert_eq!(q.config.steps_per_epoch(), 469);
        assert!(!q.autostart);
    }

    #[test]
    fn bad_values_are_reported_not_silently_defaulted() {
        let (q, errors) = PageQuery::parse([("epochs", "0"), ("lr", "abc"), ("backend", "tpu"), ("colour", "red"), ("train_size", "70000"), ("seed", "9007199254740992")]);
        let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 6, "{messages:?}");
        assert!(messages.iter().any(|m| m.starts_with("'seed=9007199254740992' is out of range")));
        assert!(messages.iter().any(|m| m.contains("unknown URL parameter 'colour'")));
        assert!(messages.iter().any(|m| m.contains("'backend=tpu'")));
        assert!(messages.iter().any(|m| m.contains("'lr=abc' is not a valid number")));
        assert!(messages.iter().any(|m| m.starts_with("'epochs=0' is out of range")));
        assert!(messages.iter().any(|m| m.starts_with("'train_size=70000' is out of range")));
        // What is shown as running stays valid.
        assert_eq!(q.config.epochs, 10);
        assert_eq!(q.config.train_size, 60_000);
        assert!(q.config.validate().is_ok());
    }

    #[test]
    fn a_batch_larger_than_the_models_activations_allow_is_refused_with_the_reason() {
        // P3's CNN at batch 8192 would ask for several GB of activations; the MLP takes it.
        let (q, errors) = PageQuery::parse([("experiment", "p3"), ("batch_size", "8192")]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let message = errors[0].to_string();
        assert!(message.starts_with("'batch_size=8192' is out of range (1 to ") && message.contains("MB per image"), "{message}");
        assert_eq!(q.config.batch_size, 128);
        let max = max_batch_size(ExperimentId::P3);
        assert!(PageQuery::parse([("experiment", "p3"), ("batch_size", max.to_string().as_str())]).1.is_empty());
        assert!(PageQuery::parse([("experiment", "p2"), ("batch_size", "8192")]).1.is_empty());
    }

    #[test]
    fn p2d_sweep_parameters() {
        let (q, errors) = PageQuery::parse([("experiment", "p2d"), ("factors", "1e-6,1e-4"), ("replicates", "2"), ("epochs", "1"), ("train_size", "6000"), ("seed", "1"), ("autostart", "1")]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(q.config.experiment, ExperimentId::P2d);
        assert_eq!(q.sweep.factors, vec![1e-6, 1e-4]);
        assert_eq!(q.sweep.replicates, 2);
        let (again, errors) = PageQuery::parse(q.to_query_string().split('&').filter_map(|kv| kv.split_once('=')));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(again, q);
        // Seed defaults when the URL says nothing.
        let (q, _) = PageQuery::parse([("experiment", "p2d")]);
        assert_eq!(q.config.epochs, 40);
        assert_eq!(q.sweep.factors, vec![1e-6, 1e-5, 1e-4, 5e-4, 1e-3]);
        assert_eq!(q.sweep.replicates, 3);
        // Refused: bad factors, replicates out of range, sweep keys on P2.
        let (_, errors) = PageQuery::parse([("experiment", "p2d"), ("factors", "1e-4,abc"), ("replicates", "0")]);
        assert_eq!(errors.len(), 2, "{errors:?}");
        let (_, errors) = PageQuery::parse([("factors", "1e-4")]);
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn p4_parameters() {
        let (q, errors) = PageQuery::parse([("experiment", "p4"), ("epochs", "1"), ("train_size", "6000"), ("seed", "1"), ("autostart", "1"), ("test_size", "1000"), ("cnn_epochs", "2"), ("keep_cnn", "1")]);
        assert!(q.keep_cnn);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!((q.config.epochs, q.config.batch_size, q.config.lr), (1, 64, 1e-3));
        assert_eq!((q.config.test_size, q.cnn_epochs), (1000, Some(2)));
        let (again, errors) = PageQuery::parse(q.to_query_string().split('&').filter_map(|kv| kv.split_once('=')));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(again, q);
        let (q, _) = PageQuery::parse([("experiment", "p4")]);
        assert_eq!(q.config, RunConfig::p4());
        assert_eq!((q.config.epochs, q.config.test_size, q.cnn_epochs), (32, 10_000, None));
        let (_, errors) = PageQuery::parse([("experiment", "p3"), ("cnn_epochs", "2")]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let (q, errors) = PageQuery::parse([("experiment", "p4"), ("test_size", "0"), ("cnn_epochs", "999")]);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!((q.config.test_size, q.cnn_epochs), (10_000, None));
    }

    #[test]
    fn duplicate_keys_are_refused_by_name() {
        let (q, errors) = PageQuery::parse([("epochs", "3"), ("epochs", "7"), ("lr", "0.05")]);
        assert_eq!(errors, vec![ParamError::Duplicate("epochs".into())]);
        assert_eq!(q.config.epochs, 3);
        assert_eq!(q.config.lr, 0.05);
    }

    #[test]
    fn workers_and_report_keys() {
        let (q, errors) = PageQuery::parse([("experiment", "p2d"), ("workers", "3"), ("report", "quick")]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!((q.workers, q.report), (Some(3), Some(super::super::report::ReportPreset::Quick)));
        let (again, errors) = PageQuery::parse(q.to_query_string().split('&').filter_map(|kv| kv.split_once('=')));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(again, q);
        let (_, errors) = PageQuery::parse([("experiment", "p2d"), ("workers", "9")]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let (_, errors) = PageQuery::parse([("workers", "2")]);
        assert_eq!(errors.len(), 1, "workers belongs to p2d: {errors:?}");
        let (_, errors) = PageQuery::parse([("report", "everything")]);
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn query_string_round_trips() {
        // Found by fuzzing (fuzz/fuzz_targets/page_query.rs): "x\t/" once became "x\t",
        // whose URL form read back as "x". Now both normalise at once, and control
        // characters are refused.
        for (raw, base) in [("x/ /", "x"), ("x \t/", "x"), (" http://h/a/b// ", "http://h/a/b")] {
            let (q, errors) = PageQuery::parse([("data", raw)]);
            assert!(errors.is_empty(), "{raw:?}: {errors:?}");
            assert_eq!(q.data.as_deref(), Some(base), "{raw:?}");
        }
        for raw in ["a\tb", "a\0b", "/ /", "\u{7f}"] {
            let (q, errors) = PageQuery::parse([("data", raw)]);
            assert_eq!((q.data, errors.len()), (None, 1), "{raw:?}");
        }
        let (q, _) = PageQuery::parse([("epochs", "3"), ("seed", "7"), ("backend", "cpu"), ("autostart", "1"), ("data", "http://127.0.0.1:8000/m nist/")]);
        let s = q.to_query_string();
        assert!(s.contains("data=http://127.0.0.1:8000/m%20nist"), "{s}");
        let pairs: Vec<(String, String)> = s.split('&').map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.replace("%20", " "))
        }).collect();
        let (again, errors) = PageQuery::parse(pairs);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(again, q);
    }

    /// Every valid setup of every experiment survives the one codec: `to_pairs` then
    /// `parse` gives the same query back, with no error; so do the encoded query string
    /// and its decoding.
    #[cfg(not(target_arch = "wasm32"))]
    mod codec {
        use super::*;
        use crate::experiment::report::ReportPreset;
        use proptest::prelude::*;

        const FACTORS: [f64; 8] = [1e-6, 1e-5, 1e-4, 5e-4, 1e-3, 0.01, 0.25, 1.0];

        fn query() -> impl Strategy<Value = PageQuery> {
            (
                prop_oneof![Just(ExperimentId::P2), Just(ExperimentId::P2d), Just(ExperimentId::P3), Just(ExperimentId::P4)],
                (1usize..=200, 1usize..=MAX_BATCH_SIZE, 1u32..=100_000, 0u64..=MAX_SEED, 1usize..=TRAIN_IMAGES, 1usize..=TEST_IMAGES),
                prop_oneof![Just(BackendChoice::Auto), Just(BackendChoice::Webgpu), Just(BackendChoice::Cpu)],
                (any::<bool>(), proptest::option::of("[a-z]{1,8}(/[a-z0-9._-]{1,8}){0,2}"), proptest::option::of(prop_oneof![Just(ReportPreset::Full), Just(ReportPreset::Quick)])),
                (proptest::sample::subsequence(FACTORS.to_vec(), 1..=FACTORS.len()), 1usize..=10, proptest::option::of(1usize..=MAX_SWEEP_WORKERS)),
                (proptest::option::of(1usize..=200), any::<bool>()),
            )
                .prop_map(|(experiment, (epochs, batch_size, lr_millis, seed, train_size, test_size), backend, (autostart, data, report), (factors, replicates, workers), (cnn_epochs, keep_cnn))| {
                    let batch_size = batch_size.min(max_batch_size(experiment));
                    let config = RunConfig { epochs, batch_size, lr: f64::from(lr_millis) / 10_000.0, seed, train_size, test_size, ..RunConfig::for_experiment(experiment) };
                    let p2d = experiment == ExperimentId::P2d;
                    let p4 = experiment == ExperimentId::P4;
                    PageQuery {
                        config,
                        backend,
                        autostart,
                        data: data.map(|d| format!("https://example.org/{d}")),
                        sweep: if p2d { SweepSpec { factors, replicates } } else { SweepSpec::default() },
                        cnn_epochs: cnn_epochs.filter(|_| p4),
                        keep_cnn: keep_cnn && p4,
                        workers: workers.filter(|_| p2d),
                        report,
                    }
                })
        }

        fn decode(value: &str) -> String {
            let bytes = value.as_bytes();
            let mut out = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
                    out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).expect("hex"));
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            String::from_utf8(out).expect("utf-8")
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]
            #[test]
            fn every_valid_query_round_trips(q in query()) {
                prop_assert!(q.config.validate().is_ok());
                let (again, errors) = PageQuery::parse(q.to_pairs());
                prop_assert!(errors.is_empty(), "{errors:?}");
                prop_assert_eq!(&again, &q);
                let encoded = q.to_query_string();
                let pairs = encoded.split('&').map(|kv| {
                    let (k, v) = kv.split_once('=').expect("key=value");
                    (k.to_string(), decode(v))
                });
                let (from_string, errors) = PageQuery::parse(pairs);
                prop_assert!(errors.is_empty(), "{errors:?}");
                prop_assert_eq!(from_string, q);
            }
        }
    }
}
