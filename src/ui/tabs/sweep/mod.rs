//! Problem 2D, the weight-decay study: the 500-300 model, the sweep's controls and live
//! progress, a small accuracy curve per network, one network's training log, the seed's
//! table and four plots, and the seed's answers with this sweep's numbers.
//!
//! - [`controls`]: the sweep's setup, its buttons and live progress; [`results`]: the
//!   networks' curves and logs, the seed's table, the best network; [`charts`]: the curves
//!   and the seed's four plots; [`answers`]: the seed's answer 2D.
//! - [`plan`]: the networks a setup trains and what the view reads of each worker;
//!   [`controller`]: the [`Sweep`] that trains them over several workers.

pub mod answers;
pub mod charts;
pub mod controller;
pub mod controls;
mod events;
pub mod plan;
mod queries;
pub mod results;

use leptos::prelude::*;

pub use controller::Sweep;
pub use plan::networks_of;

use answers::{Answer2D, SeedNotes2D, SweepFigures};
use charts::{CompareChart, StatKind, StatsChart};
use controls::{SweepControls, SweepProgress};
use results::{BestNetwork, NetworkGrid, NetworkLog, SweepTable};
use crate::experiment::seed::P2D_BEST_ACCURACY;
use crate::model::summary::mlp_summary;
use crate::ui::components::later::AfterNextFrame;
use crate::ui::components::model_table::ModelSummaryTable;

/// The P2D tab's content.
#[component]
pub fn P2dPanel(
    /// The sweep (state, controller and its query).
    sweep: Sweep,
    /// Whether the dataset is loaded (Train waits for it).
    #[prop(into)]
    data_ready: Signal<bool>,
    /// Why training cannot start now besides the dataset (P2 is training), if it cannot.
    #[prop(into)]
    blocked: Signal<Option<String>>,
    /// Starts (or resumes) the sweep.
    on_train: Callback<()>,
    /// Cancels it.
    on_cancel: Callback<()>,
) -> impl IntoView {
    let spec = Signal::derive(move || sweep.query.with(|q| q.sweep.clone()));
    let stats = Signal::derive(move || sweep.stats());
    let figures = Signal::derive(move || figures(&sweep));
    view! {
        <h2>"Problem 2D — weight decay: a 500-300 network with L2 on its hidden kernels"</h2>
        <SweepControls sweep=sweep data_ready=data_ready blocked=blocked on_train=on_train on_cancel=on_cancel />
        <SweepProgress sweep=sweep />
        <p class="lede-small">
            "The seed updates the model to two hidden layers of 500 and 300 units, trains it for 40 epochs with "
            "weight decay (Keras " <code>"kernel_regularizer=l2(factor)"</code> " on both hidden layers), for five "
            "factors from 0.000001 to 0.001 and three replicate networks each — 15 networks — and compares the best "
            "with LeCun's table: 500+300 hidden units with weight decay, 1.53 % test error (0.9847)."
        </p>
        <AfterNextFrame>
            <div class="two-col">
                <div>
                    <h3>"The model"</h3>
                    <ModelSummaryTable summary=mlp_summary(&[500, 300]) />
                    <p class="muted">
                        "Flatten → Dense(500, ReLU, l2) → Dense(300, ReLU, l2) → Dense(10, softmax); SGD lr 0.1, "
                        "batch 128, 40 epochs per network: the seed's defaults in the controls below. The L2 penalty "
                        "factor · Σw² of both hidden kernels is added to the loss, as Keras does."
                    </p>
                </div>
                <SeedSweep />
            </div>
            <h3>"The networks"</h3>
            <p class="muted small">
                "Training (blue) and validation (orange) accuracy per epoch of every network, one row per factor; "
                "click one to see its training log below."
            </p>
            <NetworkGrid sweep=sweep />
            <NetworkLog sweep=sweep />
            <div class="two-col">
                <div>
                    <h3>"2D · the seed's table"</h3>
                    <SweepTable sweep=sweep />
                    <BestNetwork sweep=sweep />
                    <SeedNotes2D />
                </div>
                <Answer2D figures=figures />
            </div>
            <h3>"2D · the seed's four plots"</h3>
            <div class="chart-grid">
                <StatsChart kind=StatKind::Final stats=stats spec=spec />
                <StatsChart kind=StatKind::Mean stats=stats spec=spec />
                <StatsChart kind=StatKind::Max stats=stats spec=spec />
                <CompareChart stats=stats spec=spec />
            </div>
            <p class="muted small">
                "Error bars: ± the standard deviation over the replicates (np.std). Dashed: LeCun's table (red) and the "
                "seed notebook's best network (grey)."
            </p>
        </AfterNextFrame>
    }
}

/// What the answer quotes from this sweep.
fn figures(sweep: &Sweep) -> SweepFigures {
    let stats = sweep.stats();
    let best = sweep.best().map(|(n, accuracy)| (n.factor, accuracy, format!("network {} of {}, replicate {}", n.index + 1, n.total, n.replicate + 1)));
    let best_mean = stats.iter().max_by(|a, b| a.mean.total_cmp(&b.mean)).map(|s| (s.factor, s.mean, s.replicates));
    let spread: Vec<f64> = stats.iter().filter(|s| s.replicates >= 2).map(|s| s.std).collect();
    let std_range = (!spread.is_empty()).then(|| (spread.iter().copied().fold(f64::MAX, f64::min), spread.iter().copied().fold(f64::MIN, f64::max)));
    let means: Vec<f64> = stats.iter().map(|s| s.mean).collect();
    let mean_spread = (means.len() >= 2).then(|| means.iter().copied().fold(f64::MIN, f64::max) - means.iter().copied().fold(f64::MAX, f64::min));
    SweepFigures { best, best_mean, std_range, mean_spread, finished: sweep.finished_count(), total: sweep.plan.with(Vec::len) }
}

/// The seed's sweep as its notebook ran it (beside the model).
#[component]
fn SeedSweep() -> impl IntoView {
    view! {
        <aside class="seed-answer">
            <h4>"The seed's sweep" <span class="muted">" · from the seed notebook"</span></h4>
            <pre class="inline small">"regularization_factor = [0.000001, 0.00001,\n                         0.0001, 0.0005, 0.001]\nfor i in regularization_factor:\n    for j in range(0, 3):\n        model_fit.append(weight_decay_model(i))"</pre>
            <p>
                "Each network: SGD(learning_rate=0.1), batch 128, 40 epochs, validated on the 10,000 test images. "
                "Its first network (factor 1e-6) ended at epoch 40 with loss 0.0900, accuracy 0.9933, "
                "val_loss 0.1180, val_accuracy 0.9808. Best of the 15: " {format!("{P2D_BEST_ACCURACY:.4}")} "."
            </p>
            <p class="muted small">
                "Its log shows 1–2 s per epoch: 15 networks × 40 epochs took about a quarter of an hour. On this "
                "page's CPU backend the full sweep takes far longer (networks per minute are measured below while it "
                "runs); fewer training images or epochs give a quick, smaller study, and finished networks are kept, "
                "so a sweep can be resumed later."
            </p>
        </aside>
    }
}
