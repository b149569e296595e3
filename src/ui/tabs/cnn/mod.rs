//! Problem 3's tab: the seed's CNN, trained in its own worker like P2's network, with its
//! controls, progress, log, charts and results, then what the trained network does — its
//! [`filters`], [`confusion`] matrix and [`mistakes`] — and its [`comparison`] with the two
//! MLPs that the seed's [`answers`] 3A and 3B discuss. [`stored_cnn`]: the trained CNN kept
//! in the browser (P4 and the playground use it too).

pub mod answers;
pub mod comparison;
pub mod confusion;
pub mod filters;
pub mod mistakes;
pub mod stored_cnn;

use leptos::prelude::*;

use answers::{Answer3A, Answer3B};
use comparison::{ModelComparison, Timings};
use confusion::ConfusionMatrix;
use filters::FilterGrid;
use mistakes::MistakeGrid;
use stored_cnn::{StoredCnn, StoredCnnCard};
use crate::ui::charts::{AccuracyChart, LossChart};
use crate::ui::components::controls::RunControls;
use crate::ui::components::later::AfterNextFrame;
use crate::ui::components::model_table::ModelSummaryTable;
use crate::ui::components::progress::{EpochLog, RunProgress};
use crate::ui::components::results::Results;
use crate::ui::kept_view::{KeptNote, ResumeOffer};
use crate::ui::run_controller::RunController;
use crate::ui::state::RunState;
use crate::ui::tabs::sweep::Sweep;
use crate::ui::worker_client::WorkerEvent;
use crate::experiment::seed;
use crate::experiment::{PageQuery, RunResult};
use crate::model::summary::cnn_summary;
use crate::protocol::WorkerOutput;

/// P3's run and its worker (a [`RunController`]), and the trained CNN it keeps.
#[derive(Clone, Copy)]
pub struct P3Run {
    /// The P3 query, edited by the tab's controls.
    pub query: RwSignal<PageQuery>,
    /// The current (or last) run.
    pub run: RunState,
    pub ctl: RunController,
    /// The trained CNN kept in the browser.
    pub stored: StoredCnn,
    /// This run's CNN, not kept because another is: `(it, the kept one)`, until the
    /// visitor decides.
    pub held: RwSignal<Option<(String, String)>>,
}

impl P3Run {
    /// Spawns nothing yet. `stored` is re-read when the worker has kept the trained CNN.
    pub fn new(query: RwSignal<PageQuery>, data_url: String, stored: StoredCnn) -> Self {
        let held = RwSignal::new(None);
        let ctl = RunController::new(query, data_url, move |ctl, event| {
            match &event {
                WorkerEvent::Output(WorkerOutput::ModelStored { stored: kept, description }) => {
                    held.set(None);
                    stored.refresh();
                    if !kept {
                        stored.message.set(Some(format!("the CNN could not be kept: {description}")));
                    }
                }
                WorkerEvent::Output(WorkerOutput::CnnHeld { description, kept }) => held.set(Some((description.clone(), kept.clone()))),
                _ => {}
            }
            ctl.run.apply(event)
        });
        Self { query, run: ctl.run, ctl, stored, held }
    }

    /// Keeps the held CNN in place of the kept one.
    pub fn keep_held(&self) {
        if let Err(e) = self.ctl.request(crate::protocol::WorkerInput::KeepHeldCnn) {
            self.stored.message.set(Some(e));
        }
    }

    /// Whether the CNN is training (tracked).
    pub fn busy(&self) -> bool {
        self.run.is_running()
    }
}

/// The P3 tab's content.
#[component]
pub fn P3Panel(
    /// The CNN's run and worker.
    p3: P3Run,
    /// P2's run (its time per epoch and accuracy, for 3B).
    p2_run: RunState,
    /// The P2D sweep (its networks' time per epoch, for 3B).
    sweep: Sweep,
    /// Whether the dataset is loaded (Train waits for it).
    #[prop(into)]
    data_ready: Signal<bool>,
    /// Why Train cannot start now besides the dataset (another experiment is training).
    #[prop(into)]
    blocked: Signal<Option<String>>,
    on_train: Callback<()>,
) -> impl IntoView {
    let run = p3.run;
    let query = p3.query;
    let chart_epochs = Signal::derive(move || {
        run.config.with(|c| c.as_ref().map(|c| c.schedule.epochs)).unwrap_or_else(|| query.with(|q| q.config.schedule.epochs))
    });
    let timings = Signal::derive(move || Timings::read(&run, &p2_run, &sweep));
    let result: Signal<Option<RunResult>> = run.result.into();
    let p2_result: Signal<Option<RunResult>> = p2_run.result.into();
    view! {
        <h2>"Problem 3 — a convolutional network"</h2>
        <RunControls ctl=p3.ctl data_ready=data_ready blocked=blocked on_train=on_train />
        <ResumeOffer id=crate::experiment::ExperimentId::P3 />
        <p class="muted small">
            "A CNN epoch is much heavier than an MLP's (see 3B below): the seed's took 28 s on its machine. On the "
            "CPU backend in a browser, fewer training images or epochs give a quick first look."
        </p>
        <RunProgress run=run />
        <EpochLog run=run />
        <p class="lede-small">
            "The seed's CNN: two 3 × 3 convolutions (32 and 64 filters, ReLU), each followed by 2 × 2 max pooling, "
            "then Flatten, Dense(200) and Dense(128) with ReLU, Dropout(0.5) and a 10-way softmax; SGD lr 0.1, "
            "batch 128, 40 epochs, validated on the 10,000 test images after every epoch."
        </p>
        <AfterNextFrame>
            <div class="two-col">
                <div>
                    <h3>"3A · the model"</h3>
                    <ModelSummaryTable summary=cnn_summary() />
                    <pre class="inline small">"Conv2D(32, (3, 3), relu, input (28, 28, 1))\nMaxPooling2D((2, 2))\nConv2D(64, (3, 3), relu)\nMaxPooling2D((2, 2))\nFlatten()\nDense(200, relu)\nDense(128, relu)\nDropout(0.5)\nDense(10, softmax)"</pre>
                </div>
                <Answer3A result=result />
            </div>
            <div class="chart-grid">
                <AccuracyChart history=run.history epochs=chart_epochs seed=&seed::P3_CURVES name="p3-accuracy" />
                <LossChart history=run.history epochs=chart_epochs seed=&seed::P3_CURVES name="p3-loss" />
            </div>
            <p class="muted small">"Dashed: the seed notebook's 40 epochs (its Keras log)."</p>
            <h3>"Results on the 10,000 test images"</h3>
            <Results result=result seed=&seed::P3_RUN />
            <KeptNote run=run />
            <h3>"The trained CNN, kept for P4"</h3>
            {move || p3.held.get().map(|(this_run, kept)| view! {
                <div class="note" role="alert" data-testid="cnn-held">
                    <p>"This run's CNN (" {this_run} ") was not kept: a CNN is already kept in this browser (" {kept} ")."</p>
                    <div class="buttons">
                        <button class="primary" data-testid="cnn-keep-new" on:click=move |_| p3.keep_held()>"Keep this run's CNN instead"</button>
                        <button data-testid="cnn-keep-old" on:click=move |_| p3.held.set(None)>"Keep the old one"</button>
                    </div>
                </div>
            })}
            <StoredCnnCard stored=p3.stored busy=Signal::derive(move || run.is_running()) />
            <h3>"What the trained CNN does"</h3>
            <TestSetAnalysis result=result />
            <h3>"3B · convolutional vs fully-connected layers"</h3>
            <ModelComparison timings=timings />
            <Answer3B timings=timings p3_result=result p2_result=p2_result />
        </AfterNextFrame>
    }
}

/// The filters, confusion matrix and mistakes of the finished run.
#[component]
fn TestSetAnalysis(
    #[prop(into)]
    result: Signal<Option<RunResult>>,
) -> impl IntoView {
    move || {
        result.with(|r| match r.as_ref().map(|r| r.analysis.clone()) {
            None => view! { <p class="muted">"The learned filters, the confusion matrix and the misclassified digits appear when a run finishes."</p> }.into_any(),
            Some(None) => view! { <p class="muted">"This run carries no analysis of the test set."</p> }.into_any(),
            Some(Some(analysis)) => {
                let wrong = analysis
                    .confusion
                    .iter()
                    .enumerate()
                    .map(|(t, row)| row.iter().enumerate().filter(|&(p, _)| p != t).map(|(_, &c)| c as usize).sum::<usize>())
                    .sum::<usize>();
                view! {
                    <div class="p3-analysis">
                        <div class="p3-confusion">
                            <h4>"The confusion matrix"</h4>
                            <ConfusionMatrix confusion=analysis.confusion />
                        </div>
                        <div class="p3-filter-box">
                            <h4>"The first layer's filters"</h4>
                            <FilterGrid filters=analysis.filters />
                        </div>
                    </div>
                    <h4>"Misclassified test digits"</h4>
                    <MistakeGrid mistakes=analysis.mistakes total=wrong />
                }
                .into_any()
            }
        })
    }
}
