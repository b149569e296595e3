//! Every kept run in one file (the report's export and import).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Origin, RecordError, RunRecord};

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
