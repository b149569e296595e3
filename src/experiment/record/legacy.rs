//! The first page kept each finished P2D network in `localStorage` under
//! `mnist-lab/p2d/v1/…`, its [`RunResult`] as JSON. Such an entry becomes a record of the
//! embedded MNIST (the only dataset whose entries carried no `data=`); an entry of another
//! dataset, or one that does not read back, becomes none (the page then drops it).

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
