//! The Leptos page (feature `ui`, no burn): the assignment's Problems 1 and 2, with the
//! seed notebook's answers beside live results. The page only renders; training runs in the
//! Web Worker ([`worker_client`]), and the page talks to it with [`crate::protocol`].
//!
//! Components, one per concern:
//! - [`App`]: the URL, the state, the layout.
//! - [`params::ParamErrors`]: refused URL parameters.
//! - [`data_panel::DataPanel`]: the dataset download (P1).
//! - [`digits::DigitGrid`], [`digits::Preprocessing`]: sample digits and the seed's
//!   preprocessing of one (P1).
//! - [`model_table::ModelSummaryTable`]: the Keras-style summary (P2A).
//! - [`controls::RunControls`]: hyper-parameters, backend, Train/Cancel, run status.
//! - [`progress::RunProgress`], [`progress::EpochLog`]: a run in progress.
//! - [`charts::AccuracyChart`] (P2C), [`charts::LossChart`]: plotters charts per epoch.
//! - [`results::Results`]: test figures beside the seed's, JSON download.
//! - [`answers`]: the seed's written answers.

pub mod answers;
pub mod charts;
pub mod controls;
pub mod data_panel;
pub mod digits;
pub mod format;
pub mod model_table;
pub mod params;
pub mod progress;
pub mod results;
pub mod state;
pub mod worker_client;

use leptos::prelude::*;

use answers::{Answer1, Answer2A, Answer2B, Answer2C};
use charts::{AccuracyChart, LossChart};
use controls::RunControls;
use data_panel::{DataPanel, DataState, FileProgress};
use digits::{DigitGrid, Preprocessing};
use model_table::ModelSummaryTable;
use params::ParamErrors;
use progress::{EpochLog, RunProgress};
use results::Results;
use state::{RunState, RunStatus};
use worker_client::{CancelOutcome, WorkerClient};

use crate::experiment::PageQuery;
use crate::model::summary::mlp_summary;
use crate::protocol::WorkerInput;
use crate::web::{self, dataset::DEFAULT_DATA_URL};

/// The page's title.
pub const TITLE: &str = "mnist-lab — the MNIST assignment, trained in your browser";

/// The whole page. Reads the URL once; loads the dataset; owns the worker client.
#[component]
pub fn App() -> impl IntoView {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(TITLE);
    }
    let (initial, param_errors) = PageQuery::parse(web::query_pairs());
    let data_url = initial.data.clone().unwrap_or_else(|| DEFAULT_DATA_URL.to_string());
    let autostart = initial.autostart;
    let query = RwSignal::new(initial);
    let files = RwSignal::new(FileProgress::default());
    let data = RwSignal::new(DataState::Loading);
    let run = RunState::new();
    let client = StoredValue::new_local(WorkerClient::new(move |event| run.apply(event)));
    let worker_data_url = StoredValue::new(data_url.clone());

    let start_run = move || {
        if !data.with_untracked(DataState::is_ready) || run.status.with_untracked(|s| *s == RunStatus::Running) {
            return;
        }
        let q = query.get_untracked();
        run.begin(q.config.clone());
        let input = WorkerInput::Start { config: q.config, backend: q.backend, data_url: worker_data_url.get_value() };
        if let Err(e) = client.get_value().start(input) {
            run.fail(e);
        }
    };
    let cancel_run = move || match client.get_value().cancel() {
        Ok(CancelOutcome::Posted) => run.phase.set(Some("cancelling after the current step…".into())),
        Ok(CancelOutcome::DroppedQueuedStart | CancelOutcome::Nothing) => run.cancelled_before_start(),
        Err(e) => run.fail(e),
    };

    data_panel::start_loading(data_url.clone(), files, data, move || {
        // Start the worker's (large) wasm now, so Train answers at once.
        if let Err(e) = client.get_value().ensure_live() {
            run.fail(e);
        } else if autostart {
            start_run();
        }
    });

    let data_ready = Signal::derive(move || data.with(DataState::is_ready));
    let chart_epochs = Signal::derive(move || {
        run.config.with(|c| c.as_ref().map(|c| c.epochs)).unwrap_or_else(|| query.with(|q| q.config.epochs))
    });
    let samples_view = move || {
        data.with(|d| match d {
            DataState::Ready(summary) => {
                let first = summary.samples.first().cloned();
                Some(view! {
                    <div class="two-col even">
                        <div>
                            <h3>"Sample training digits"</h3>
                            <DigitGrid samples=summary.samples.clone() />
                        </div>
                        <div>
                            <h3>"Preprocessing of the first digit"</h3>
                            {first.map(|sample| view! { <Preprocessing sample=sample /> })}
                        </div>
                    </div>
                })
            }
            _ => None,
        })
    };

    view! {
        <header class="page-header">
            <h1>{TITLE}</h1>
            <p class="lede">
                "The DAT405 neural-network assignment (MNIST, Problems 1 and 2) re-done in Rust: "
                "the dataset is downloaded and preprocessed here, and the seed notebook's multi-layer "
                "perceptron is trained with burn in a Web Worker, on your GPU (WebGPU) or CPU. "
                "The seed notebook's answers and figures stand beside the live results."
            </p>
        </header>
        <ParamErrors errors=param_errors />
        <main>
            <section class="card" id="p1">
                <h2>"Problem 1 — the data and its preprocessing"</h2>
                <DataPanel base=data_url files=files state=data />
                {samples_view}
                <Answer1 />
            </section>
            <section class="card" id="p2">
                <h2>"Problem 2 — a multi-layer perceptron"</h2>
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
                <h3>"Train it"</h3>
                <RunControls
                    query=query
                    run=run
                    data_ready=data_ready
                    on_train=Callback::new(move |()| start_run())
                    on_cancel=Callback::new(move |()| cancel_run())
                />
                <RunProgress run=run />
                <h3>"Epoch log"</h3>
                <EpochLog run=run />
                <div class="two-col">
                    <div>
                        <h3>"2C · accuracy per epoch"</h3>
                        <AccuracyChart history=run.history epochs=chart_epochs />
                    </div>
                    <Answer2C />
                </div>
                <div class="two-col">
                    <div>
                        <h3>"2B · loss per epoch"</h3>
                        <LossChart history=run.history epochs=chart_epochs />
                    </div>
                    <Answer2B />
                </div>
                <h3>"Results on the 10,000 test images"</h3>
                <Results result=run.result />
            </section>
        </main>
        <footer class="page-footer muted">
            "mnist-lab · Rust, Leptos, burn and plotters compiled to WebAssembly. "
            "Every control is mirrored in the URL, so the address bar reproduces this setup."
        </footer>
    }
}
