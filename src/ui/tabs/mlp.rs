//! Problem 2's tab: the 64-64 MLP, its controls, progress, log, charts and results.

use leptos::prelude::*;

use super::sweep::answers::{Answer2A, Answer2B, Answer2C};
use crate::ui::charts::{AccuracyChart, LossChart};
use crate::ui::components::controls::RunControls;
use crate::ui::components::model_table::ModelSummaryTable;
use crate::ui::components::progress::{EpochLog, RunProgress};
use crate::ui::kept_view::{KeptNote, ResumeOffer};
use crate::ui::components::results::Results;
use crate::ui::run_controller::RunController;
use crate::experiment::seed;
use crate::model::summary::mlp_summary;

/// The P2 tab's content.
#[component]
pub fn P2Panel(
    /// The P2 run, its worker and its query (the next run's setup).
    ctl: RunController,
    /// Whether the dataset is loaded (Train waits for it).
    #[prop(into)]
    data_ready: Signal<bool>,
    /// Why Train cannot start now besides the dataset (the P2D sweep is training), if so.
    #[prop(into)]
    blocked: Signal<Option<String>>,
    on_train: Callback<()>,
) -> impl IntoView {
    let (query, run) = (ctl.query, ctl.run);
    let chart_epochs = Signal::derive(move || {
        run.config.with(|c| c.as_ref().map(|c| c.epochs)).unwrap_or_else(|| query.with(|q| q.config.epochs))
    });
    view! {
        <h2>"Problem 2 — a multi-layer perceptron"</h2>
        <RunControls ctl=ctl data_ready=data_ready blocked=blocked on_train=on_train />
        <ResumeOffer id=crate::experiment::ExperimentId::P2 />
        <RunProgress run=run />
        <EpochLog run=run />
        <div class="two-col">
            <div>
                <h3>"2A · the model"</h3>
                <ModelSummaryTable summary=mlp_summary(&[64, 64]) />
                <p class="muted">
                    "Flatten → Dense(64, ReLU) → Dense(64, ReLU) → Dense(10, softmax); SGD, "
                    "categorical cross-entropy, the seed's defaults in the controls below."
                </p>
            </div>
            <Answer2A />
        </div>
        <div class="two-col">
            <div>
                <h3>"2C · accuracy per epoch"</h3>
                <AccuracyChart history=run.history epochs=chart_epochs seed=&seed::P2_CURVES name="p2-accuracy" />
            </div>
            <Answer2C />
        </div>
        <div class="two-col">
            <div>
                <h3>"2B · loss per epoch"</h3>
                <LossChart history=run.history epochs=chart_epochs seed=&seed::P2_CURVES name="p2-loss" />
            </div>
            <Answer2B />
        </div>
        <h3>"Results on the 10,000 test images"</h3>
        <Results result=run.result seed=&seed::P2_RUN />
        <KeptNote run=run />
    }
}
