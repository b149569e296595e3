//! Problem 2's tab: the 64-64 MLP, its controls, progress, log, charts and results, and the
//! seed's answers 2A to 2C.

use leptos::prelude::*;

use crate::ui::charts::{AccuracyChart, LossChart};
use crate::ui::components::controls::RunControls;
use crate::ui::components::later::AfterNextFrame;
use crate::ui::components::model_table::ModelSummaryTable;
use crate::ui::components::progress::{EpochLog, RunProgress};
use crate::ui::kept_view::{KeptNote, ResumeOffer};
use crate::ui::components::results::Results;
use crate::ui::components::seed_answer::SeedAnswer;
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
        run.config.with(|c| c.as_ref().map(|c| c.schedule.epochs)).unwrap_or_else(|| query.with(|q| q.config.schedule.epochs))
    });
    view! {
        <h2>"Problem 2 — a multi-layer perceptron"</h2>
        <RunControls ctl=ctl data_ready=data_ready blocked=blocked on_train=on_train />
        <ResumeOffer id=crate::experiment::ExperimentId::P2 />
        <RunProgress run=run />
        <EpochLog run=run />
        <AfterNextFrame>
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
        </AfterNextFrame>
    }
}

/// Problem 2A: the network's layers, neurons, activations and parameter count.
#[component]
pub fn Answer2A() -> impl IntoView {
    view! {
        <SeedAnswer title="Answer 2A — the network">
            <ul>
                <li>
                    "Four layers (three if the input is not counted): a " <code>"Flatten"</code>
                    " input of 28 × 28 → 784 neurons, two hidden " <code>"Dense"</code>
                    " layers of 64 neurons with ReLU, and a " <code>"Dense"</code> " output of 10 neurons with softmax."
                </li>
                <li>
                    <strong>"ReLU"</strong> " " <code>"f(x) = max(0, x)"</code> ": its gradient is 1 for x > 0, so "
                    "no vanishing gradient and fast convergence; negative inputs give 0, a sparse network "
                    "that is less prone to overfitting."
                </li>
                <li>
                    <strong>"Softmax"</strong> " maps the 10 outputs to probabilities in (0, 1) that sum to 1; "
                    "the most probable class is the prediction, which suits classification."
                </li>
                <li>
                    "Total parameters: " <strong>"55,050"</strong> " (784·64 + 64 = 50,240; 64·64 + 64 = 4,160; "
                    "64·10 + 10 = 650)."
                </li>
                <li>
                    "The input is 784 wide because each image is a 28 × 28 pixel array flattened to one "
                    "dimension; the output is 10 wide because there are ten classes (digits)."
                </li>
            </ul>
        </SeedAnswer>
    }
}

/// Problem 2B: the loss function.
#[component]
pub fn Answer2B() -> impl IntoView {
    view! {
        <SeedAnswer title="Answer 2B — the loss">
            <p>
                "Categorical cross-entropy: "
                <span class="formula">"L = −Σ" <sub>"i"</sub> " y" <sub>"i"</sub> " · log(ŷ" <sub>"i"</sub> ")"</span>
                ", summed over the 10 outputs, where " <var>"y"</var> " is the one-hot target and "
                <var>"ŷ"</var> " the softmax output."
            </p>
            <p>
                "It measures how different two discrete probability distributions are; the minus sign "
                "makes the loss shrink as they get closer. Each example belongs to one class with "
                "probability 1, so the network learns to give the correct digit a high probability and "
                "the others a low one — the natural partner of a softmax output for multi-class problems."
            </p>
        </SeedAnswer>
    }
}

/// Problem 2C: the training and validation accuracy plot.
#[component]
pub fn Answer2C() -> impl IntoView {
    view! {
        <SeedAnswer title="Answer 2C — the plot">
            <p>
                "The seed plots " <code>"fit_info.history['accuracy']"</code> " and "
                <code>"['val_accuracy']"</code> " per epoch (\"The training and validation accuracy for each "
                "epoch\", legend Train / Validation) and leaves the figure without comment. Its curves are "
                "drawn dashed in the chart, from its training log: training accuracy 0.8651 → 0.9799 and "
                "validation accuracy 0.9268 → 0.9702 over 10 epochs."
            </p>
        </SeedAnswer>
    }
}
