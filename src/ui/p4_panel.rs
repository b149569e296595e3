//! Problem 4's tab: salt-and-pepper noise and the denoising autoencoder, trained in a
//! worker of its own. When no trained CNN is kept in the browser, Train first trains P3's
//! CNN (for 4C and 4D) in the same worker, then the autoencoder. The finished run's 4B grid,
//! 4C table and 4D digits are drawn by [`p4_figures`](super::p4_figures); re-noising other
//! digits and sampling or interpolating new ones ask the worker, which keeps the models.

use std::time::Duration;

use leptos::prelude::*;

use super::answers::{Answer4A, Answer4B, Answer4C, Answer4D};
use super::charts::LossChart;
use super::controls::RunControls;
use super::model_table::ModelSummaryTable;
use super::p4_figures::{AutoencoderDiagram, DenoiseChart, DenoiseTable, GeneratedDigits, NoiseGridView, P4Results};
use super::progress::{EpochLog, RunProgress};
use super::state::RunState;
use super::stored_cnn::{StoredCnn, StoredCnnCard};
use super::worker_client::{CancelOutcome, WorkerClient, WorkerEvent};
use crate::experiment::p4::{self, Generated, Generation, NoiseGrid, P4Result};
use crate::experiment::{PageQuery, RunConfig};
use crate::model::summary::autoencoder_summary;
use crate::protocol::{WorkerInput, WorkerOutput};

/// Which network the P4 run is training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum P4Stage {
    /// P3's CNN, because none was stored.
    Cnn,
    Autoencoder,
}

/// P4's run, its worker, and what the worker answered.
#[derive(Clone, Copy)]
pub struct P4Run {
    /// The P4 query, edited by the tab's controls.
    pub query: RwSignal<PageQuery>,
    pub run: RunState,
    pub stage: RwSignal<P4Stage>,
    pub result: RwSignal<Option<P4Result>>,
    /// The 4B grid shown (the run's, or a re-noised one).
    pub grid: RwSignal<Option<NoiseGrid>>,
    pub sampled: RwSignal<Option<Generated>>,
    pub interpolated: RwSignal<Option<Generated>>,
    /// Why the last 4B/4D request failed.
    pub request_error: RwSignal<Option<String>>,
    /// A 4B/4D request is being answered.
    pub pending: RwSignal<bool>,
    pub stored: StoredCnn,
    client: StoredValue<Option<WorkerClient>, LocalStorage>,
    data_url: StoredValue<String>,
}

impl P4Run {
    pub fn new(query: RwSignal<PageQuery>, data_url: String, stored: StoredCnn) -> Self {
        let this = Self {
            query,
            run: RunState::new(),
            stage: RwSignal::new(P4Stage::Autoencoder),
            result: RwSignal::new(None),
            grid: RwSignal::new(None),
            sampled: RwSignal::new(None),
            interpolated: RwSignal::new(None),
            request_error: RwSignal::new(None),
            pending: RwSignal::new(false),
            stored,
            client: StoredValue::new_local(None),
            data_url: StoredValue::new(data_url),
        };
        let client = WorkerClient::new(move |event| this.on_event(event));
        this.client.set_value(Some(client));
        this
    }

    fn on_event(self, event: WorkerEvent) {
        let WorkerEvent::Output(output) = event else { return self.run.apply(event) };
        match output {
            WorkerOutput::ModelStored { stored, description } => {
                self.stored.refresh();
                if !stored {
                    self.stored.message.set(Some(format!("the CNN could not be kept ({description}); 4C and 4D need it")));
                }
            }
            // The CNN is trained (and kept): now the autoencoder, in the same run.
            WorkerOutput::Done(_) if self.stage.get_untracked() == P4Stage::Cnn && self.run.is_running_untracked() => self.start_autoencoder(),
            WorkerOutput::P4Done(result) => {
                if !self.run.is_running_untracked() {
                    return;
                }
                let (grid, sampled, interpolated) = (result.grid.clone(), result.sampled.clone(), result.interpolated.clone());
                if self.run.history.with_untracked(|h| h.len() < result.history.len()) {
                    self.run.history.set(result.history.iter().map(|e| crate::experiment::EpochMetrics { epoch: e.epoch, loss: e.loss, accuracy: f64::NAN, val_loss: e.val_loss, val_accuracy: f64::NAN, seconds: e.seconds }).collect());
                }
                self.result.set(Some(*result));
                self.run.finish();
                // The 4B grid and the 4D digits are drawn in tasks of their own: drawn with
                // the rest in one task they kept the main thread busy for 67-100 ms.
                set_timeout(move || self.grid.set(Some(grid)), Duration::ZERO);
                set_timeout(
                    move || {
                        self.sampled.set(Some(sampled));
                        self.interpolated.set(Some(interpolated));
                    },
                    Duration::ZERO,
                );
            }
            WorkerOutput::NoiseGrid(grid) => {
                self.pending.set(false);
                self.request_error.set(None);
                self.grid.set(Some(grid));
            }
            WorkerOutput::Generated(generated) => {
                self.pending.set(false);
                self.request_error.set(None);
                match generated.how {
                    Generation::Sampled { .. } => self.sampled.set(Some(generated)),
                    Generation::Interpolated { .. } => self.interpolated.set(Some(generated)),
                }
            }
            WorkerOutput::RequestFailed(reason) => {
                self.pending.set(false);
                self.request_error.set(Some(reason));
            }
            other => self.run.apply(WorkerEvent::Output(other)),
        }
    }

    fn post(&self, input: WorkerInput) -> Result<(), String> {
        self.client.with_value(|c| c.as_ref().map_or(Err("the P4 worker is not set up".to_string()), |c| c.start(input)))
    }

    pub fn busy(&self) -> bool {
        self.run.is_running()
    }

    /// Trains (P3's CNN first if none is stored, then) the autoencoder; nothing if running.
    pub fn start(&self) {
        if self.run.is_running_untracked() {
            return;
        }
        let query = self.query.get_untracked();
        if self.stored.info.with_untracked(Option::is_none) {
            let cnn = RunConfig {
                epochs: query.cnn_epochs.unwrap_or(query.config.epochs),
                seed: query.config.seed,
                train_size: query.config.train_size,
                test_size: query.config.test_size,
                ..RunConfig::p3()
            };
            self.stage.set(P4Stage::Cnn);
            self.run.begin(cnn.clone());
            self.run.phase.set(Some("step 1 of 2: training P3's CNN for 4C and 4D (none is stored)".into()));
            if let Err(e) = self.post(WorkerInput::Start { config: cnn, backend: query.backend, data_url: self.data_url.get_value() }) {
                self.run.fail(e);
            }
        } else {
            self.start_autoencoder();
        }
    }

    fn start_autoencoder(&self) {
        let query = self.query.get_untracked();
        let from_cnn = self.stage.get_untracked() == P4Stage::Cnn && self.run.is_running_untracked();
        self.stage.set(P4Stage::Autoencoder);
        self.result.set(None);
        self.run.begin(query.config.clone());
        self.run.phase.set(Some(if from_cnn { "step 2 of 2: the autoencoder" } else { "training the autoencoder" }.into()));
        if let Err(e) = self.post(WorkerInput::Start { config: query.config, backend: query.backend, data_url: self.data_url.get_value() }) {
            self.run.fail(e);
        }
    }

    pub fn cancel(&self) {
        let outcome = self.client.with_value(|c| c.as_ref().map(WorkerClient::cancel));
        match outcome {
            Some(Ok(CancelOutcome::Posted)) => self.run.phase.set(Some("cancelling after the current step…".into())),
            Some(Ok(CancelOutcome::DroppedQueuedStart | CancelOutcome::Nothing)) | None => self.run.cancelled_before_start(),
            Some(Err(e)) => self.run.fail(e),
        }
    }

    /// A 4B/4D request to the worker that holds the trained models.
    pub fn request(&self, input: WorkerInput) {
        if self.run.is_running_untracked() || self.pending.get_untracked() {
            return;
        }
        self.pending.set(true);
        if let Err(e) = self.post(input) {
            self.pending.set(false);
            self.request_error.set(Some(e));
        }
    }

    pub fn warm_up(&self) {
        if let Some(Err(e)) = self.client.with_value(|c| c.as_ref().map(WorkerClient::ensure_live)) {
            self.run.fail(e);
        }
    }
}

/// The P4 tab's content.
#[component]
pub fn P4Panel(
    /// P4's run and worker.
    p4: P4Run,
    /// Whether the dataset is loaded (Train waits for it).
    #[prop(into)]
    data_ready: Signal<bool>,
    /// Why Train cannot start now besides the dataset (another experiment is training).
    #[prop(into)]
    blocked: Signal<Option<String>>,
    on_train: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let run = p4.run;
    let query = p4.query;
    let ae_history = Signal::derive(move || if p4.stage.get() == P4Stage::Autoencoder { run.history.get() } else { Vec::new() });
    let chart_epochs = Signal::derive(move || query.with(|q| q.config.epochs));
    let result: Signal<Option<P4Result>> = p4.result.into();
    let cnn_note = move || {
        let epochs = query.with(|q| q.cnn_epochs.unwrap_or(q.config.epochs));
        if p4.stored.info.with(Option::is_some) {
            "Train uses this CNN for 4C and 4D.".to_string()
        } else {
            format!("None is kept: Train first trains P3's CNN ({epochs} epoch(s) on the same training images; the URL's cnn_epochs sets it, the seed's P3 used 40), keeps it, then trains the autoencoder. Training it in the P3 tab, or uploading one, skips that step.")
        }
    };
    view! {
        <h2>"Problem 4 — noise, and an autoencoder that removes it"</h2>
        <p class="lede-small">
            "The seed's salt-and-pepper noise replaces a given fraction of the pixels, half with white and half with black. "
            "A dense autoencoder 784 → 128 → 96 → 128 → 784 learns to map digits noised at 0.4 back to the clean ones "
            "(Adam, binary cross-entropy, batch 64, 32 epochs, validated on the noised test digits)."
        </p>
        <div class="two-col">
            <div>
                <h3>"4A · the model"</h3>
                <AutoencoderDiagram />
                <ModelSummaryTable summary=autoencoder_summary() />
            </div>
            <Answer4A />
        </div>
        <h3>"The CNN for 4C and 4D"</h3>
        <StoredCnnCard stored=p4.stored busy=Signal::derive(move || run.is_running()) />
        <p class="muted small">{cnn_note}</p>
        <h3>"Train it"</h3>
        <RunControls query=query run=run data_ready=data_ready blocked=blocked on_train=on_train on_cancel=on_cancel />
        <RunProgress run=run />
        <h3>"Epoch log"</h3>
        <EpochLog run=run />
        <div class="chart-grid">
            <LossChart history=ae_history epochs=chart_epochs seed=&p4::seed::CURVES y_desc="Loss (binary cross-entropy)" />
            <P4Results result=result />
        </div>
        <p class="muted small">"Dashed: the seed notebook's 32 epochs (its printed log skips epochs 16 and 17)."</p>
        <h3>"4B · noised and denoised digits"</h3>
        <NoiseGridView p4=p4 />
        <Answer4B />
        <h3>"4C · the CNN on noised and on denoised test digits"</h3>
        <div class="two-col">
            <DenoiseTable result=result />
            <DenoiseChart result=result />
        </div>
        <Answer4C />
        <h3>"4D · new digits from the latent space"</h3>
        <GeneratedDigits p4=p4 />
        <Answer4D />
    }
}
