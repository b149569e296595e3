//! The Leptos page (feature `ui`, no burn): the assignment's Problems 1 to 4, with the
//! seed notebook's answers beside live results. The page only renders; training runs in
//! Web Workers ([`worker_client`]), and the page talks to them with [`crate::protocol`].
//!
//! - [`App`] (here): the layout — header, the lab bar (tabs, the dataset's status, the
//!   whole report), the shown tab's panel.
//! - The lab and its runs: [`lab::Lab`] holds every run controller, decides what may run
//!   at once, and is shared by context; [`run_controller::RunController`] is the one
//!   controller of a single-worker run (P2, P3, P4) and [`state::RunState`] its reactive
//!   state; [`report`] runs the whole report through the lab; [`kept`] is every finished
//!   run kept in this browser, [`kept_view`] what the tabs show of them; [`export`] saves
//!   PNGs, CSVs and files.
//! - [`tabs`]: one module per tab — [`tabs::data`] (P1), [`tabs::mlp`] (P2),
//!   [`tabs::sweep`] (P2D and its [`tabs::sweep::Sweep`] over several workers),
//!   [`tabs::cnn`] (P3, and the kept CNN), [`tabs::denoise`] (P4), [`tabs::playground`].
//!   Each holds its panel, its figures and the seed's answers for that problem.
//! - [`charts`]: the training curves, the palette, canvas helpers.
//! - [`components`]: what the tabs share — run controls, progress, results, tables, the
//!   seed's answer box, number formatting.
//!
//! The seed's figures themselves are in the core, [`crate::experiment::seed`].

pub mod charts;
pub mod components;
pub mod export;
pub mod kept;
pub mod kept_view;
pub mod lab;
pub mod report;
pub mod run_controller;
pub mod threads;
pub mod state;
pub mod tabs;
pub mod backend_choice;
pub mod worker_client;

use leptos::prelude::*;

use components::later::AfterNextFrame;
use components::params::ParamErrors;
use lab::{Lab, Tab};
use report::ReportBar;
use tabs::cnn::P3Panel;
use tabs::data::{DataState, DataStatus, DataTab, FileProgress};
use tabs::denoise::P4Panel;
use tabs::mlp::P2Panel;
use tabs::sweep::P2dPanel;
use crate::experiment::{ExperimentId, PageQuery};
use crate::web::{self, dataset::DEFAULT_DATA_URL};

/// The page's title.
pub const TITLE: &str = "mnist-lab — the MNIST assignment, trained in your browser";

/// Whether the seed notebook's figures apply to the dataset the page trains on: only MNIST's
/// runs are comparable with them (shared by context; `true` until the dataset is known).
#[derive(Clone, Copy)]
pub struct SeedApplies(pub Signal<bool>);

/// Whether the seed notebook's figures belong beside the runs shown: only on MNIST (tracked;
/// see [`SeedApplies`]).
pub fn seed_applies() -> bool {
    use_context::<SeedApplies>().is_none_or(|s| s.0.get())
}

/// The page's width in CSS px, kept up to date on resize, so charts redraw for the width
/// they get (shared by context).
#[derive(Clone, Copy)]
pub struct ViewportWidth(pub RwSignal<f64>);

/// Runs `f` in a task of its own after the browser's next frame (`requestAnimationFrame`,
/// then a zero timeout), so that work which needs no answer at once neither lengthens the
/// task that asked for it nor delays the frame. In a hidden tab it waits until it is shown.
pub fn after_next_frame(f: impl FnOnce() + 'static) {
    request_animation_frame(move || set_timeout(f, std::time::Duration::ZERO));
}

fn window_width() -> f64 {
    web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|v| v.as_f64()).unwrap_or(1280.0)
}

/// The whole page. Reads the URL once; loads the dataset; owns the lab.
#[component]
pub fn App() -> impl IntoView {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(TITLE);
    }
    let (initial, param_errors) = PageQuery::parse(web::query_pairs());
    let data_url = initial.data.clone().unwrap_or_else(|| DEFAULT_DATA_URL.to_string());
    let lab = Lab::new(&initial, data_url.clone());
    provide_context(lab);
    provide_context(SeedApplies(Signal::derive(move || lab.dataset().is_none_or(|d| d.is_embedded_mnist()))));
    lab.report.install(lab);
    lab.install_keeping();
    if let Some(preset) = initial.report {
        lab.report.preset.set(preset);
    }
    // In a task of its own once the page and its panel are up (two frames on).
    after_next_frame(|| after_next_frame(kept_view::prepare_date_format));
    let width = ViewportWidth(RwSignal::new(window_width()));
    provide_context(width);
    let resize = window_event_listener(leptos::ev::resize, move |_| width.0.set(window_width()));
    on_cleanup(move || resize.remove());

    let files = RwSignal::new(FileProgress::default());
    // A link may name another origin's data: nothing is fetched from it (which would tell
    // that origin who opened the link, and decide what trains) until the visitor agrees,
    // and such a link never starts training by itself.
    // Agreeing stores the origin and reloads (the Content Security Policy's connect-src is
    // set before the app starts, by web/app_loader.js): after that reload the data loads.
    let foreign = initial.data.as_deref().and_then(foreign_origin);
    let agreed = foreign.as_ref().is_some_and(|origin| data_consent().as_deref() == Some(origin.as_str()));
    // Nor does a link with refused values: it would train on something other than it says.
    let autostart = initial.autostart && foreign.is_none() && param_errors.is_empty();
    let autostart_report = initial.report.filter(|_| autostart);
    let same_origin = foreign.is_none();
    let load = {
        let data_url = data_url.clone();
        move || {
            // The shown tab's worker starts once the kept runs are known (`install_keeping`).
            tabs::data::start_loading(data_url, same_origin, files, lab.data, move || {
                if let Some(preset) = autostart_report {
                    lab.report.start(lab, preset);
                } else if autostart && let Tab::Experiment(id) = lab.active.get_untracked() {
                    lab.start(id);
                }
            });
        }
    };
    let consent = foreign.filter(|_| !agreed).map(|origin| {
        let answered = RwSignal::new(false);
        let refused = RwSignal::new(None::<String>);
        let agree = origin.clone();
        view! {
            <Show when=move || !answered.get()>
                <div class="banner data-consent" role="alertdialog" aria-labelledby="consent-title" data-testid="data-consent">
                    <p id="consent-title"><strong>"This link asks the page to train on data from another site: "</strong>
                        <code data-testid="data-origin">{origin.clone()}</code></p>
                    <p>"Nothing has been fetched from it. Loading it tells that site that you opened this page, and the networks train on whatever it sends."</p>
                    <div class="buttons">
                        <button class="primary" data-testid="data-consent-load" on:click={
                            let agree = agree.clone();
                            move |_| match agree_to_data_origin(&agree) {
                                Ok(()) => answered.set(true),
                                Err(why) => refused.set(Some(why)),
                            }
                        }>"Load the data from this site"</button>
                        <button data-testid="data-consent-decline" on:click=move |_| use_builtin_data()>"Use the built-in MNIST instead"</button>
                    </div>
                    {move || refused.get().map(|why| view! { <p class="warning" role="alert" data-testid="data-consent-error">{format!("Nothing was loaded: {why}.")}</p> })}
                </div>
            </Show>
        }
    });
    if consent.is_none() {
        load();
    }
    view! {
        <header class="page-header">
            <h1>{TITLE}</h1>
            <p class="lede">
                "Every network of the DAT405 MNIST assignment trains here, in your browser, beside the seed notebook's figures. "
                <strong>"Pick a problem and press Train, or run the whole report."</strong>
            </p>
        </header>
        <ParamErrors errors=param_errors />
        <tabs::data::own_dataset::DatasetBanner />
        {consent}
        {lab.shared.get_value().and_then(Result::err).map(|why| view! {
            <p class="banner warning" role="alert" data-testid="shared-error">
                {format!("This link carries a run that could not be read ({why}); nothing of it is shown. The page works as usual.")}
            </p>
        })}
        <div class="lab-bar">
            <div class="lab-bar-side">
                <DataStatus files=files state=lab.data />
                <ReportBar />
            </div>
            // Last, so the tabs sit on the shown tab's card.
            <TabList />
        </div>
        <main>
            // The shown tab's panel mounts after the first frame, in a task of its own:
            // mounting the whole page at once (with the wasm functions V8 compiles on their
            // first call) was one main-thread task of 100–180 ms on every load (bench/,
            // 2026-12-02); the header, the lab bar and the panel apart stay under 50 ms each.
            <AfterNextFrame>
                <TabPanel data_url=data_url.clone() files=files />
            </AfterNextFrame>
        </main>
        <footer class="page-footer">
            "mnist-lab · Rust, Leptos, burn and plotters compiled to WebAssembly. "
            "Every control is mirrored in the URL, so the address bar reproduces this setup."
        </footer>
    }
}

/// The origin of `data` if it is not the page's own (a relative path is the page's).
fn foreign_origin(data: &str) -> Option<String> {
    let location = web_sys::window()?.location();
    let page = location.origin().ok()?;
    let url = web_sys::Url::new_with_base(data, &location.href().ok()?).ok()?;
    let origin = url.origin();
    (origin != page).then_some(origin)
}

/// Where the page keeps the data origin the visitor agreed to, for this tab's session;
/// web/app_loader.js reads it (its `CONSENT_KEY`) to allow that origin in connect-src.
const DATA_CONSENT_KEY: &str = "mnist-lab.data-origin-consent";

fn data_consent() -> Option<String> {
    web_sys::window()?.session_storage().ok()??.get_item(DATA_CONSENT_KEY).ok()?
}

/// Keeps the visitor's agreement to `origin` and reloads, so that the policy allows it.
/// Without session storage the agreement cannot outlive the reload it needs: the reason.
fn agree_to_data_origin(origin: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let storage = window.session_storage().ok().flatten().ok_or("this browser keeps no session storage for the page")?;
    storage.set_item(DATA_CONSENT_KEY, origin).map_err(|_| "the browser refused to keep the agreement (session storage)".to_string())?;
    window.location().reload().map_err(|_| "the page could not reload".to_string())
}

/// Reloads the page with its setup but without the `data=` parameter.
pub(crate) fn use_builtin_data() {
    let Some(window) = web_sys::window() else { return };
    let (query, _) = PageQuery::parse(web::query_pairs());
    let query = PageQuery { data: None, autostart: false, ..query };
    let _ = window.location().set_search(&query.to_query_string());
}

/// The tabs, as the WAI-ARIA tabs pattern: one tab stop, arrow keys (and Home / End) move
/// between tabs and show them.
#[component]
fn TabList() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let title = |tab: Tab| match tab {
        Tab::Data => "1 · Data",
        Tab::Experiment(ExperimentId::P2) => "2 · MLP 64-64",
        Tab::Experiment(ExperimentId::P2d) => "2D · Weight decay",
        Tab::Experiment(ExperimentId::P3) => "3 · CNN",
        Tab::Experiment(ExperimentId::P4) => "4 · Denoising",
        Tab::Playground => "Playground",
    };
    let show = move |tab: Tab, focus: bool| {
        lab.switch_to(tab);
        if focus {
            let id = format!("tab-{}", tab.key());
            if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(&id)) {
                let _ = wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlElement>(&el).focus();
            }
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let current = Tab::ALL.iter().position(|&t| t == lab.active.get_untracked()).unwrap_or(0);
        let n = Tab::ALL.len();
        let next = match ev.key().as_str() {
            "ArrowRight" => (current + 1) % n,
            "ArrowLeft" => (current + n - 1) % n,
            "Home" => 0,
            "End" => n - 1,
            _ => return,
        };
        ev.prevent_default();
        show(Tab::ALL[next], true);
    };
    let tabs = Tab::ALL.into_iter().map(|tab| {
        let selected = move || lab.active.get() == tab;
        let busy = move || match tab {
            Tab::Data | Tab::Playground => false,
            Tab::Experiment(id) => lab.is_busy(id),
        };
        view! {
            <button type="button" role="tab" class="tab" id=format!("tab-{}", tab.key()) data-testid=format!("tab-{}", tab.key())
                aria-selected=move || selected().to_string()
                aria-controls=move || selected().then(|| format!("panel-{}", tab.key()))
                tabindex=move || if selected() { "0" } else { "-1" }
                class:active=selected
                on:click=move |_| show(tab, false)>
                {title(tab)}
                {move || busy().then(|| view! { <span class="tab-badge">" · training"</span> })}
            </button>
        }
    }).collect_view();
    view! {
        <div class="tabs" role="tablist" aria-label="Problems of the assignment" data-testid="experiment-tabs" on:keydown=on_key>
            {tabs}
        </div>
    }
}

/// The shown tab's panel.
#[component]
fn TabPanel(data_url: String, files: RwSignal<FileProgress>) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let data_ready = Signal::derive(move || lab.data.with(DataState::is_ready));
    let blocked = move |id: ExperimentId| Signal::derive(move || lab.blocked_reason(id));
    let train = move |id: ExperimentId| Callback::new(move |()| { lab.start(id); });
    move || {
        let tab = lab.active.get();
        let panel = match tab {
            Tab::Data => view! { <DataTab data_url=data_url.clone() files=files /> }.into_any(),
            Tab::Experiment(ExperimentId::P2) => view! {
                <P2Panel ctl=lab.p2 data_ready=data_ready blocked=blocked(ExperimentId::P2) on_train=train(ExperimentId::P2) />
            }.into_any(),
            Tab::Experiment(ExperimentId::P2d) => view! {
                <P2dPanel sweep=lab.sweep data_ready=data_ready blocked=blocked(ExperimentId::P2d)
                    on_train=train(ExperimentId::P2d) on_cancel=Callback::new(move |()| lab.sweep.cancel()) />
            }.into_any(),
            Tab::Experiment(ExperimentId::P3) => view! {
                <P3Panel p3=lab.p3 p2_run=lab.p2.run sweep=lab.sweep data_ready=data_ready blocked=blocked(ExperimentId::P3) on_train=train(ExperimentId::P3) />
            }.into_any(),
            Tab::Experiment(ExperimentId::P4) => view! {
                <P4Panel p4=lab.p4 data_ready=data_ready blocked=blocked(ExperimentId::P4) on_train=train(ExperimentId::P4) />
            }.into_any(),
            Tab::Playground => view! { <tabs::playground::panel::PlaygroundPanel /> }.into_any(),
        };
        view! {
            <section class="card tab-panel" id=format!("panel-{}", tab.key()) role="tabpanel" aria-labelledby=format!("tab-{}", tab.key())>
                {panel}
            </section>
        }
    }
}
