//! A finished run as the browser keeps it: one record per run, keyed by the run's config
//! (through the one codec, [`RunConfig::to_pairs`]), the dataset's hash and the schema
//! version. Plain data and plain functions, tested natively; the page stores the encoded
//! text (IndexedDB, `web::results_store`) and decodes it strictly: a record from another
//! schema, with a key that is not its own, or with values out of range is refused with the
//! reason, never half-read.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::config::{ExperimentId, RunConfig};
use super::p4::P4Result;
use super::result::RunResult;
use crate::data::DatasetId;

mod bundle;
pub mod legacy;
pub mod share;
#[cfg(test)]
mod tests;

pub use bundle::Bundle;

/// The record format's version: part of every key, so a page of another version never
/// reads a record it would misread. Bump it with any change to [`RunRecord`]'s fields.
pub const RECORD_SCHEMA: u32 = 1;

/// The largest encoded record the page reads back (a P4 record is about 0.4 MB): a larger
/// one is not this page's.
pub const MAX_RECORD_BYTES: usize = 8 << 20;

/// What a run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// P2, one P2D network, P3: a classifier's history, test figures and analysis.
    Classifier(RunResult),
    /// P4: the autoencoder's losses, 4B, 4C and 4D.
    Denoiser(Box<P4Result>),
}

impl Outcome {
    pub fn config(&self) -> &RunConfig {
        match self {
            Self::Classifier(r) => &r.config,
            Self::Denoiser(r) => &r.config,
        }
    }
}

/// Where a kept run was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Trained in this browser.
    #[default]
    ThisBrowser,
    /// Read from a bundle file: computed wherever the file was made.
    Imported,
    /// Read from a shared link: computed in the sender's browser.
    SharedLink,
}

/// One finished run, as kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub schema: u32,
    /// The dataset it was trained on.
    pub dataset: DatasetId,
    /// When it was kept: milliseconds since 1970 (JavaScript's `Date.now()`).
    pub saved_at_ms: f64,
    #[serde(default)]
    pub origin: Origin,
    /// For a network of a sweep (P2D): the sweep's setup as a URL query (the one codec,
    /// `PageQuery::to_query_string`), so the page can show the sweep it belongs to again.
    #[serde(default)]
    pub part_of: Option<String>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecordError {
    #[error("the record is {0} bytes, more than this page reads ({MAX_RECORD_BYTES})")]
    TooLarge(usize),
    #[error("the record is not readable: {0}")]
    Unreadable(String),
    #[error("the record has schema version {found}; this page reads version {RECORD_SCHEMA}")]
    Schema { found: u32 },
    #[error("the record's key is {found}, but its contents are those of {expected}")]
    WrongKey { found: String, expected: String },
    #[error("the record's run is not valid: {0}")]
    Invalid(String),
}

impl RunRecord {
    pub fn new(dataset: DatasetId, saved_at_ms: f64, outcome: Outcome) -> Self {
        Self { schema: RECORD_SCHEMA, dataset, saved_at_ms, origin: Origin::ThisBrowser, part_of: None, outcome }
    }

    pub fn config(&self) -> &RunConfig {
        self.outcome.config()
    }

    pub fn experiment(&self) -> ExperimentId {
        self.config().experiment
    }

    /// The record's key: see [`record_key`].
    pub fn key(&self) -> String {
        record_key(self.config(), &self.dataset)
    }

    /// The text that is kept (JSON).
    pub fn encode(&self) -> Result<String, RecordError> {
        serde_json::to_string(self).map_err(|e| RecordError::Unreadable(e.to_string()))
    }

    /// Reads a kept record stored under `key`, strictly.
    pub fn decode(key: &str, text: &str) -> Result<Self, RecordError> {
        let record = Self::read(text)?;
        let expected = record.key();
        if key != expected {
            return Err(RecordError::WrongKey { found: key.into(), expected });
        }
        Ok(record)
    }

    /// Reads a record that comes without a key (a bundle's, a link's) as strictly as a
    /// kept one: schema, then every check of [`Self::decode`] but the key's.
    pub fn read(text: &str) -> Result<Self, RecordError> {
        if text.len() > MAX_RECORD_BYTES {
            return Err(RecordError::TooLarge(text.len()));
        }
        // The schema first, so an older or newer record says so rather than failing on
        // whichever field changed.
        #[derive(Deserialize)]
        struct Version {
            schema: u32,
        }
        let version: Version = serde_json::from_str(text).map_err(|e| RecordError::Unreadable(e.to_string()))?;
        if version.schema != RECORD_SCHEMA {
            return Err(RecordError::Schema { found: version.schema });
        }
        let record: Self = serde_json::from_str(text).map_err(|e| RecordError::Unreadable(e.to_string()))?;
        record.check()?;
        Ok(record)
    }

    /// What a decoded record must satisfy to be shown: a valid config, the outcome of the
    /// experiment it names, at least one epoch and finite figures.
    fn check(&self) -> Result<(), RecordError> {
        let invalid = |what: String| Err(RecordError::Invalid(what));
        if self.part_of.as_ref().is_some_and(|q| q.len() > 8192) {
            return invalid("its sweep's setup is longer than a URL".into());
        }
        if let Err(errors) = self.config().validate() {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            return invalid(text.join("; "));
        }
        match (&self.outcome, self.experiment()) {
            (Outcome::Classifier(r), ExperimentId::P2 | ExperimentId::P2d | ExperimentId::P3) => {
                if r.history.is_empty() || r.history.len() > r.config.schedule.epochs {
                    return invalid(format!("{} epochs in the history of a {}-epoch run", r.history.len(), r.config.schedule.epochs));
                }
                if !(r.test_accuracy.is_finite() && r.test_loss.is_finite() && (0.0..=1.0).contains(&r.test_accuracy)) {
                    return invalid("the test figures are not finite".into());
                }
                if let Some(analysis) = &r.analysis {
                    let classes = crate::data::CLASSES;
                    if analysis.confusion.len() != classes || analysis.confusion.iter().any(|row| row.len() != classes) {
                        return invalid("the confusion matrix is not 10 × 10".into());
                    }
                    if analysis.mistakes.iter().any(|m| m.pixels.len() != crate::data::PIXELS) {
                        return invalid("a misclassified digit is not 28 × 28".into());
                    }
                }
            }
            (Outcome::Denoiser(r), ExperimentId::P4) => {
                if r.history.is_empty() || r.history.len() > r.config.schedule.epochs || !r.val_loss.is_finite() {
                    return invalid("the autoencoder's history is empty or not finite".into());
                }
                let pixels_ok = |digits: &[crate::experiment::p4::GeneratedDigit]| digits.iter().all(|d| d.pixels.len() == crate::data::PIXELS);
                let grid_ok = r.grid.noisy.iter().chain(&r.grid.denoised).flatten().all(|p| p.len() == crate::data::PIXELS);
                if !(grid_ok && pixels_ok(&r.sampled.digits) && pixels_ok(&r.interpolated.digits)) {
                    return invalid("a digit of the 4B grid or of 4D is not 28 × 28".into());
                }
            }
            (_, experiment) => return invalid(format!("the outcome is not that of {}", experiment.as_str())),
        }
        Ok(())
    }
}

/// The key of a run's record: `v<schema>/<dataset hash, 16 hex digits>/<config codec>`,
/// e.g. `v1/3c2ba3f0a5d9e5c1/experiment=p2&epochs=10&batch_size=128&lr=0.1&seed=1&train_size=60000`.
/// Two runs share a key exactly when they would train the same network on the same data.
pub fn record_key(config: &RunConfig, dataset: &DatasetId) -> String {
    let pairs: Vec<String> = config.to_pairs().into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("v{RECORD_SCHEMA}/{}/{}", dataset.short(), pairs.join("&"))
}
