//! The Leptos page (feature `ui`, no burn): the assignment's Problems 1 to 4, with the
//! seed notebook's answers beside live results. The page only renders; training runs in
//! Web Workers ([`worker_client`]), and the page talks to them with [`crate::protocol`].
//!
//! Components, one per concern:
//! - [`App`]: the URL, the state, the layout, the experiment tabs (P2, P2D, P3).
//! - [`params::ParamErrors`]: refused URL parameters.
//! - [`data_panel::DataPanel`]: the dataset download (P1).
//! - [`digits::DigitGrid`], [`digits::Preprocessing`]: sample digits and the seed's
//!   preprocessing of one (P1).
//! - [`p2_panel::P2Panel`]: Problem 2's tab, made of
//!   [`model_table::ModelSummaryTable`] (P2A), [`controls::RunControls`],
//!   [`progress::RunProgress`], [`progress::EpochLog`], [`charts::AccuracyChart`] (P2C),
//!   [`charts::LossChart`] and [`results::Results`].
//! - [`p2d_panel::P2dPanel`]: Problem 2D's tab, the weight-decay sweep run by
//!   [`sweep::Sweep`] on one or more workers, its networks stored by [`sweep_store`], its
//!   plots in [`sweep_charts`].
//! - [`p3_panel::P3Panel`]: Problem 3's tab, the CNN trained by [`p3_panel::P3Run`] in a
//!   worker of its own, its curves in [`charts`], and [`p3_analysis`]: its filters,
//!   confusion matrix, mistakes, the comparison with the MLPs (3B) and the answers 3A/3B.
//! - [`p4_panel::P4Panel`]: Problem 4's tab, the denoising autoencoder trained by
//!   [`p4_panel::P4Run`] (after P3's CNN when none is kept), its figures in [`p4_figures`].
//! - [`stored_cnn`]: the trained CNN kept in the browser (download, upload, forget).
//! - [`answers`]: the seed's written answers.

pub mod answers;
pub mod charts;
pub mod controls;
pub mod data_panel;
pub mod digits;
pub mod format;
pub mod model_table;
pub mod p2_panel;
pub mod p2d_panel;
pub mod p3_analysis;
pub mod p3_panel;
pub mod p4_figures;
pub mod p4_panel;
pub mod params;
pub mod progress;
pub mod results;
pub mod state;
pub mod stored_cnn;
pub mod sweep;
pub mod sweep_charts;
pub mod sweep_store;
pub mod worker_client;

use leptos::prelude::*;

use answers::Answer1;
use data_panel::{DataPanel, DataState, FileProgress};
use digits::{DigitGrid, Preprocessing};
use p2_panel::P2Panel;
use p2d_panel::P2dPanel;
use p3_panel::{P3Panel, P3Run};
use p4_panel::{P4Panel, P4Run};
use stored_cnn::StoredCnn;
use params::ParamErrors;
use state::{RunState, RunStatus};
use sweep::Sweep;
use worker_client::{CancelOutcome, WorkerClient};

use crate::experiment::p2d::SweepSpec;
use crate::experiment::{ExperimentId, PageQuery, RunConfig};
use crate::protocol::WorkerInput;
use crate::web::{self, dataset::DEFAULT_DATA_URL};

/// The page's title.
pub const TITLE: &str = "mnist-lab — the MNIST assignment, trained in your browser";

/// The whole page. Reads the URL once; loads the dataset; owns the workers.
#[component]
pub fn App() -> impl IntoView {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(TITLE);
    }
    let (initial, param_errors) = PageQuery::parse(web::query_pairs());
    let data_url = initial.data.clone().unwrap_or_else(|| DEFAULT_DATA_URL.to_string());
    let autostart = initial.autostart;
    // One query per experiment: the URL's for the one it names, the seed's defaults (with
    // the URL's backend and data) for the other. The address bar follows the shown one.
    let query_for = |id: ExperimentId| {
        if initial.config.experiment == id {
            initial.clone()
        } else {
            PageQuery { config: RunConfig::for_experiment(id), backend: initial.backend, autostart: false, data: initial.data.clone(), sweep: SweepSpec::default(), cnn_epochs: None }
        }
    };
    let p2_query = RwSignal::new(query_for(ExperimentId::P2));
    let p2d_query = RwSignal::new(query_for(ExperimentId::P2d));
    let p3_query = RwSignal::new(query_for(ExperimentId::P3));
    let p4_query = RwSignal::new(query_for(ExperimentId::P4));
    let active = RwSignal::new(initial.config.experiment);
    let files = RwSignal::new(FileProgress::default());
    let data = RwSignal::new(DataState::Loading);
    let run = RunState::new();
    let client = StoredValue::new_local(WorkerClient::new(move |event| run.apply(event)));
    let worker_data_url = StoredValue::new(data_url.clone());
    let sweep = Sweep::new(p2d_query, data_url.clone());
    let stored_cnn = StoredCnn::new();
    let p3 = P3Run::new(p3_query, data_url.clone(), stored_cnn);
    let p4 = P4Run::new(p4_query, data_url.clone(), stored_cnn);
    let data_ready = Signal::derive(move || data.with(DataState::is_ready));

    let start_run = move || {
        if !data.with_untracked(DataState::is_ready) || run.status.with_untracked(|s| *s == RunStatus::Running) || sweep.busy.get_untracked() || p3.run.is_running_untracked() || p4.run.is_running_untracked() {
            return;
        }
        let q = p2_query.get_untracked();
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
    let start_sweep = move || {
        if data.with_untracked(DataState::is_ready) && !run.is_running_untracked() && !p3.run.is_running_untracked() && !p4.run.is_running_untracked() {
            sweep.start();
        }
    };
    let start_p3 = move || {
        if data.with_untracked(DataState::is_ready) && !run.is_running_untracked() && !sweep.busy.get_untracked() && !p4.run.is_running_untracked() {
            p3.start();
        }
    };
    let start_p4 = move || {
        if data.with_untracked(DataState::is_ready) && !run.is_running_untracked() && !sweep.busy.get_untracked() && !p3.run.is_running_untracked() {
            p4.start();
        }
    };
    // Start the shown experiment's worker(s) now, so Train answers at once.
    let warm_up = move || match active.get_untracked() {
        ExperimentId::P2 => {
            if let Err(e) = client.get_value().ensure_live() {
                run.fail(e);
            }
        }
        ExperimentId::P2d => sweep.warm_up(),
        ExperimentId::P3 => p3.warm_up(),
        ExperimentId::P4 => p4.warm_up(),
    };
    let switch_to = move |id: ExperimentId| {
        if active.get_untracked() == id {
            return;
        }
        // Autostart belongs to the page load, not to a tab the reader opens.
        p2_query.update(|q| q.autostart = false);
        p2d_query.update(|q| q.autostart = false);
        p3_query.update(|q| q.autostart = false);
        p4_query.update(|q| q.autostart = false);
        active.set(id);
        let query = match id {
            ExperimentId::P2 => p2_query,
            ExperimentId::P2d => p2d_query,
            ExperimentId::P3 => p3_query,
            ExperimentId::P4 => p4_query,
        };
        web::replace_query(&query.with_untracked(PageQuery::to_query_string));
        // Idle workers of the hidden experiment go; its results stay on the page.
        if id != ExperimentId::P2d {
            sweep.shut_down_idle();
        }
        if id != ExperimentId::P2 && !run.is_running_untracked() {
            client.get_value().shutdown();
        }
        if id != ExperimentId::P3 {
            p3.shut_down_idle();
        }
        // P4's worker holds the trained autoencoder for 4B/4D requests: it stays.
        if data.with_untracked(DataState::is_ready) {
            warm_up();
        }
    };

    data_panel::start_loading(data_url.clone(), files, data, move || {
        warm_up();
        if autostart {
            match active.get_untracked() {
                ExperimentId::P2 => start_run(),
                ExperimentId::P2d => start_sweep(),
                ExperimentId::P3 => start_p3(),
                ExperimentId::P4 => start_p4(),
            }
        }
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
    // One experiment trains at a time (they would share the machine's cores or GPU): Train
    // elsewhere says which one is busy.
    let training_elsewhere = move |id: ExperimentId| {
        let busy = [
            (ExperimentId::P2, run.is_running(), "P2 is training"),
            (ExperimentId::P2d, sweep.busy.get(), "The P2D sweep is training"),
            (ExperimentId::P3, p3.busy(), "The P3 CNN is training"),
            (ExperimentId::P4, p4.busy(), "P4 is training"),
        ];
        busy.into_iter()
            .find(|&(other, training, _)| other != id && training)
            .map(|(_, _, what)| format!("{what} (in its tab); this can start when it has finished or been cancelled."))
    };
    let p2_blocked = Signal::derive(move || training_elsewhere(ExperimentId::P2));
    let p2d_blocked = Signal::derive(move || training_elsewhere(ExperimentId::P2d));
    let p3_blocked = Signal::derive(move || training_elsewhere(ExperimentId::P3));
    let p4_blocked = Signal::derive(move || training_elsewhere(ExperimentId::P4));
    let tab = move |id: ExperimentId, text: &'static str, busy: Signal<bool>| {
        view! {
            <button type="button" role="tab" class="tab" data-testid=format!("tab-{}", id.as_str())
                aria-selected=move || (active.get() == id).to_string()
                class:active=move || active.get() == id
                on:click=move |_| switch_to(id)>
                {text}
                {move || busy.get().then(|| view! { <span class="tab-badge">" training"</span> })}
            </button>
        }
    };
    let p2_busy = Signal::derive(move || run.is_running());
    let p2d_busy = Signal::derive(move || sweep.busy.get());
    let p3_busy = Signal::derive(move || p3.busy());
    let p4_busy = Signal::derive(move || p4.busy());

    view! {
        <header class="page-header">
            <h1>{TITLE}</h1>
            <p class="lede">
                "The DAT405 neural-network assignment (MNIST, Problems 1 to 4) re-done in Rust: "
                "the dataset is downloaded and preprocessed here, and the seed notebook's multi-layer "
                "perceptrons, weight-decay study and convolutional network are trained with burn in "
                "Web Workers, on your GPU (WebGPU) or CPU. "
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
            <nav class="tabs" role="tablist" aria-label="Experiments" data-testid="experiment-tabs">
                {tab(ExperimentId::P2, "Problem 2 · the 64-64 network", p2_busy)}
                {tab(ExperimentId::P2d, "Problem 2D · weight decay, 500-300", p2d_busy)}
                {tab(ExperimentId::P3, "Problem 3 · the convolutional network", p3_busy)}
                {tab(ExperimentId::P4, "Problem 4 · denoising autoencoder", p4_busy)}
            </nav>
            {move || match active.get() {
                ExperimentId::P2 => view! {
                    <section class="card tab-panel" id="p2" role="tabpanel">
                        <P2Panel
                            query=p2_query
                            run=run
                            data_ready=data_ready
                            blocked=p2_blocked
                            on_train=Callback::new(move |()| start_run())
                            on_cancel=Callback::new(move |()| cancel_run())
                        />
                    </section>
                }.into_any(),
                ExperimentId::P2d => view! {
                    <section class="card tab-panel" id="p2d" role="tabpanel">
                        <P2dPanel
                            sweep=sweep
                            data_ready=data_ready
                            blocked=p2d_blocked
                            on_train=Callback::new(move |()| start_sweep())
                            on_cancel=Callback::new(move |()| sweep.cancel())
                        />
                    </section>
                }.into_any(),
                ExperimentId::P3 => view! {
                    <section class="card tab-panel" id="p3" role="tabpanel">
                        <P3Panel
                            p3=p3
                            p2_run=run
                            sweep=sweep
                            data_ready=data_ready
                            blocked=p3_blocked
                            on_train=Callback::new(move |()| start_p3())
                            on_cancel=Callback::new(move |()| p3.cancel())
                        />
                    </section>
                }.into_any(),
                ExperimentId::P4 => view! {
                    <section class="card tab-panel" id="p4" role="tabpanel">
                        <P4Panel
                            p4=p4
                            data_ready=data_ready
                            blocked=p4_blocked
                            on_train=Callback::new(move |()| start_p4())
                            on_cancel=Callback::new(move |()| p4.cancel())
                        />
                    </section>
                }.into_any(),
            }}
        </main>
        <footer class="page-footer muted">
            "mnist-lab · Rust, Leptos, burn and plotters compiled to WebAssembly. "
            "Every control is mirrored in the URL, so the address bar reproduces this setup."
        </footer>
    }
}
