//! The results store: every finished run, kept in the browser's IndexedDB so a reload
//! shows it without training.
//!
//! Through the `idb` crate (futures over web-sys' IndexedDB, by the author of `rexie`): it
//! is small, maps every IndexedDB failure to a typed error instead of a panic, and works in
//! a window and in a worker alike. `rexie` wraps the same crate in a higher API this store
//! does not need; `indexed_db_futures` has a larger surface with more features to pin.
//!
//! Layout: database `mnist-lab`, object store `runs`; key: [`RunRecord::key`], value: the
//! record's JSON text ([`RunRecord::encode`]), which [`RunRecord::decode`] reads back
//! strictly. Store `weights`, same key: the run's trained model as a safetensors file
//! (`Uint8Array`), for the runs that keep one (P2, P2D); store `checkpoints`: interrupted
//! runs. A record that does not decode (an older schema, a damaged entry) is reported
//! with its reason and left out, never shown half-read.

use idb::{Database, DatabaseEvent, Factory, ObjectStoreParams, TransactionMode};
use thiserror::Error;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::experiment::record::RunRecord;
use crate::experiment::result::Checkpoint;

const DB_NAME: &str = "mnist-lab";
const DB_VERSION: u32 = 3;
const RUNS: &str = "runs";
/// Version 2: the running experiments' checkpoints, key: the run's record key, value:
/// `{ meta: JSON of the config and finished epochs, weights: Uint8Array }`.
const CHECKPOINTS: &str = "checkpoints";
/// Version 3: trained models, key: the run's record key, value: a safetensors `Uint8Array`.
const WEIGHTS: &str = "weights";

#[derive(Debug, Clone, PartialEq, Error)]
pub enum StoreError {
    #[error("this browser gives the page no IndexedDB ({0}); results stay on the page until it closes")]
    Unavailable(String),
    #[error("the browser's storage for this page is full; the run stays on the page until it closes (forget older runs to make room)")]
    QuotaExceeded,
    #[error("the browser's storage refused: {0}")]
    Failed(String),
}

fn failed(error: idb::Error) -> StoreError {
    let text = error.to_string();
    if text.contains("QuotaExceeded") || text.to_ascii_lowercase().contains("quota") {
        StoreError::QuotaExceeded
    } else {
        StoreError::Failed(text)
    }
}

/// What [`ResultsStore::load_all`] found.
#[derive(Debug, Default)]
pub struct Loaded {
    pub records: Vec<RunRecord>,
    /// `(key, why)` of every entry that did not read back.
    pub refused: Vec<(String, String)>,
}

/// An open connection to the results database.
pub struct ResultsStore {
    db: Database,
}

impl ResultsStore {
    /// Opens (creating on first use) the database.
    pub async fn open() -> Result<Self, StoreError> {
        let factory = Factory::new().map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let mut request = factory.open(DB_NAME, Some(DB_VERSION)).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        request.on_upgrade_needed(|event| {
            // Each version's stores, created where missing (a failure here fails the open
            // request, which `open` reports).
            let Ok(db) = event.database() else { return };
            for name in [RUNS, CHECKPOINTS, WEIGHTS] {
                if !db.store_names().iter().any(|n| n == name) {
                    let _ = db.create_object_store(name, ObjectStoreParams::new());
                }
            }
        });
        let db = request.await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self { db })
    }

    /// Every kept record (in key order), and what could not be read.
    pub async fn load_all(&self) -> Result<Loaded, StoreError> {
        let tx = self.db.transaction(&[RUNS], TransactionMode::ReadOnly).map_err(failed)?;
        let store = tx.object_store(RUNS).map_err(failed)?;
        let keys = store.get_all_keys(None, None).map_err(failed)?.await.map_err(failed)?;
        let values = store.get_all(None, None).map_err(failed)?.await.map_err(failed)?;
        let mut loaded = Loaded::default();
        for (key, value) in keys.into_iter().zip(values) {
            let key = key.as_string().unwrap_or_else(|| format!("{key:?}"));
            match value.as_string() {
                None => loaded.refused.push((key, "not a text record".into())),
                Some(text) => match RunRecord::decode(&key, &text) {
                    Ok(record) => loaded.records.push(record),
                    Err(e) => loaded.refused.push((key, e.to_string())),
                },
            }
        }
        Ok(loaded)
    }

    /// Keeps `record` (replacing one of the same key). Returns the bytes it takes.
    pub async fn put(&self, record: &RunRecord) -> Result<usize, StoreError> {
        let text = record.encode().map_err(|e| StoreError::Failed(e.to_string()))?;
        let tx = self.db.transaction(&[RUNS], TransactionMode::ReadWrite).map_err(failed)?;
        let store = tx.object_store(RUNS).map_err(failed)?;
        store.put(&JsValue::from_str(&text), Some(&JsValue::from_str(&record.key()))).map_err(failed)?.await.map_err(failed)?;
        finish(tx, &store).await?;
        Ok(text.len())
    }

    /// Forgets one record and its weights.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[RUNS, WEIGHTS], TransactionMode::ReadWrite).map_err(failed)?;
        let store = tx.object_store(RUNS).map_err(failed)?;
        store.delete(JsValue::from_str(key)).map_err(failed)?.await.map_err(failed)?;
        tx.object_store(WEIGHTS).map_err(failed)?.delete(JsValue::from_str(key)).map_err(failed)?.await.map_err(failed)?;
        finish(tx, &store).await
    }

    /// Forgets every record, model and checkpoint.
    pub async fn clear(&self) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[RUNS, CHECKPOINTS, WEIGHTS], TransactionMode::ReadWrite).map_err(failed)?;
        let store = tx.object_store(RUNS).map_err(failed)?;
        store.clear().map_err(failed)?.await.map_err(failed)?;
        for name in [CHECKPOINTS, WEIGHTS] {
            tx.object_store(name).map_err(failed)?.clear().map_err(failed)?.await.map_err(failed)?;
        }
        finish(tx, &store).await
    }

    /// Keeps the trained model of the run `key` (a safetensors file).
    pub async fn put_weights(&self, key: &str, weights: &[u8]) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[WEIGHTS], TransactionMode::ReadWrite).map_err(failed)?;
        let store = tx.object_store(WEIGHTS).map_err(failed)?;
        store.put(&js_sys::Uint8Array::from(weights), Some(&JsValue::from_str(key))).map_err(failed)?.await.map_err(failed)?;
        finish(tx, &store).await
    }

    /// The trained model kept for the run `key`, if any.
    pub async fn weights(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.transaction(&[WEIGHTS], TransactionMode::ReadOnly).map_err(failed)?;
        let store = tx.object_store(WEIGHTS).map_err(failed)?;
        let value = store.get(JsValue::from_str(key)).map_err(failed)?.await.map_err(failed)?;
        Ok(value.and_then(|v| v.dyn_into::<js_sys::Uint8Array>().ok()).map(|a| a.to_vec()))
    }

    /// The keys of the runs that have a kept model.
    pub async fn weight_keys(&self) -> Result<Vec<String>, StoreError> {
        let tx = self.db.transaction(&[WEIGHTS], TransactionMode::ReadOnly).map_err(failed)?;
        let store = tx.object_store(WEIGHTS).map_err(failed)?;
        let keys = store.get_all_keys(None, None).map_err(failed)?.await.map_err(failed)?;
        Ok(keys.into_iter().filter_map(|k| k.as_string()).collect())
    }
}

/// A checkpoint's description: what it resumes, without its weights.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CheckpointMeta {
    pub config: crate::experiment::RunConfig,
    pub history: Vec<crate::experiment::EpochMetrics>,
    pub saved_at_ms: f64,
}

impl ResultsStore {
    /// Keeps `checkpoint` under `key` (replacing the run's earlier one).
    pub async fn put_checkpoint(&self, key: &str, checkpoint: &Checkpoint, saved_at_ms: f64) -> Result<(), StoreError> {
        let meta = CheckpointMeta { config: checkpoint.config.clone(), history: checkpoint.history.clone(), saved_at_ms };
        let meta = serde_json::to_string(&meta).map_err(|e| StoreError::Failed(e.to_string()))?;
        let value = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&value, &JsValue::from_str(k), v).map(|_| ()).map_err(|_| StoreError::Failed("cannot build the checkpoint".into()));
        set("meta", &JsValue::from_str(&meta))?;
        set("weights", &js_sys::Uint8Array::from(checkpoint.weights.as_slice()))?;
        if let Some(optimizer) = &checkpoint.optimizer {
            set("optimizer", &js_sys::Uint8Array::from(optimizer.as_slice()))?;
        }
        let tx = self.db.transaction(&[CHECKPOINTS], TransactionMode::ReadWrite).map_err(failed)?;
        let store = tx.object_store(CHECKPOINTS).map_err(failed)?;
        store.put(&value, Some(&JsValue::from_str(key))).map_err(failed)?.await.map_err(failed)?;
        finish(tx, &store).await
    }

    /// Every checkpoint's description, by key (an unreadable one is left out).
    pub async fn checkpoint_metas(&self) -> Result<Vec<(String, CheckpointMeta)>, StoreError> {
        let tx = self.db.transaction(&[CHECKPOINTS], TransactionMode::ReadOnly).map_err(failed)?;
        let store = tx.object_store(CHECKPOINTS).map_err(failed)?;
        let keys = store.get_all_keys(None, None).map_err(failed)?.await.map_err(failed)?;
        let values = store.get_all(None, None).map_err(failed)?.await.map_err(failed)?;
        Ok(keys.into_iter().zip(values).filter_map(|(k, v)| Some((k.as_string()?, read_meta(&v)?))).collect())
    }

    /// The checkpoint kept under `key`, if one reads back whole.
    pub async fn checkpoint(&self, key: &str) -> Result<Option<Checkpoint>, StoreError> {
        let tx = self.db.transaction(&[CHECKPOINTS], TransactionMode::ReadOnly).map_err(failed)?;
        let store = tx.object_store(CHECKPOINTS).map_err(failed)?;
        let Some(value) = store.get(JsValue::from_str(key)).map_err(failed)?.await.map_err(failed)? else { return Ok(None) };
        let Some(meta) = read_meta(&value) else { return Ok(None) };
        let bytes = |name: &str| js_sys::Reflect::get(&value, &JsValue::from_str(name)).ok().and_then(|w| w.dyn_into::<js_sys::Uint8Array>().ok()).map(|a| a.to_vec());
        let optimizer = bytes("optimizer");
        Ok(bytes("weights").map(|weights| Checkpoint { config: meta.config, history: meta.history, weights, optimizer }))
    }

    pub async fn delete_checkpoint(&self, key: &str) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[CHECKPOINTS], TransactionMode::ReadWrite).map_err(failed)?;
        let store = tx.object_store(CHECKPOINTS).map_err(failed)?;
        store.delete(JsValue::from_str(key)).map_err(failed)?.await.map_err(failed)?;
        finish(tx, &store).await
    }
}

/// A checkpoint's `meta`, strictly: a valid config and no more epochs than it has.
fn read_meta(value: &JsValue) -> Option<CheckpointMeta> {
    let text = js_sys::Reflect::get(value, &JsValue::from_str("meta")).ok()?.as_string()?;
    if text.len() > crate::experiment::record::MAX_RECORD_BYTES {
        return None;
    }
    let meta: CheckpointMeta = serde_json::from_str(&text).ok()?;
    (meta.config.validate().is_ok() && !meta.history.is_empty() && meta.history.len() < meta.config.schedule.epochs).then_some(meta)
}

/// Waits for a read-write transaction: a write is kept only once it commits (a full disk
/// aborts it at commit, with `QuotaExceededError`, which `store`'s handle on the same
/// transaction then tells).
async fn finish(tx: idb::Transaction, store: &idb::ObjectStore) -> Result<(), StoreError> {
    match tx.await {
        Ok(result) if result.is_committed() => Ok(()),
        Ok(_) => Err(abort_reason(store.transaction().error())),
        Err(e) => Err(failed(e)),
    }
}

fn abort_reason(error: Option<web_sys::DomException>) -> StoreError {
    match error {
        Some(e) if e.name() == "QuotaExceededError" => StoreError::QuotaExceeded,
        Some(e) => StoreError::Failed(format!("{}: {}", e.name(), e.message())),
        None => StoreError::Failed("the write was aborted".into()),
    }
}

/// `navigator.storage` of the window, if the browser has one.
fn storage_manager() -> Option<web_sys::StorageManager> {
    let navigator = web_sys::window()?.navigator();
    let storage = js_sys::Reflect::get(&navigator, &JsValue::from_str("storage")).ok()?;
    storage.dyn_into().ok()
}

/// What the browser says this page's storage holds and may hold, in bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub usage: f64,
    pub quota: f64,
}

/// `navigator.storage.estimate()`.
pub async fn estimate() -> Option<Estimate> {
    let promise = storage_manager()?.estimate().ok()?;
    let value = JsFuture::from(promise).await.ok()?;
    let get = |name: &str| js_sys::Reflect::get(&value, &JsValue::from_str(name)).ok().and_then(|v| v.as_f64());
    Some(Estimate { usage: get("usage")?, quota: get("quota")? })
}

/// `navigator.storage.persist()`: asks the browser not to evict this page's storage under
/// pressure. `Some(granted)`, or `None` where the browser cannot be asked.
pub async fn persist() -> Option<bool> {
    let promise = storage_manager()?.persist().ok()?;
    JsFuture::from(promise).await.ok()?.as_bool()
}

/// `navigator.storage.persisted()`.
pub async fn persisted() -> Option<bool> {
    let promise = storage_manager()?.persisted().ok()?;
    JsFuture::from(promise).await.ok()?.as_bool()
}
