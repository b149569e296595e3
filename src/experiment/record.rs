//! A finished run as the browser keeps it: one record per run, keyed by the run's config
//! (through the one codec, [`RunConfig::to_pairs`]), the dataset's hash and the schema
//! version. Plain data and plain functions, tested natively; the page stores the encoded
//! text (IndexedDB, `web::results_store`) and decodes it strictly: a record from another
//! schema, with a key that is not its own, or with values out of range is refused with the
//! reason, never half-read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::config::{ExperimentId, RunConfig};
use super::p4::P4Result;
use super::result::RunResult;
use crate::data::DatasetId;

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

/// Every kept run in one file ("the whole report"): what "Save every kept run" writes and
/// "Import" reads back, showing the same numbers and figures without training.
///
/// A bundle of records rather than a self-contained HTML page: it goes back into the lab
/// (every tab fills, and the runs are kept again), it is checked on the way in by the same
/// strict decoder as the browser's own records, and the page already draws every figure
/// from a record; an HTML report would be a second renderer of every figure to keep equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    /// Always [`Bundle::FORMAT`]: a JSON file that is not a bundle says so at once.
    pub format: String,
    pub records: Vec<RunRecord>,
    /// The trained models kept with some runs (P2, P2D): record key → the safetensors file,
    /// base64. Absent in bundles saved before models were kept.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub models: BTreeMap<String, String>,
}

impl Bundle {
    pub const FORMAT: &'static str = "mnist-lab bundle v1";
    /// The largest bundle read: a full report with every model (15 P2D networks of 2.2 MB,
    /// base64) twice over.
    pub const MAX_BYTES: usize = 128 << 20;
    /// The most records a bundle may hold.
    pub const MAX_RECORDS: usize = 1000;

    pub fn new(records: Vec<RunRecord>) -> Self {
        Self { format: Self::FORMAT.into(), records, models: BTreeMap::new() }
    }

    /// Adds the trained model of the record `key`.
    pub fn add_model(&mut self, key: String, weights: &[u8]) {
        use base64::Engine;
        self.models.insert(key, base64::engine::general_purpose::STANDARD.encode(weights));
    }

    /// The models, decoded: `(record key, safetensors bytes)`.
    pub fn decoded_models(&self) -> Vec<(String, Vec<u8>)> {
        use base64::Engine;
        self.models.iter().filter_map(|(k, v)| Some((k.clone(), base64::engine::general_purpose::STANDARD.decode(v).ok()?))).collect()
    }

    pub fn encode(&self) -> Result<String, RecordError> {
        serde_json::to_string(self).map_err(|e| RecordError::Unreadable(e.to_string()))
    }

    /// Reads a bundle strictly: every record must decode as a kept record would (schema,
    /// valid config, finite figures); one bad record refuses the file, naming it. The
    /// records come back marked [`Origin::Imported`].
    pub fn decode(text: &str) -> Result<Self, RecordError> {
        if text.len() > Self::MAX_BYTES {
            return Err(RecordError::TooLarge(text.len()));
        }
        #[derive(Deserialize)]
        struct Raw {
            format: String,
            records: Vec<serde_json::Value>,
            #[serde(default)]
            models: BTreeMap<String, String>,
        }
        let raw: Raw = serde_json::from_str(text).map_err(|e| RecordError::Unreadable(format!("not an mnist-lab bundle ({e})")))?;
        if raw.format != Self::FORMAT {
            return Err(RecordError::Unreadable(format!("the file says it is \"{}\", not \"{}\"", raw.format, Self::FORMAT)));
        }
        if raw.records.len() > Self::MAX_RECORDS {
            return Err(RecordError::Invalid(format!("{} runs, more than the {} a bundle may hold", raw.records.len(), Self::MAX_RECORDS)));
        }
        let mut records = Vec::with_capacity(raw.records.len());
        for (i, value) in raw.records.into_iter().enumerate() {
            let mut record = RunRecord::read(&value.to_string()).map_err(|e| RecordError::Invalid(format!("run {} of the bundle: {e}", i + 1)))?;
            record.origin = Origin::Imported;
            records.push(record);
        }
        // Each model belongs to one of the bundle's runs and holds that run's network.
        for (key, encoded) in &raw.models {
            use base64::Engine;
            let record = records.iter().find(|r| r.key() == *key).ok_or_else(|| RecordError::Invalid(format!("a model for a run the bundle does not hold ({key})")))?;
            let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|e| RecordError::Invalid(format!("the model of {key} is not base64 ({e})")))?;
            let info = crate::model::weights::read_info(&bytes).map_err(|e| RecordError::Invalid(format!("the model of {key}: {e}")))?;
            let expected = crate::model::weights::model_name(record.experiment());
            if info.model != expected {
                return Err(RecordError::Invalid(format!("the model of {key} is {}, not {expected}", info.model)));
            }
        }
        Ok(Self { models: raw.models, ..Self::new(records) })
    }
}

/// A finished run in a link: `#run=<base64url of the deflated record>`, after the page's own
/// query. The fragment never reaches a server; the page that opens it shows the run in its
/// tab, marked as computed in the sender's browser, without training.
pub mod share {
    use std::io::{Read, Write};

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use flate2::Compression;
    use flate2::read::DeflateDecoder;
    use flate2::write::DeflateEncoder;

    use super::*;

    /// The fragment's key.
    pub const PREFIX: &str = "run=";
    /// The longest fragment a shared link may carry: browsers keep URLs of a few MB, chat
    /// and mail programs much less; a longer run is shared as a bundle file.
    pub const MAX_FRAGMENT: usize = 200_000;

    /// The fragment (without `#`) that shares `record`; `None` if it is too long for a link.
    pub fn encode(record: &RunRecord) -> Result<Option<String>, RecordError> {
        let text = record.encode()?;
        let mut deflate = DeflateEncoder::new(Vec::new(), Compression::best());
        deflate.write_all(text.as_bytes()).map_err(|e| RecordError::Unreadable(e.to_string()))?;
        let bytes = deflate.finish().map_err(|e| RecordError::Unreadable(e.to_string()))?;
        let fragment = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        Ok((fragment.len() <= MAX_FRAGMENT).then_some(fragment))
    }

    /// Reads a shared run from a fragment (with or without `#`): capped before and after
    /// inflating, then decoded as strictly as a kept record, and marked [`Origin::SharedLink`].
    pub fn decode(fragment: &str) -> Result<RunRecord, RecordError> {
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        let data = fragment.strip_prefix(PREFIX).ok_or_else(|| RecordError::Unreadable("the link carries no run".into()))?;
        if data.len() > MAX_FRAGMENT {
            return Err(RecordError::TooLarge(data.len()));
        }
        let bytes = URL_SAFE_NO_PAD.decode(data.trim_end_matches('=')).map_err(|e| RecordError::Unreadable(format!("the link's run is not base64url ({e})")))?;
        let mut text = Vec::new();
        DeflateDecoder::new(bytes.as_slice())
            .take(MAX_RECORD_BYTES as u64 + 1)
            .read_to_end(&mut text)
            .map_err(|e| RecordError::Unreadable(format!("the link's run does not inflate ({e})")))?;
        if text.len() > MAX_RECORD_BYTES {
            return Err(RecordError::TooLarge(text.len()));
        }
        let text = String::from_utf8(text).map_err(|_| RecordError::Unreadable("the link's run is not UTF-8".into()))?;
        let mut record = RunRecord::read(&text)?;
        record.origin = Origin::SharedLink;
        Ok(record)
    }
}

/// The key of a run's record: `v<schema>/<dataset hash, 16 hex digits>/<config codec>`,
/// e.g. `v1/3c2ba3f0a5d9e5c1/experiment=p2&epochs=10&batch_size=128&lr=0.1&seed=1&train_size=60000`.
/// Two runs share a key exactly when they would train the same network on the same data.
pub fn record_key(config: &RunConfig, dataset: &DatasetId) -> String {
    let pairs: Vec<String> = config.to_pairs().into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("v{RECORD_SCHEMA}/{}/{}", dataset.short(), pairs.join("&"))
}

/// The first page kept each finished P2D network in `localStorage` under
/// `mnist-lab/p2d/v1/…`, its [`RunResult`] as JSON. Such an entry becomes a record of the
/// embedded MNIST (the only dataset whose entries carried no `data=`); an entry of another
/// dataset, or one that does not read back, becomes none (the page then drops it).
pub mod legacy {
    use super::*;

    /// Every key of the old format starts with this.
    pub const P2D_V1_PREFIX: &str = "mnist-lab/p2d/v1/";

    pub fn migrate_p2d_v1(key: &str, value: &str, saved_at_ms: f64) -> Option<RunRecord> {
        let rest = key.strip_prefix(P2D_V1_PREFIX)?;
        if rest.contains("&data=") || value.len() > MAX_RECORD_BYTES {
            return None;
        }
        let result: RunResult = serde_json::from_str(value).ok()?;
        if result.config.experiment != ExperimentId::P2d {
            return None;
        }
        let record = RunRecord::new(DatasetId::embedded_mnist(), saved_at_ms, Outcome::Classifier(result));
        record.check().ok()?;
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::EpochMetrics;
    use crate::experiment::result::{Analysis, Mistake};

    pub(crate) fn classifier(config: RunConfig) -> RunResult {
        let epochs = (1..=config.schedule.epochs.min(3))
            .map(|epoch| EpochMetrics { epoch, loss: 0.5 / epoch as f64, accuracy: 0.9, val_loss: 0.3, val_accuracy: 0.91, seconds: 1.5 })
            .collect();
        RunResult {
            backend: "cpu (flex)".into(),
            model: crate::model::summary::mlp_summary(&[64, 64]),
            history: epochs,
            test_loss: 0.3,
            test_accuracy: 0.91,
            seconds: 4.5,
            analysis: Some(Analysis {
                confusion: vec![vec![1; 10]; 10],
                mistakes: vec![Mistake { index: 3, label: 1, predicted: 7, pixels: vec![9; 784] }],
                filters: vec![],
            }),
            config,
        }
    }

    #[test]
    fn round_trip_and_key() {
        let config = RunConfig::p2().with_epochs(3).with_train_size(6000);
        let record = RunRecord::new(DatasetId::embedded_mnist(), 1.7e12, Outcome::Classifier(classifier(config)));
        let key = record.key();
        assert!(key.starts_with(&format!("v{RECORD_SCHEMA}/{}/experiment=p2&epochs=3&", DatasetId::embedded_mnist().short())), "{key}");
        let text = record.encode().unwrap();
        assert_eq!(RunRecord::decode(&key, &text).unwrap(), record);
    }

    #[test]
    fn keys_separate_what_trains_differently() {
        let mnist = DatasetId::embedded_mnist();
        let base = RunConfig::p2d().with_l2(1e-4);
        let key = |c: &RunConfig, d: &DatasetId| record_key(c, d);
        // The old P2D key left out test_size: two setups that differ only there collided.
        assert_ne!(key(&base, &mnist), key(&base.clone().with_test_size(2000), &mnist));
        assert_ne!(key(&base, &mnist), key(&base.clone().with_l2(1e-3), &mnist));
        assert_ne!(key(&base, &mnist), key(&base, &DatasetId::of_files("mine", &[b"a", b"b", b"c", b"d"])));
        assert_eq!(key(&base, &mnist), key(&base.clone(), &DatasetId::embedded_mnist()));
    }

    #[test]
    fn decode_refuses_what_is_not_a_readable_record_of_its_key() {
        let config = RunConfig::p3().with_epochs(2);
        let record = RunRecord::new(DatasetId::embedded_mnist(), 0.0, Outcome::Classifier(classifier(config)));
        let key = record.key();
        let text = record.encode().unwrap();
        assert!(matches!(RunRecord::decode("v1/other", &text), Err(RecordError::WrongKey { .. })));
        assert!(matches!(RunRecord::decode(&key, &text.replace("\"schema\":1", "\"schema\":0")), Err(RecordError::Schema { found: 0 })));
        assert!(matches!(RunRecord::decode(&key, &text[..text.len() / 2]), Err(RecordError::Unreadable(_))));
        assert!(matches!(RunRecord::decode(&key, "null"), Err(RecordError::Unreadable(_))));
        assert!(matches!(RunRecord::decode(&key, &" ".repeat(MAX_RECORD_BYTES + 1)), Err(RecordError::TooLarge(_))));
        // NaN is written as null by JSON and cannot be read back as a number.
        let mut diverged = record.clone();
        if let Outcome::Classifier(r) = &mut diverged.outcome {
            r.test_loss = f64::NAN;
        }
        assert!(RunRecord::decode(&key, &diverged.encode().unwrap()).is_err());
        // A P3 config with P4's outcome kind, or an epoch count beyond the config's.
        let mut long = record.clone();
        if let Outcome::Classifier(r) = &mut long.outcome {
            r.config.schedule.epochs = 1;
        }
        assert!(matches!(RunRecord::decode(&long.key(), &long.encode().unwrap()), Err(RecordError::Invalid(_))));
        let mut bad_pixels = record;
        if let Outcome::Classifier(r) = &mut bad_pixels.outcome {
            r.analysis.as_mut().unwrap().mistakes[0].pixels.truncate(10);
        }
        assert!(matches!(RunRecord::decode(&key, &bad_pixels.encode().unwrap()), Err(RecordError::Invalid(_))));
    }

    fn denoiser() -> P4Result {
        use crate::experiment::p4::{DenoiseRow, Generated, GeneratedDigit, Generation, LossEpoch, NoiseGrid};
        let digit = |v: u8| GeneratedDigit { pixels: vec![v; 784], label: Some(3), confidence: Some(0.9) };
        P4Result {
            config: RunConfig::p4().with_epochs(2),
            backend: "cpu (flex)".into(),
            model: crate::model::summary::autoencoder_summary(),
            history: vec![LossEpoch { epoch: 1, loss: 0.2, val_loss: 0.19, seconds: 3.0 }, LossEpoch { epoch: 2, loss: 0.15, val_loss: 0.14, seconds: 3.0 }],
            val_loss: 0.14,
            seconds: 6.5,
            grid: NoiseGrid {
                digits: vec![1],
                labels: vec![0],
                levels: vec![0.0, 0.5],
                noisy: vec![vec![serde_bytes::ByteBuf::from(vec![1u8; 784]), serde_bytes::ByteBuf::from(vec![2u8; 784])]],
                denoised: vec![vec![serde_bytes::ByteBuf::from(vec![3u8; 784]), serde_bytes::ByteBuf::from(vec![4u8; 784])]],
            },
            cnn: Some("P3's CNN".into()),
            denoising: vec![DenoiseRow { level: 0.0, noisy_accuracy: 0.99, denoised_accuracy: 0.95 }],
            sampled: Generated { how: Generation::Sampled { seed: 1 }, digits: vec![digit(7)] },
            interpolated: Generated { how: Generation::Interpolated { from: 1, to: 2, from_label: 0, to_label: 4 }, digits: vec![digit(8), digit(9)] },
        }
    }

    #[test]
    fn a_bundle_round_trips_every_run_type() {
        let mnist = DatasetId::embedded_mnist();
        let mut network = classifier(RunConfig::p2d().with_epochs(3).with_l2(1e-4).with_seed(99));
        network.analysis = None;
        let records = vec![
            RunRecord::new(mnist.clone(), 1.0, Outcome::Classifier(classifier(RunConfig::p2().with_epochs(3)))),
            RunRecord { part_of: Some("experiment=p2d&epochs=3&factors=1e-4&replicates=1".into()), ..RunRecord::new(mnist.clone(), 2.0, Outcome::Classifier(network)) },
            RunRecord::new(mnist.clone(), 3.0, Outcome::Classifier(classifier(RunConfig::p3().with_epochs(3)))),
            RunRecord::new(mnist, 4.0, Outcome::Denoiser(Box::new(denoiser()))),
        ];
        let text = Bundle::new(records.clone()).encode().unwrap();
        let back = Bundle::decode(&text).unwrap();
        assert_eq!(back.records.len(), 4);
        for (ours, theirs) in records.iter().zip(&back.records) {
            assert_eq!(theirs.origin, Origin::Imported);
            assert_eq!(RunRecord { origin: Origin::ThisBrowser, ..theirs.clone() }, *ours);
        }
        // A bundle with one damaged run is refused, naming the run; so is another file.
        let damaged = text.replacen("\"test_accuracy\":0.91", "\"test_accuracy\":7", 1);
        assert!(matches!(Bundle::decode(&damaged), Err(RecordError::Invalid(m)) if m.starts_with("run 1 of the bundle")));
        assert!(Bundle::decode("{\"format\":\"something else\",\"records\":[]}").is_err());
        assert!(Bundle::decode("[1, 2, 3]").is_err());
    }

    /// A safetensors file naming `model`, with one small tensor.
    fn model_file(model: &str) -> Vec<u8> {
        let data = [0u8; 16];
        let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![2, 2], &data).unwrap();
        let header = std::collections::HashMap::from([(crate::model::weights::MODEL_KEY.to_string(), model.to_string())]);
        safetensors::serialize(vec![("w".to_string(), view)], Some(header)).unwrap()
    }

    #[test]
    fn a_bundle_carries_the_runs_models_and_refuses_a_stray_or_wrong_one() {
        let record = RunRecord::new(DatasetId::embedded_mnist(), 1.0, Outcome::Classifier(classifier(RunConfig::p2().with_epochs(3))));
        let mut bundle = Bundle::new(vec![record.clone()]);
        let p2 = model_file("mnist-lab/p2-mlp");
        bundle.add_model(record.key(), &p2);
        let back = Bundle::decode(&bundle.encode().unwrap()).unwrap();
        assert_eq!(back.decoded_models(), vec![(record.key(), p2)]);
        // Another run's network, a model for no run of the bundle, and garbage are refused.
        let mut wrong = Bundle::new(vec![record.clone()]);
        wrong.add_model(record.key(), &model_file("mnist-lab/p3-cnn"));
        assert!(matches!(Bundle::decode(&wrong.encode().unwrap()), Err(RecordError::Invalid(m)) if m.contains("not mnist-lab/p2-mlp")));
        let mut stray = Bundle::new(vec![record.clone()]);
        stray.add_model("v1/0000/experiment=p2".into(), &model_file("mnist-lab/p2-mlp"));
        assert!(Bundle::decode(&stray.encode().unwrap()).is_err());
        let mut garbage = Bundle::new(vec![record.clone()]);
        garbage.models.insert(record.key(), "not base64!".into());
        assert!(Bundle::decode(&garbage.encode().unwrap()).is_err());
        // A bundle from before models were kept still reads.
        assert!(Bundle::decode(&Bundle::new(vec![record]).encode().unwrap()).unwrap().models.is_empty());
    }

    #[test]
    fn a_shared_link_carries_a_run_and_refuses_what_is_not_one() {
        let record = RunRecord::new(DatasetId::embedded_mnist(), 9.0, Outcome::Classifier(classifier(RunConfig::p3().with_epochs(3))));
        let fragment = share::encode(&record).unwrap().expect("a P3 run fits a link");
        assert!(fragment.starts_with("run=") && fragment.len() < 20_000, "{} characters", fragment.len());
        let back = share::decode(&format!("#{fragment}")).unwrap();
        assert_eq!(back.origin, Origin::SharedLink);
        assert_eq!(RunRecord { origin: Origin::ThisBrowser, ..back }, record);
        let p4 = RunRecord::new(DatasetId::embedded_mnist(), 9.0, Outcome::Denoiser(Box::new(denoiser())));
        assert!(share::decode(&share::encode(&p4).unwrap().unwrap()).is_ok());

        assert!(share::decode("#other=1").is_err());
        assert!(share::decode("#run=***").is_err());
        assert!(share::decode("#run=AAAA").is_err());
        assert!(matches!(share::decode(&format!("#run={}", "A".repeat(share::MAX_FRAGMENT + 1))), Err(RecordError::TooLarge(_))));
        // A deflate bomb (64 MB of spaces in a short link) stops at the record cap.
        use std::io::Write;
        let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        deflate.write_all(&vec![b' '; 64 << 20]).unwrap();
        let bomb = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, deflate.finish().unwrap());
        assert!(bomb.len() < share::MAX_FRAGMENT);
        assert!(matches!(share::decode(&format!("run={bomb}")), Err(RecordError::TooLarge(_))));
    }

    #[test]
    fn old_p2d_local_storage_entries_migrate() {
        // An entry exactly as the first page wrote it (key format of `ui::sweep_store` v1).
        let network = RunConfig::p2d().with_epochs(2).with_train_size(1000).with_l2(1e-4).with_seed(77);
        let mut result = classifier(network.clone());
        result.analysis = None;
        let key = format!("{}epochs=2&batch_size=128&lr=0.1&seed=1&train_size=1000&l2=1e-4&network_seed=77", legacy::P2D_V1_PREFIX);
        let value = serde_json::to_string(&result).unwrap();
        let record = legacy::migrate_p2d_v1(&key, &value, 5.0).expect("migrates");
        assert_eq!(record.dataset, DatasetId::embedded_mnist());
        assert_eq!(record.outcome, Outcome::Classifier(result.clone()));
        assert_eq!(record.saved_at_ms, 5.0);
        // Its new key reads back.
        assert_eq!(RunRecord::decode(&record.key(), &record.encode().unwrap()).unwrap(), record);
        // Another dataset's entry, an unreadable one, another experiment's: none.
        assert!(legacy::migrate_p2d_v1(&format!("{key}&data=https://x.test/m"), &value, 0.0).is_none());
        assert!(legacy::migrate_p2d_v1(&key, "{\"config\":", 0.0).is_none());
        assert!(legacy::migrate_p2d_v1(&key, "null", 0.0).is_none());
        let p2 = serde_json::to_string(&classifier(RunConfig::p2())).unwrap();
        assert!(legacy::migrate_p2d_v1(&key, &p2, 0.0).is_none());
        assert!(legacy::migrate_p2d_v1("other/key", &value, 0.0).is_none());
    }
}
