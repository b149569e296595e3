//! Problem 4's tab: salt-and-pepper noise and the denoising autoencoder, trained in a
//! worker of its own. When no trained CNN is kept in the browser, Train first trains P3's
//! CNN (for 4C and 4D) in the same worker, then the autoencoder. The finished run's 4B grid
//! ([`figures`], with 4A's diagram), 4C table and chart ([`denoising`]) and 4D digits
//! ([`generated`]) are drawn beside the seed's [`answers`]; re-noising other digits and
//! sampling or interpolating new ones ask the worker, which keeps the models.

pub mod answers;
pub mod denoising;
pub mod figures;
pub mod generated;

use std::time::Duration;

use leptos::prelude::*;

use answers::{Answer4A, Answer4B, Answer4C, Answer4D};
use crate::ui::charts::LossChart;
use crate::ui::components::controls::RunControls;
use crate::ui::components::later::AfterNextFrame;
use crate::ui::components::model_table::ModelSummaryTable;
use denoising::{DenoiseChart, DenoiseTable};
use figures::{AutoencoderDiagram, NoiseGridView, P4Results};
use generated::GeneratedDigits;
use crate::ui::kept_view::{KeptNote, ResumeOffer};
use crate::ui::components::progress::{EpochLog, RunProgress};
use crate::ui::state::RunState;
use crate::ui::tabs::cnn::stored_cnn::{StoredCnn, StoredCnnCard};
use crate::ui::run_controller::RunController;
use crate::ui::worker_client::WorkerEvent;
use crate::ui::components::controls::commit;
use crate::experiment::p4::{self, Generated, Generation, LossEpoch, NoiseGrid, P4Result};
use crate::experiment::PageQuery;
use crate::model::summary::autoencoder_summary;
use crate::protocol::{CnnStage, WorkerInput, WorkerOutput};

/// Where the run's CNN (for 4C and 4D) comes from: the visitor's choice in the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CnnChoice {
    /// The CNN kept in this browser (trained in P3, or uploaded).
    Kept,
    /// P3's CNN trained first, in the same run, for the form's epochs.
    TrainFirst,
}

/// P4's run ([`RunController`]), its CNN choice, and what the worker answered.
#[derive(Clone, Copy)]
pub struct P4Run {
    /// The P4 query, edited by the tab's controls.
    pub query: RwSignal<PageQuery>,
    pub run: RunState,
    pub ctl: RunController,
    /// `None`: the default, the kept CNN if there is one, else train one first.
    pub cnn_choice: RwSignal<Option<CnnChoice>>,
    /// Keep a CNN trained as the run's first stage (replacing the kept one).
    pub keep_trained_cnn: RwSignal<bool>,
    /// What the worker answered: the run's result and the 4B/4D figures.
    pub out: P4Outputs,
    pub stored: StoredCnn,
}

impl P4Run {
    pub fn new(query: RwSignal<PageQuery>, data_url: String, stored: StoredCnn) -> Self {
        let out = P4Outputs {
            result: RwSignal::new(None),
            model: RwSignal::new(None),
            grid: RwSignal::new(None),
            sampled: RwSignal::new(None),
            interpolated: RwSignal::new(None),
            request_error: RwSignal::new(None),
            pending: RwSignal::new(false),
            stored,
        };
        let ctl = RunController::new(query, data_url, move |ctl, event| out.on_event(ctl.run, event));
        Self {
            query,
            run: ctl.run,
            ctl,
            cnn_choice: RwSignal::new(query.with_untracked(|q| q.cnn_epochs.map(|_| CnnChoice::TrainFirst))),
            keep_trained_cnn: RwSignal::new(query.with_untracked(|q| q.keep_cnn)),
            out,
            stored,
        }
    }

    /// Shows a P4 run kept by an earlier visit. Its autoencoder is not in a worker, so 4B
    /// and 4D show the kept figures and ask for a run before drawing others.
    pub fn restore(&self, result: P4Result, saved_at_ms: f64) {
        let history = result.history.iter().map(LossEpoch::as_epoch_metrics).collect();
        self.run.show_kept(result.config.clone(), history, &result.backend, saved_at_ms);
        self.out.grid.set(Some(result.grid.clone()));
        self.out.sampled.set(Some(result.sampled.clone()));
        self.out.interpolated.set(Some(result.interpolated.clone()));
        self.out.result.set(Some(result));
    }

    pub fn busy(&self) -> bool {
        self.run.is_running()
    }

    /// The CNN choice in effect (tracked): the visitor's, else the kept CNN if any.
    pub fn effective_choice(&self) -> CnnChoice {
        self.cnn_choice.get().unwrap_or(if self.stored.info.with(Option::is_some) { CnnChoice::Kept } else { CnnChoice::TrainFirst })
    }

    /// Trains (P3's CNN first, if so chosen, then) the autoencoder; nothing if running.
    pub fn start(&self) {
        if self.run.is_running_untracked() {
            return;
        }
        self.out.result.set(None);
        // Before the kept CNN has been looked up (a run started with the page), the worker
        // uses whatever is kept, rather than the page guessing that none is.
        let unknown = self.cnn_choice.get_untracked().is_none() && !self.stored.checked.get_untracked();
        let choice = if unknown { CnnChoice::Kept } else { untrack(|| self.effective_choice()) };
        let cnn = (choice == CnnChoice::TrainFirst).then(|| {
            let query = self.query.get_untracked();
            CnnStage { config: p4::cnn_stage_config(&query.config, query.cnn_epochs), keep: self.keep_trained_cnn.get_untracked() }
        });
        self.ctl.start(cnn, false);
    }

    /// A 4B/4D request to the worker that holds the trained models.
    pub fn request(&self, input: WorkerInput) {
        if self.run.is_running_untracked() || self.out.pending.get_untracked() {
            return;
        }
        if self.run.restored.get_untracked().is_some() {
            self.out.request_error.set(Some("this P4 run was kept by an earlier visit and its autoencoder is not loaded: train P4 again to draw other digits".into()));
            return;
        }
        self.out.pending.set(true);
        if let Err(e) = self.ctl.request(input) {
            self.out.pending.set(false);
            self.out.request_error.set(Some(e));
        }
    }
}

/// What P4's worker answers besides the run's progress.
#[derive(Clone, Copy)]
pub struct P4Outputs {
    pub result: RwSignal<Option<P4Result>>,
    /// The trained autoencoder (a weights file) the worker sent with `result`.
    pub model: RwSignal<Option<Vec<u8>>>,
    /// The 4B grid shown (the run's, or a re-noised one).
    pub grid: RwSignal<Option<NoiseGrid>>,
    pub sampled: RwSignal<Option<Generated>>,
    pub interpolated: RwSignal<Option<Generated>>,
    /// Why the last 4B/4D request failed.
    pub request_error: RwSignal<Option<String>>,
    /// A 4B/4D request is being answered.
    pub pending: RwSignal<bool>,
    stored: StoredCnn,
}

impl P4Outputs {
    /// Shows no P4 figures.
    pub fn clear(&self) {
        self.result.set(None);
        self.model.set(None);
        self.grid.set(None);
        self.sampled.set(None);
        self.interpolated.set(None);
        self.request_error.set(None);
    }

    fn on_event(self, run: RunState, event: WorkerEvent) {
        let WorkerEvent::Output(output) = event else { return run.apply(event) };
        match output {
            WorkerOutput::ModelStored { stored, description } => {
                self.stored.refresh();
                if !stored {
                    self.stored.message.set(Some(format!("the CNN could not be kept ({description})")));
                }
            }
            WorkerOutput::P4Done { result, weights } => {
                if !run.is_running_untracked() {
                    return;
                }
                // Before the result: what keeps the result reads the model with it.
                self.model.set(weights.map(serde_bytes::ByteBuf::into_vec));
                let (grid, sampled, interpolated) = (result.grid.clone(), result.sampled.clone(), result.interpolated.clone());
                if run.history.with_untracked(|h| h.len() < result.history.len()) {
                    run.history.set(result.history.iter().map(LossEpoch::as_epoch_metrics).collect());
                }
                self.result.set(Some(*result));
                run.finish();
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
            other => run.apply(WorkerEvent::Output(other)),
        }
    }
}

/// The CNN stage as a choice in the form: the kept CNN, or train one first (its epochs,
/// and whether to keep it).
#[component]
fn CnnChoiceFields(p4: P4Run) -> impl IntoView {
    let running = Signal::derive(move || p4.run.is_running());
    let has_kept = move || p4.stored.info.with(Option::is_some);
    let choice = move || p4.effective_choice();
    let epochs_error = RwSignal::new(None::<String>);
    let epochs = move || p4.query.with(|q| q.cnn_epochs.unwrap_or(crate::experiment::RunConfig::p3().schedule.epochs)).to_string();
    view! {
        <fieldset class="field cnn-choice" data-testid="cnn-choice">
            <legend class="label">"CNN for 4C and 4D"</legend>
            <label class="radio">
                <input type="radio" name="cnn" value="kept" data-testid="cnn-kept"
                    prop:checked=move || choice() == CnnChoice::Kept
                    disabled=move || running.get() || !has_kept()
                    on:change=move |_| p4.cnn_choice.set(Some(CnnChoice::Kept)) />
                {move || if has_kept() { " the kept CNN" } else { " the kept CNN (none is kept)" }}
            </label>
            <label class="radio">
                <input type="radio" name="cnn" value="train" data-testid="cnn-train"
                    prop:checked=move || choice() == CnnChoice::TrainFirst
                    disabled=running
                    on:change=move |_| p4.cnn_choice.set(Some(CnnChoice::TrainFirst)) />
                " train P3's CNN first, for"
            </label>
            <span class="inline-field">
                <input type="text" inputmode="decimal" id="field-cnn_epochs" name="cnn_epochs" data-testid="input-cnn_epochs"
                    aria-label="epochs of the CNN trained first" size="4"
                    prop:value=epochs
                    disabled=move || running.get() || choice() != CnnChoice::TrainFirst
                    class:invalid=move || epochs_error.with(Option::is_some)
                    aria-invalid=move || epochs_error.with(Option::is_some).to_string()
                    on:change=move |ev| epochs_error.set(commit(p4.query, "cnn_epochs", &event_target_value(&ev)).err()) />
                " epochs (seed: 40)"
            </span>
            <label class="radio">
                <input type="checkbox" data-testid="keep-trained-cnn"
                    prop:checked=move || p4.keep_trained_cnn.get()
                    disabled=move || running.get() || choice() != CnnChoice::TrainFirst
                    on:change=move |ev| {
                        let keep = event_target_checked(&ev);
                        p4.keep_trained_cnn.set(keep);
                        let _ = commit(p4.query, "keep_cnn", if keep { "1" } else { "0" });
                    } />
                " keep it in this browser afterwards (replaces the kept one)"
            </label>
            <span class="hint">{move || epochs_error.get().unwrap_or_else(|| "or upload a CNN in the card below".into())}</span>
        </fieldset>
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
) -> impl IntoView {
    let run = p4.run;
    let query = p4.query;
    // The loss chart is the autoencoder's: not the CNN's epochs of a first stage.
    let ae_history = Signal::derive(move || {
        if run.config.with(|c| c.as_ref().is_none_or(|c| c.experiment == crate::experiment::ExperimentId::P4)) { run.history.get() } else { Vec::new() }
    });
    let chart_epochs = Signal::derive(move || query.with(|q| q.config.schedule.epochs));
    let result: Signal<Option<P4Result>> = p4.out.result.into();
    view! {
        <h2>"Problem 4 — noise, and an autoencoder that removes it"</h2>
        <RunControls ctl=p4.ctl data_ready=data_ready blocked=blocked on_train=on_train>
            <CnnChoiceFields p4=p4 />
        </RunControls>
        <ResumeOffer id=crate::experiment::ExperimentId::P4 />
        <RunProgress run=run />
        <EpochLog run=run />
        <p class="lede-small">
            "The seed's salt-and-pepper noise replaces a given fraction of the pixels, half with white and half with black. "
            "A dense autoencoder 784 → 128 → 96 → 128 → 784 learns to map digits noised at 0.4 back to the clean ones "
            "(Adam, binary cross-entropy, batch 64, 32 epochs, validated on the noised test digits)."
        </p>
        <AfterNextFrame>
            <div class="two-col">
                <div>
                    <h3>"4A · the model"</h3>
                    <AutoencoderDiagram />
                    <ModelSummaryTable summary=autoencoder_summary() />
                </div>
                <Answer4A />
            </div>
            <h3>"The CNN kept for 4C and 4D"</h3>
            <StoredCnnCard stored=p4.stored busy=Signal::derive(move || run.is_running()) />
            <div class="chart-grid">
                <LossChart history=ae_history epochs=chart_epochs seed=&crate::experiment::seed::P4_CURVES y_desc="Loss (binary cross-entropy)" name="p4-loss" />
                <P4Results result=result />
            </div>
            <KeptNote run=run on_clear=Callback::new(move |_| p4.out.clear()) />
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
        </AfterNextFrame>
    }
}
