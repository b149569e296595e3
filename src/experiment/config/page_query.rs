//! Everything a page URL can say: the run's config (through its codec) and the page's own
//! keys (backend, sweep, P4's CNN, workers, the report, the data's origin).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::run_config::{invalid_experiment, parse_num};
use super::{BackendChoice, ExperimentId, MAX_SWEEP_WORKERS, MAX_THREADS, RunConfig};
use crate::experiment::p2d::SweepSpec;

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
    pub report: Option<crate::experiment::report::ReportPreset>,
    /// `threads=`: threads for the CPU backend where the page can run them (default: every
    /// core the browser reports).
    #[serde(default)]
    pub threads: Option<usize>,
}

impl Default for PageQuery {
    fn default() -> Self {
        Self { config: RunConfig::p2(), backend: BackendChoice::Auto, autostart: false, data: None, sweep: SweepSpec::default(), cnn_epochs: None, keep_cnn: false, workers: None, report: None, threads: None }
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
                errors.push(invalid_experiment(value));
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
            // The run's own keys go through its codec; the rest are the page's.
            let config_key = !matches!(key.as_str(), "experiment" | "l2");
            let result = match (config_key.then(|| query.config.apply_pair(key, value)).flatten(), key.as_str()) {
                (Some(result), _) => result,
                // `experiment` was read above (an invalid one is refused once).
                (None, "experiment") => Ok(()),
                // A sweep's URL gives its `factors`; one network's factor is not a page key.
                (None, "l2") => Err(ParamError::UnknownKey(key.clone())),
                (None, "cnn_epochs") if experiment != ExperimentId::P4 => {
                    Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "parameter here: it belongs to experiment=p4".into() })
                }
                (None, "cnn_epochs") => parse_num(key, value, "whole number").and_then(|v: usize| {
                    if (1..=200).contains(&v) { query.cnn_epochs = Some(v); Ok(()) } else { Err(ParamError::OutOfRange { key: key.clone(), value: value.clone(), range: "1 to 200".into() }) }
                }),
                (None, "backend") => match value.as_str() {
                    "auto" => Ok(query.backend = BackendChoice::Auto),
                    "webgpu" => Ok(query.backend = BackendChoice::Webgpu),
                    "cpu" => Ok(query.backend = BackendChoice::Cpu),
                    _ => Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "backend (auto, webgpu or cpu)".into() }),
                },
                (None, "autostart") => match value.as_str() {
                    "1" | "true" => Ok(query.autostart = true),
                    "0" | "false" => Ok(query.autostart = false),
                    _ => Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "flag (0 or 1)".into() }),
                },
                (None, "keep_cnn") if experiment != ExperimentId::P4 => {
                    Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "parameter here: it belongs to experiment=p4".into() })
                }
                (None, "keep_cnn") => match value.as_str() {
                    "1" | "true" => Ok(query.keep_cnn = true),
                    "0" | "false" => Ok(query.keep_cnn = false),
                    _ => Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "flag (0 or 1)".into() }),
                },
                (None, "workers") if experiment != ExperimentId::P2d => {
                    Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "parameter here: it belongs to experiment=p2d".into() })
                }
                (None, "workers") => parse_num(key, value, "whole number").and_then(|v: usize| {
                    if (1..=MAX_SWEEP_WORKERS).contains(&v) { query.workers = Some(v); Ok(()) } else { Err(ParamError::OutOfRange { key: key.clone(), value: value.clone(), range: format!("1 to {MAX_SWEEP_WORKERS}") }) }
                }),
                (None, "threads") => parse_num(key, value, "whole number").and_then(|v: usize| {
                    if (1..=MAX_THREADS).contains(&v) { query.threads = Some(v); Ok(()) } else { Err(ParamError::OutOfRange { key: key.clone(), value: value.clone(), range: format!("1 to {MAX_THREADS}") }) }
                }),
                (None, "report") => crate::experiment::report::ReportPreset::parse(value)
                    .map(|preset| query.report = Some(preset))
                    .ok_or_else(|| ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "report (full or quick)".into() }),
                (None, "factors" | "replicates") if experiment != ExperimentId::P2d => {
                    Err(ParamError::Invalid { key: key.clone(), value: value.clone(), expected: "parameter here: it belongs to experiment=p2d".into() })
                }
                (None, "factors") => SweepSpec::parse_factors(value)
                    .map(|f| query.sweep.factors = f)
                    .map_err(|expected| ParamError::Invalid { key: key.clone(), value: value.clone(), expected }),
                (None, "replicates") => parse_num(key, value, "whole number").and_then(|v: usize| {
                    if (1..=10).contains(&v) { query.sweep.replicates = v; Ok(()) } else { Err(ParamError::OutOfRange { key: key.clone(), value: value.clone(), range: "1 to 10".into() }) }
                }),
                (None, "data") => {
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
                (None, _) => Err(ParamError::UnknownKey(key.clone())),
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
                        "epochs" => query.config.schedule.epochs = defaults.schedule.epochs,
                        "batch_size" => query.config.schedule.batch_size = defaults.schedule.batch_size,
                        "train_size" => query.config.data.train_size = defaults.data.train_size,
                        "test_size" => query.config.data.test_size = defaults.data.test_size,
                        "lr" => query.config.optimizer = defaults.optimizer,
                        "seed" => query.config.schedule.seed = defaults.schedule.seed,
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
        if let Some(threads) = self.threads {
            pairs.push(("threads".into(), threads.to_string()));
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

