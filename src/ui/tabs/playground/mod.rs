//! The playground tab: draw a digit and watch every kept classifier read it, live.
//!
//! - [`Playground`]: its state, owned by the lab. Its own worker (not a training one, so a
//!   run in another tab goes on) holds the classifiers: P2's latest MLP and P2D's best
//!   network from the results store, P3's kept CNN, and uploaded models. One reading is in
//!   flight at a time; a newer drawing waits and replaces an older waiting one, so the bars
//!   follow the pen without a queue building up; until the latest strokes' reading lands,
//!   the page says the bars are the previous strokes' (`current`).
//! - [`pad`]: the drawing pad (pointer events, undo, clear, a random test digit).
//! - [`readings`]: the 28×28 input and each classifier's probability bars; [`inside`] the
//!   CNN's saliency and feature maps; [`denoise`] the drawing through P4's autoencoder;
//!   [`panel`] the tab.

pub mod denoise;
pub mod inside;
pub mod pad;
pub mod panel;
pub mod readings;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::ui::kept::Kept;
use crate::ui::tabs::cnn::stored_cnn::StoredCnn;
use crate::ui::worker_client::{WorkerClient, WorkerEvent};
use crate::data::DatasetId;
use crate::experiment::{BackendChoice, ExperimentId};
use crate::experiment::record::Outcome;
use crate::experiment::result::Insight;
use crate::protocol::{DenoisedDrawing, NamedWeights, ReaderInfo, Reading, WorkerInput, WorkerOutput};

/// The classifiers the playground should hold: `(record key, name)` of kept models, and
/// whether the kept CNN is one. Compared with what is loaded to decide a reload.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Wanted {
    pub kept: Vec<(String, String)>,
    /// The kept CNN's description (it changes when another is kept).
    pub cnn: Option<String>,
    /// Names of uploaded models.
    pub uploaded: Vec<String>,
    /// `(record key, name)` of P4's latest kept autoencoder.
    pub denoiser: Option<(String, String)>,
    /// Where the classifiers should read.
    pub backend: BackendChoice,
}

/// The seed's training noise level: where the denoising slider starts.
pub const DEFAULT_NOISE: f64 = 0.4;

/// The playground's state; `Copy`.
#[derive(Clone, Copy)]
pub struct Playground {
    /// The classifiers loaded in the worker, in reading order.
    pub readers: RwSignal<Vec<ReaderInfo>>,
    /// Models that could not be loaded, with why.
    pub failed: RwSignal<Vec<String>>,
    /// Loading classifiers into the worker.
    pub loading: RwSignal<bool>,
    /// A problem to show (a crashed worker, a refused upload).
    pub message: RwSignal<Option<String>>,
    /// The drawing as MNIST's preprocessing makes it (784 pixels), `None` while empty.
    pub digit: RwSignal<Option<Vec<u8>>>,
    /// The readings of `digit` (empty while there is none).
    pub readings: RwSignal<Vec<Reading>>,
    /// Whether `readings` are of the drawing on the pad: false from a stroke until its
    /// reading lands (the previous strokes' reading stays up meanwhile, ~170 ms on WebGPU).
    pub current: RwSignal<bool>,
    /// What the CNN looks at in the drawing, once the pen rests (`None` before, or without
    /// a CNN).
    pub insight: RwSignal<Option<Insight>>,
    /// P4's autoencoder, when one is loaded.
    pub denoiser: RwSignal<Option<ReaderInfo>>,
    /// The noise level of the denoising figure (the slider).
    pub noise_level: RwSignal<f64>,
    /// The drawing noised at `noise_level` and denoised, once the pen rests.
    pub denoised: RwSignal<Option<DenoisedDrawing>>,
    /// Milliseconds from sending the last digit to its readings (all classifiers).
    pub latency_ms: RwSignal<Option<f64>>,
    /// Where the classifiers should read (the tab's select; `auto`: measured in the worker).
    pub backend: RwSignal<BackendChoice>,
    /// Where they read, and the worker's note on why (from `ReadersLoaded`).
    pub placement: RwSignal<Option<(String, Option<String>)>>,
    sent_ms: StoredValue<f64>,
    loaded: StoredValue<Option<Wanted>>,
    uploaded: StoredValue<Vec<NamedWeights>>,
    in_flight: StoredValue<bool>,
    waiting: StoredValue<Option<Vec<u8>>>,
    /// Drawings so far, and which of them the reading in flight is of.
    drawn: StoredValue<u64>,
    sent: StoredValue<u64>,
    client: StoredValue<Option<WorkerClient>, LocalStorage>,
}

impl Default for Playground {
    fn default() -> Self {
        Self::new()
    }
}

impl Playground {
    /// Spawns nothing until the tab is shown.
    pub fn new() -> Self {
        Self {
            readers: RwSignal::new(Vec::new()),
            failed: RwSignal::new(Vec::new()),
            loading: RwSignal::new(false),
            message: RwSignal::new(None),
            digit: RwSignal::new(None),
            readings: RwSignal::new(Vec::new()),
            current: RwSignal::new(true),
            latency_ms: RwSignal::new(None),
            backend: RwSignal::new(BackendChoice::Auto),
            placement: RwSignal::new(None),
            insight: RwSignal::new(None),
            denoiser: RwSignal::new(None),
            noise_level: RwSignal::new(DEFAULT_NOISE),
            denoised: RwSignal::new(None),
            sent_ms: StoredValue::new(0.0),
            loaded: StoredValue::new(None),
            uploaded: StoredValue::new(Vec::new()),
            in_flight: StoredValue::new(false),
            waiting: StoredValue::new(None),
            drawn: StoredValue::new(0),
            sent: StoredValue::new(0),
            client: StoredValue::new_local(None),
        }
    }

    /// What should be loaded for `dataset` (tracked): the latest P2 run's MLP and the best
    /// P2D network (by test accuracy) among the kept runs with a model, the kept CNN, and
    /// the uploads.
    pub fn wanted(&self, kept: &Kept, stored: &StoredCnn, dataset: Option<&DatasetId>) -> Wanted {
        let models = kept.models.get();
        let mut wanted = Wanted { cnn: stored.info.with(|i| i.as_ref().map(|i| i.describe())), ..Wanted::default() };
        if let Some(dataset) = dataset {
            kept.records.with(|records| {
                let with_model = || records.values().filter(|r| r.dataset == *dataset && models.contains(&r.key()));
                let classifier = |r: &crate::experiment::record::RunRecord| match &r.outcome {
                    Outcome::Classifier(result) => Some(result.clone()),
                    Outcome::Denoiser(_) => None,
                };
                let p2 = with_model().filter(|r| r.experiment() == ExperimentId::P2).max_by(|a, b| a.saved_at_ms.total_cmp(&b.saved_at_ms));
                if let Some(record) = p2 {
                    wanted.kept.push((record.key(), "P2 · MLP 784-64-64-10".into()));
                }
                let best = with_model()
                    .filter(|r| r.experiment() == ExperimentId::P2d)
                    .filter_map(|r| classifier(r).map(|result| (r.key(), result)))
                    .max_by(|a, b| a.1.test_accuracy.total_cmp(&b.1.test_accuracy));
                if let Some((key, result)) = best {
                    wanted.kept.push((key, format!("P2D · best network (l2 {})", result.config.model.l2())));
                }
                let p4 = with_model().filter(|r| r.experiment() == ExperimentId::P4).max_by(|a, b| a.saved_at_ms.total_cmp(&b.saved_at_ms));
                wanted.denoiser = p4.map(|r| (r.key(), "P4 · denoising autoencoder".to_string()));
            });
        }
        wanted.uploaded = self.uploaded.with_value(|u| u.iter().map(|m| m.name.clone()).collect());
        wanted.backend = self.backend.get();
        wanted
    }

    /// Loads `wanted` into the worker unless it is what the worker holds.
    pub fn load(&self, kept: Kept, wanted: Wanted) {
        if self.loaded.with_value(|l| l.as_ref() == Some(&wanted)) {
            return;
        }
        self.loaded.set_value(Some(wanted.clone()));
        self.loading.set(true);
        self.placement.set(None);
        let this = *self;
        spawn_local(async move {
            let mut models = Vec::new();
            let mut failed = Vec::new();
            for (key, name) in &wanted.kept {
                match kept.load_model(key).await {
                    Ok(weights) => models.push(NamedWeights { name: name.clone(), weights }),
                    Err(e) => failed.push(format!("{name}: {e}")),
                }
            }
            let mut denoiser = None;
            if let Some((key, name)) = &wanted.denoiser {
                match kept.load_model(key).await {
                    Ok(weights) => denoiser = Some(NamedWeights { name: name.clone(), weights }),
                    Err(e) => failed.push(format!("{name}: {e}")),
                }
            }
            this.failed.set(failed);
            let input = WorkerInput::LoadReaders { models, kept_cnn: wanted.cnn.is_some(), uploaded: this.uploaded.get_value(), denoiser, backend: wanted.backend };
            if let Err(e) = this.client().start(input) {
                this.loading.set(false);
                this.message.set(Some(format!("the playground's worker did not start: {e}")));
            }
        });
    }

    /// Adds an uploaded model (read in the worker; refused there with the reason).
    pub fn upload(&self, kept: Kept, name: String, weights: Vec<u8>, wanted: Wanted) {
        self.message.set(None);
        self.uploaded.update_value(|u| {
            u.retain(|m| m.name != name);
            u.push(NamedWeights { name: name.clone(), weights });
        });
        let wanted = Wanted { uploaded: self.uploaded.with_value(|u| u.iter().map(|m| m.name.clone()).collect()), ..wanted };
        self.load(kept, wanted);
    }

    /// A new drawing (`None`: the pad is empty): shown at once, read when the worker is free.
    pub fn set_digit(&self, digit: Option<Vec<u8>>) {
        self.digit.set(digit.clone());
        self.insight.set(None);
        self.denoised.set(None);
        self.drawn.update_value(|n| *n += 1);
        match digit {
            None => {
                self.waiting.set_value(None);
                self.readings.set(Vec::new());
                self.current.set(true);
            }
            Some(pixels) => {
                self.current.set(false);
                self.waiting.set_value(Some(pixels));
                self.pump();
            }
        }
    }

    /// Sends the waiting drawing if nothing is in flight and the classifiers are loaded.
    fn pump(&self) {
        if self.in_flight.get_value() || self.loading.get_untracked() || self.readers.with_untracked(Vec::is_empty) {
            return;
        }
        let Some(pixels) = self.waiting.try_update_value(Option::take).flatten() else { return };
        match self.client().send(&WorkerInput::ReadDigit { pixels }) {
            Ok(true) => {
                self.in_flight.set_value(true);
                self.sent.set_value(self.drawn.get_value());
                self.sent_ms.set_value(crate::web::now_ms());
            }
            Ok(false) => {}
            Err(e) => self.message.set(Some(e)),
        }
    }

    /// Once the readings are current and nothing else is in flight or waiting, asks for
    /// what is still missing of the drawing: the CNN's saliency and feature maps (if a CNN
    /// is loaded), then the drawing noised and denoised (if an autoencoder is).
    fn follow_up(&self) {
        if self.in_flight.get_value() || self.waiting.with_value(Option::is_some) {
            return;
        }
        let Some(pixels) = self.digit.get_untracked() else { return };
        let cnn = self.readers.with_untracked(|r| r.iter().any(|r| r.looks_inside));
        let input = if cnn && self.insight.with_untracked(Option::is_none) {
            WorkerInput::LookInside { pixels }
        } else if self.denoiser.with_untracked(Option::is_some) && self.denoised.with_untracked(Option::is_none) {
            // One noise draw per drawing and level, so the slider's figure is reproducible.
            WorkerInput::Denoise { pixels, level: self.noise_level.get_untracked(), seed: 1 }
        } else {
            return;
        };
        if let Ok(true) = self.client().send(&input) {
            self.in_flight.set_value(true);
        }
    }

    /// The denoising slider moved.
    pub fn set_noise_level(&self, level: f64) {
        self.noise_level.set(level.clamp(0.0, 1.0));
        self.denoised.set(None);
        self.follow_up();
    }

    fn client(&self) -> WorkerClient {
        if let Some(client) = self.client.get_value() {
            return client;
        }
        let this = *self;
        let client = WorkerClient::new(move |event| this.on_event(event));
        self.client.set_value(Some(client.clone()));
        client
    }

    fn on_event(&self, event: WorkerEvent) {
        match event {
            WorkerEvent::Output(WorkerOutput::ReadersLoaded { loaded, denoiser, failed, backend, note }) => {
                self.loading.set(false);
                self.placement.set(Some((backend, note)));
                self.denoiser.set(denoiser);
                self.insight.set(None);
                self.denoised.set(None);
                self.failed.update(|f| f.extend(failed));
                self.readers.set(loaded);
                self.readings.set(Vec::new());
                // Read the drawing on the pad with the new classifiers.
                if let Some(digit) = self.digit.get_untracked() {
                    self.current.set(false);
                    self.waiting.set_value(Some(digit));
                }
                self.pump();
            }
            WorkerEvent::Output(WorkerOutput::Read(readings)) => {
                self.in_flight.set_value(false);
                self.latency_ms.set(Some(crate::web::now_ms() - self.sent_ms.get_value()));
                if self.digit.with_untracked(Option::is_some) {
                    self.readings.set(readings);
                    self.current.set(self.sent.get_value() == self.drawn.get_value());
                }
                self.pump();
                // The pen rests (nothing newer waits): look inside, once per drawing.
                self.follow_up();
            }
            WorkerEvent::Output(WorkerOutput::Insight(insight)) => {
                self.in_flight.set_value(false);
                if self.digit.with_untracked(Option::is_some) && self.waiting.with_value(Option::is_none) {
                    self.insight.set(insight);
                }
                self.pump();
                self.follow_up();
            }
            WorkerEvent::Output(WorkerOutput::Denoised(drawing)) => {
                self.in_flight.set_value(false);
                let current = self.waiting.with_value(Option::is_none) && (drawing.level - self.noise_level.get_untracked()).abs() < 1e-9;
                if self.digit.with_untracked(Option::is_some) && current {
                    self.denoised.set(Some(*drawing));
                }
                self.pump();
                self.follow_up();
            }
            WorkerEvent::Output(WorkerOutput::RequestFailed(why) | WorkerOutput::Error(why)) => {
                self.in_flight.set_value(false);
                self.message.set(Some(why));
            }
            WorkerEvent::Output(_) => {}
            WorkerEvent::Crashed(why) | WorkerEvent::Failed(why) => {
                // The next load spawns a fresh worker; the drawing stays on the pad.
                self.in_flight.set_value(false);
                self.loading.set(false);
                self.loaded.set_value(None);
                self.readers.set(Vec::new());
                self.readings.set(Vec::new());
                self.current.set(true);
                self.message.set(Some(format!("the playground's worker stopped ({why}); switch tabs and back to start it again")));
            }
        }
    }

    /// Lets the worker go (the tab is hidden); the next visit loads again.
    pub fn shut_down(&self) {
        if let Some(client) = self.client.get_value() {
            client.shutdown();
        }
        self.loaded.set_value(None);
        self.in_flight.set_value(false);
        self.readers.set(Vec::new());
        self.readings.set(Vec::new());
        self.current.set(true);
        self.denoiser.set(None);
        self.insight.set(None);
        self.denoised.set(None);
    }
}
