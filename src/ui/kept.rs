//! The results kept in this browser, as the page holds them: every readable record of the
//! results store ([`crate::web::results_store`]), by key, in memory. A run that finishes is
//! shown from memory at once and written behind; a write that fails (a full disk, no
//! IndexedDB) says why and leaves the run on the page, nothing else lost. The first page's
//! P2D entries in `localStorage` are moved in once.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::data::DatasetId;
use crate::experiment::record::{Outcome, RunRecord, legacy, record_key};
use crate::experiment::result::Checkpoint;
use crate::experiment::{ExperimentId, RunConfig};
use crate::web::results_store::{self, CheckpointMeta, Estimate, ResultsStore, StoreError};

/// Where the store is.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreState {
    Opening,
    Ready,
    /// No IndexedDB here (or it refused to open): results live as long as the page.
    Unavailable(String),
}

/// The kept results; `Copy`, owned by the lab.
#[derive(Clone, Copy)]
pub struct Kept {
    /// Every readable record, by key (all datasets).
    pub records: RwSignal<BTreeMap<String, RunRecord>>,
    pub state: RwSignal<StoreState>,
    /// Why the last write or forget failed, until the next one succeeds.
    pub message: RwSignal<Option<String>>,
    /// Entries that did not read back: `(key, why)`; they are left out.
    pub refused: RwSignal<Vec<(String, String)>>,
    /// Keys shown but not written (the store failed or is missing).
    pub unsaved: RwSignal<Vec<String>>,
    pub estimate: RwSignal<Option<Estimate>>,
    /// Whether the browser agreed not to evict this page's storage.
    pub persisted: RwSignal<Option<bool>>,
    /// What the last bundle import or save did (it outlives the tab that asked).
    pub notice: RwSignal<Option<String>>,
    /// Interrupted runs' checkpoints (their descriptions), by the run's record key.
    pub checkpoints: RwSignal<BTreeMap<String, CheckpointMeta>>,
    /// The keys of the runs whose trained model is kept too (P2, P2D).
    pub models: RwSignal<BTreeSet<String>>,
    /// Trained models not (yet) written to the store, by key: shown and usable on this
    /// page whatever the store does.
    unwritten_models: StoredValue<BTreeMap<String, Rc<Vec<u8>>>, LocalStorage>,
    store: StoredValue<Option<Rc<ResultsStore>>, LocalStorage>,
}

impl Kept {
    /// Opens the store and reads every record in the background.
    pub fn open() -> Self {
        let this = Self {
            records: RwSignal::new(BTreeMap::new()),
            state: RwSignal::new(StoreState::Opening),
            message: RwSignal::new(None),
            refused: RwSignal::new(Vec::new()),
            unsaved: RwSignal::new(Vec::new()),
            estimate: RwSignal::new(None),
            persisted: RwSignal::new(None),
            notice: RwSignal::new(None),
            checkpoints: RwSignal::new(BTreeMap::new()),
            models: RwSignal::new(BTreeSet::new()),
            unwritten_models: StoredValue::new_local(BTreeMap::new()),
            store: StoredValue::new_local(None),
        };
        spawn_local(async move {
            let store = match ResultsStore::open().await {
                Ok(store) => Rc::new(store),
                Err(e) => return this.state.set(StoreState::Unavailable(e.to_string())),
            };
            this.store.set_value(Some(store.clone()));
            migrate_local_storage(&store).await;
            match store.load_all().await {
                Ok(loaded) => {
                    for (key, why) in &loaded.refused {
                        web_sys::console::warn_1(&format!("a kept result was left out ({key}): {why}").into());
                    }
                    this.refused.set(loaded.refused);
                    // What finished while the store opened stays (it is newer).
                    this.records.update(|r| {
                        for record in loaded.records {
                            r.entry(record.key()).or_insert(record);
                        }
                    });
                    this.state.set(StoreState::Ready);
                }
                Err(e) => this.state.set(StoreState::Unavailable(e.to_string())),
            }
            if let Ok(metas) = store.checkpoint_metas().await {
                this.checkpoints.update(|c| c.extend(metas));
            }
            // A model whose run did not read back is of no use: only known runs' count.
            if let Ok(keys) = store.weight_keys().await {
                let known: Vec<String> = this.records.with_untracked(|r| keys.into_iter().filter(|k| r.contains_key(k)).collect());
                this.models.update(|m| m.extend(known));
            }
            this.persisted.set(results_store::persisted().await);
            this.refresh_estimate();
            // Written while the store opened: write now.
            let waiting: Vec<RunRecord> = this.unsaved.get_untracked().iter().filter_map(|k| this.records.with_untracked(|r| r.get(k).cloned())).collect();
            for record in waiting {
                this.write(record);
            }
        });
        this
    }

    /// Whether the store has been read (or cannot be): what is kept is known (tracked).
    pub fn is_loaded(&self) -> bool {
        self.state.with(|s| *s != StoreState::Opening)
    }

    /// Keeps a finished run of `dataset` (`part_of`: a sweep network's sweep setup), with
    /// its trained model if it has one: shown at once, written behind.
    pub fn keep(&self, dataset: DatasetId, outcome: Outcome, part_of: Option<String>, model: Option<Vec<u8>>) {
        let record = RunRecord { part_of, ..RunRecord::new(dataset, js_sys::Date::now(), outcome) };
        let key = record.key();
        self.add(record);
        if let Some(model) = model {
            self.keep_model(key, model);
        }
    }

    /// Keeps the trained model of the kept run `key` (in memory at once, then in the store).
    pub fn keep_model(&self, key: String, model: Vec<u8>) {
        let model = Rc::new(model);
        self.unwritten_models.update_value(|m| {
            m.insert(key.clone(), model.clone());
        });
        self.models.update(|m| {
            m.insert(key.clone());
        });
        let Some(store) = self.store.get_value() else { return };
        let this = *self;
        spawn_local(async move {
            match store.put_weights(&key, &model).await {
                Ok(()) => this.unwritten_models.update_value(|m| {
                    m.remove(&key);
                }),
                Err(e) => this.message.set(Some(format!("the trained model could not be kept ({e}); it stays usable on this page until it closes"))),
            }
            this.refresh_estimate();
        });
    }

    /// The trained model of the kept run `key` (a safetensors file).
    pub async fn load_model(&self, key: &str) -> Result<Vec<u8>, String> {
        if let Some(model) = self.unwritten_models.with_value(|m| m.get(key).cloned()) {
            return Ok(model.as_ref().clone());
        }
        let store = self.store.get_value().ok_or("the browser's storage is not open")?;
        store.weights(key).await.map_err(|e| e.to_string())?.ok_or_else(|| "this run's trained model is not kept".to_string())
    }

    /// Keeps a record as it is (an imported or shared one), replacing one of its key.
    pub fn add(&self, record: RunRecord) {
        let key = record.key();
        // A finished run needs its checkpoint no more.
        if self.checkpoints.with_untracked(|c| c.contains_key(&key)) {
            self.forget_checkpoint(&key);
        }
        self.records.update(|r| {
            r.insert(key.clone(), record.clone());
        });
        if self.store.with_value(Option::is_none) {
            self.unsaved.update(|u| u.push(key));
            if let StoreState::Unavailable(why) = self.state.get_untracked() {
                self.message.set(Some(format!("{why}; this run is kept on the page only")));
            }
            return;
        }
        self.write(record);
    }

    fn write(&self, record: RunRecord) {
        let Some(store) = self.store.get_value() else { return };
        let this = *self;
        spawn_local(async move {
            // Encoded in a task of its own: a run's end message arrives in one task that also
            // renders its figures, and the encoding (serde_json of the whole record, P4's
            // pixel grids included) added 14 ms to it (a trace of a P4 run, 2026-12-04).
            gloo_timers::future::TimeoutFuture::new(0).await;
            let key = record.key();
            // Forgotten meanwhile ("Forget this run", "Forget everything"): writing it now
            // would bring it back on the next visit (the store's clear may already be done).
            if this.records.with_untracked(|r| !r.contains_key(&key)) {
                return;
            }
            match store.put(&record).await {
                Ok(_) => {
                    this.unsaved.update(|u| u.retain(|k| *k != key));
                    this.message.set(None);
                    // Asked when the first result is kept, not at load: the visitor now has
                    // something worth keeping, and browsers grant it more readily then.
                    if this.persisted.get_untracked() != Some(true) {
                        this.persisted.set(results_store::persist().await);
                    }
                }
                Err(e) => {
                    if !this.unsaved.with_untracked(|u| u.contains(&key)) {
                        this.unsaved.update(|u| u.push(key));
                    }
                    let shown = match e {
                        StoreError::QuotaExceeded => e.to_string(),
                        other => format!("{other}; the run stays on the page until it closes"),
                    };
                    this.message.set(Some(shown));
                }
            }
            this.refresh_estimate();
        });
    }

    /// Forgets one run (in memory at once, then in the store).
    pub fn forget(&self, key: &str) {
        self.records.update(|r| {
            r.remove(key);
        });
        self.models.update(|m| {
            m.remove(key);
        });
        self.unwritten_models.update_value(|m| {
            m.remove(key);
        });
        self.unsaved.update(|u| u.retain(|k| k != key));
        let Some(store) = self.store.get_value() else { return };
        let (this, key) = (*self, key.to_string());
        spawn_local(async move {
            if let Err(e) = store.delete(&key).await {
                this.message.set(Some(format!("could not forget the run: {e}")));
            }
            this.refresh_estimate();
        });
    }

    /// Forgets every run, of every dataset (and `auto`'s measured backends).
    pub fn forget_all(&self) {
        super::backend_choice::forget_all();
        self.records.set(BTreeMap::new());
        self.checkpoints.set(BTreeMap::new());
        self.models.set(BTreeSet::new());
        self.unwritten_models.set_value(BTreeMap::new());
        self.unsaved.set(Vec::new());
        self.refused.set(Vec::new());
        let Some(store) = self.store.get_value() else { return };
        let this = *self;
        spawn_local(async move {
            if let Err(e) = store.clear().await {
                this.message.set(Some(format!("could not forget the runs: {e}")));
            }
            this.refresh_estimate();
        });
    }

    /// Keeps a running experiment's checkpoint (replacing the run's earlier one). A failure
    /// only costs the resume: it is logged, not shown over the run.
    pub fn keep_checkpoint(&self, dataset: &DatasetId, checkpoint: Checkpoint) {
        let key = record_key(&checkpoint.config, dataset);
        let saved_at_ms = js_sys::Date::now();
        let meta = CheckpointMeta { config: checkpoint.config.clone(), history: checkpoint.history.clone(), saved_at_ms };
        self.checkpoints.update(|c| {
            c.insert(key.clone(), meta);
        });
        let Some(store) = self.store.get_value() else { return };
        spawn_local(async move {
            if let Err(e) = store.put_checkpoint(&key, &checkpoint, saved_at_ms).await {
                web_sys::console::warn_1(&format!("the checkpoint could not be kept: {e}").into());
            }
        });
    }

    /// The checkpoint under `key`, with its weights.
    pub async fn load_checkpoint(&self, key: &str) -> Result<Checkpoint, String> {
        let store = self.store.get_value().ok_or("the browser's storage is not open")?;
        store.checkpoint(key).await.map_err(|e| e.to_string())?.ok_or_else(|| "the checkpoint is gone or damaged".to_string())
    }

    pub fn forget_checkpoint(&self, key: &str) {
        self.checkpoints.update(|c| {
            c.remove(key);
        });
        let Some(store) = self.store.get_value() else { return };
        let key = key.to_string();
        spawn_local(async move {
            let _ = store.delete_checkpoint(&key).await;
        });
    }

    fn refresh_estimate(&self) {
        let this = *self;
        spawn_local(async move { this.estimate.set(results_store::estimate().await) });
    }

    /// The kept run of exactly `config` on `dataset` (tracked).
    pub fn find(&self, config: &RunConfig, dataset: &DatasetId) -> Option<RunRecord> {
        let key = crate::experiment::record::record_key(config, dataset);
        self.records.with(|r| r.get(&key).cloned())
    }

    /// The most recently kept run of `experiment` on `dataset` (tracked).
    pub fn latest(&self, experiment: ExperimentId, dataset: &DatasetId) -> Option<RunRecord> {
        self.records.with(|r| {
            r.values()
                .filter(|rec| rec.experiment() == experiment && rec.dataset == *dataset)
                .max_by(|a, b| a.saved_at_ms.total_cmp(&b.saved_at_ms))
                .cloned()
        })
    }

    /// How many runs of `experiment` are kept (all datasets; tracked).
    pub fn count(&self, experiment: ExperimentId) -> usize {
        self.records.with(|r| r.values().filter(|rec| rec.experiment() == experiment).count())
    }
}

/// Moves the first page's P2D entries from `localStorage` into the store, once: each entry
/// that reads back becomes a record; every old entry is then removed (one that cannot be
/// read is of no use to any page).
async fn migrate_local_storage(store: &ResultsStore) {
    let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) else { return };
    let length = storage.length().unwrap_or(0);
    let keys: Vec<String> = (0..length).filter_map(|i| storage.key(i).ok().flatten()).filter(|k| k.starts_with(legacy::P2D_V1_PREFIX)).collect();
    let now = js_sys::Date::now();
    for key in keys {
        let value = storage.get_item(&key).ok().flatten().unwrap_or_default();
        if let Some(record) = legacy::migrate_p2d_v1(&key, &value, now) {
            if let Err(e) = store.put(&record).await {
                // Kept where it was; the next visit tries again.
                web_sys::console::warn_1(&format!("could not move a P2D network into the results store: {e}").into());
                continue;
            }
        }
        let _ = storage.remove_item(&key);
    }
}
