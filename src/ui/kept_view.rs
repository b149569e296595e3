//! What the page shows of the kept runs: a line under each tab's results (kept or not,
//! when, "forget this run"), and the list of every kept run with the storage meter (in
//! Problem 1's tab, beside the dataset's cache).

use leptos::prelude::*;

use crate::ui::components::format;
use super::kept::{Kept, StoreState};
use super::lab::{Lab, Tab};
use super::state::RunState;
use crate::experiment::record::{Bundle, Origin, Outcome, RunRecord, record_key, share};
use crate::experiment::PageQuery;
use crate::experiment::ExperimentId;

/// `ms` since 1970 as the visitor's locale writes a date and time (what `toLocaleString`
/// writes).
///
/// Why one kept formatter: `Date.toLocaleString` builds a fresh `Intl.DateTimeFormat` per call,
/// about 1 ms each in Chromium; the list of kept runs calls this once per run, and a run that
/// ends re-renders the list: 13 ms of a 67 ms task at the end of a P4 run (a trace, 2026-12-03).
fn when(ms: f64) -> String {
    use wasm_bindgen::JsValue;
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    DATE_FORMAT.with(|format| format.call1(&JsValue::UNDEFINED, &date)).ok().and_then(|s| s.as_string()).unwrap_or_else(|| String::from(date.to_iso_string()))
}

thread_local! {
    /// [`when`]'s formatter: the visitor's locale, date and time to the second.
    static DATE_FORMAT: js_sys::Function = {
        let options = js_sys::Object::new();
        for field in ["year", "month", "day", "hour", "minute", "second"] {
            // Setting a property on a fresh plain object cannot fail.
            let _ = js_sys::Reflect::set(&options, &field.into(), &"numeric".into());
        }
        js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &options).format()
    };
}

/// Makes [`when`]'s formatter now. Its first `Intl.DateTimeFormat` loads the locale's data,
/// 15–20 ms; left to its first use, that was inside the task that ends a run and shows it as
/// kept (a trace of a P4 run, 2026-12-04). The page calls this once it has mounted.
pub fn prepare_date_format() {
    DATE_FORMAT.with(|_| ());
}

/// Whether the run shown in a tab is kept in this browser, since when, and a way to forget it.
#[component]
pub fn KeptNote(
    /// The tab's run.
    run: RunState,
    /// Clears what the tab shows besides `run` when a kept run that is shown is forgotten
    /// (P4's figures).
    #[prop(optional)]
    on_clear: Option<Callback<()>>,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let key = Signal::derive(move || {
        let config = run.config.get()?;
        (run.status.get() == super::state::RunStatus::Done).then_some(())?;
        Some(record_key(&config, &lab.dataset()?))
    });
    let record = move || key.get().and_then(|k| lab.kept.records.with(|r| r.get(&k).cloned()));
    let forget = move |_| {
        let Some(k) = key.get_untracked() else { return };
        lab.kept.forget(&k);
        if run.restored.get_untracked().is_some() {
            run.clear();
            if let Some(clear) = on_clear {
                clear.run(());
            }
        }
    };
    move || {
        let key = key.get()?;
        let unsaved = lab.kept.unsaved.with(|u| u.contains(&key));
        let shared = run.restored.get().is_some() && lab.shared_key.with(|k| k.as_deref() == Some(key.as_str()));
        let record = record();
        let text = match (&record, run.restored.get()) {
            _ if shared => "Shared by a link: these numbers were computed in the sender's browser, not in this one (and are not kept here). Train runs it here.".to_string(),
            (None, _) => "Not kept in this browser (forgotten).".to_string(),
            (Some(_), _) if unsaved => "Kept on this page only, until it closes: the browser's storage refused it (see below).".to_string(),
            (Some(r), _) if r.origin == Origin::Imported => "Imported from a file: these numbers were computed where the file was made, not in this browser. Train runs it here.".to_string(),
            (Some(r), _) if r.origin == Origin::SharedLink => "Shared by a link: these numbers were computed in the sender's browser, not in this one. Train runs it here.".to_string(),
            (Some(r), Some(_)) => format!("Kept in this browser on {}; not trained in this visit. Train runs it again.", when(r.saved_at_ms)),
            (Some(r), None) => format!("Kept in this browser ({}): a reload shows it again.", when(r.saved_at_ms)),
        };
        let has_record = record.is_some() && !shared;
        let shown = record.filter(|_| !shared);
        Some(view! {
            <p class="muted small kept-note" data-testid="kept-note">
                <span data-testid="kept-state">{text}</span>
                " "
                {has_record.then(|| view! { <button class="link" data-testid="forget-run" on:click=forget>"Forget this run"</button> })}
                " "
                <SaveModel key=key.clone() experiment=run.config.get_untracked().map_or(ExperimentId::P2, |c| c.experiment) />
                " "
                {shown.map(|record| view! { <ShareLink record=record /> })}
            </p>
            {move || lab.kept.message.get().map(|m| view! { <p class="warning small" role="alert" data-testid="kept-message">{m}</p> })}
        })
    }
}

/// "Save model": downloads the kept run `key`'s trained model as a safetensors file (shown
/// only for runs that keep one); the playground and P3's upload read it back.
#[component]
fn SaveModel(
    /// The run's record key.
    key: String,
    /// Its experiment (names the file).
    experiment: ExperimentId,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let has = {
        let key = key.clone();
        move || lab.kept.models.with(|m| m.contains(&key))
    };
    let failed = RwSignal::new(None::<String>);
    let save = move |_| {
        let key = key.clone();
        leptos::task::spawn_local(async move {
            let name = format!("mnist-lab-{}.safetensors", experiment.as_str());
            let saved = match lab.kept.load_model(&key).await {
                Ok(bytes) => super::export::save_bytes(&name, "application/octet-stream", &bytes),
                Err(e) => Err(e),
            };
            failed.set(saved.err());
        });
    };
    move || {
        has().then(|| view! {
            <button class="link" data-testid="save-model" on:click=save.clone()>"Save model (.safetensors)"</button>
            {move || failed.get().map(|e| view! { <span class="warning small" role="alert">{format!(" {e}")}</span> })}
        })
    }
}

/// One line of what a kept run is.
fn describe(record: &RunRecord) -> (String, String) {
    let c = record.config();
    let mut setup = format!("{} × batch {}, lr {}, {} training images", format::epochs(c.schedule.epochs), c.schedule.batch_size, c.optimizer.lr(), format::thousands(c.data.train_size));
    if c.model.l2() != 0.0 {
        setup.push_str(&format!(", l2 {:e}", c.model.l2()));
    }
    let figure = match &record.outcome {
        Outcome::Classifier(r) => format!("test accuracy {:.4}", r.test_accuracy),
        Outcome::Denoiser(r) => format!("val loss {:.4}", r.val_loss),
    };
    (setup, figure)
}

fn experiment_name(id: ExperimentId) -> &'static str {
    match id {
        ExperimentId::P2 => "P2 MLP",
        ExperimentId::P2d => "P2D network",
        ExperimentId::P3 => "P3 CNN",
        ExperimentId::P4 => "P4 autoencoder",
    }
}

/// Every kept run (all datasets), with Show (P2, P3, P4) and Forget, Forget all, and what
/// the browser says of the storage.
#[component]
pub fn KeptPanel() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let kept: Kept = lab.kept;
    let bundle_message = kept.notice;
    let rows = move || {
        kept.records.with(|records| {
            let mut list: Vec<&RunRecord> = records.values().collect();
            list.sort_by(|a, b| b.saved_at_ms.total_cmp(&a.saved_at_ms));
            list.into_iter()
                .map(|record| {
                    let key = record.key();
                    let (setup, figure) = describe(record);
                    let id = record.experiment();
                    let shown = record.clone();
                    let forget_key = key.clone();
                    view! {
                        <tr data-testid="kept-row" data-experiment=id.as_str()>
                            <th scope="row">{experiment_name(id)}</th>
                            <td>{setup}</td>
                            <td class="num">{figure}</td>
                            <td>{record.dataset.name.clone()}</td>
                            <td>{when(record.saved_at_ms)}</td>
                            <td class="buttons">
                                {(id != ExperimentId::P2d || shown.part_of.is_some()).then(|| view! {
                                    <button class="link" on:click=move |_| lab.show_kept(shown.clone())
                                        disabled=move || lab.is_busy(id)>{if id == ExperimentId::P2d { "Show its sweep" } else { "Show" }}</button>
                                })}
                                <SaveModel key=key.clone() experiment=id />
                                <button class="link" data-testid="kept-forget" on:click=move |_| kept.forget(&forget_key)>"Forget"</button>
                            </td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    let meter = move || {
        let estimate = kept.estimate.get()?;
        let persisted = match kept.persisted.get() {
            Some(true) => "the browser keeps it even when space runs low",
            Some(false) => "the browser may clear it when space runs low",
            None => "the browser does not say whether it may clear it",
        };
        Some(format!("This page uses {} of the {} the browser allows it; {persisted}.", format::bytes(estimate.usage as u64), format::bytes(estimate.quota as u64)))
    };
    view! {
        <section class="kept-panel" aria-labelledby="kept-title" data-testid="kept-panel">
            <h3 id="kept-title">"Runs kept in this browser"</h3>
            {move || match kept.state.get() {
                StoreState::Opening => view! { <p class="muted">"Reading the kept runs…"</p> }.into_any(),
                StoreState::Unavailable(why) => view! { <p class="warning">{why}</p> }.into_any(),
                StoreState::Ready if kept.records.with(|r| r.is_empty()) => {
                    view! { <p class="muted" data-testid="kept-empty">"None yet: every run that finishes is kept here (in IndexedDB), so a reload shows it without training."</p> }.into_any()
                }
                StoreState::Ready => view! {
                    <crate::ui::components::wide::Wide label="Runs kept in this browser">
                        <table class="kept" data-testid="kept-table">
                            <thead><tr><th scope="col">"Run"</th><th scope="col">"Setup"</th><th scope="col">"Result"</th><th scope="col">"Dataset"</th><th scope="col">"Kept"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </crate::ui::components::wide::Wide>
                    <p class="exports">
                        <button class="link" data-testid="bundle-save" on:click=move |_| lab.save_bundle(bundle_message)>
                            "Save every kept run (one file)"</button>
                        <button class="link" data-testid="kept-forget-all" disabled=move || lab.busy_experiment().is_some()
                            on:click=move |_| kept.forget_all()>"Forget every kept run"</button>
                    </p>
                }.into_any(),
            }}
            <p class="field-inline">
                <label for="bundle-file">"Import a file of kept runs (from “Save every kept run”): "</label>
                <input type="file" id="bundle-file" accept=".json,application/json" data-testid="bundle-import"
                    disabled=move || lab.busy_experiment().is_some()
                    on:change=move |ev| {
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
                        input.set_value("");
                        lab.import_bundle(file, bundle_message);
                    } />
            </p>
            {move || bundle_message.get().map(|m| view! { <p class="note small" role="status" data-testid="bundle-message">{m}</p> })}
            <p class="muted small" data-testid="storage-meter">{meter}</p>
            {move || {
                let refused = kept.refused.with(Vec::len);
                (refused > 0).then(|| view! { <p class="muted small" data-testid="kept-refused">{format!("{refused} stored entries could not be read (another version's, or damaged) and are left out.")}</p> })
            }}
            {move || kept.message.get().map(|m| view! { <p class="warning small" role="alert">{m}</p> })}
        </section>
    }
}

impl Lab {
    /// Downloads every kept run and each tab's setup as one file.
    /// Every kept run with its trained model, if it keeps one, as one file. `message`
    /// says why it failed.
    pub fn save_bundle(&self, message: RwSignal<Option<String>>) {
        let records: Vec<RunRecord> = self.kept.records.with_untracked(|r| r.values().cloned().collect());
        let models: Vec<String> = self.kept.models.with_untracked(|m| records.iter().map(RunRecord::key).filter(|k| m.contains(k)).collect());
        let kept = self.kept;
        message.set(None);
        leptos::task::spawn_local(async move {
            let mut bundle = Bundle::new(records);
            for key in models {
                match kept.load_model(&key).await {
                    Ok(bytes) => bundle.add_model(key, &bytes),
                    Err(e) => web_sys::console::warn_1(&format!("the model of {key} is left out of the bundle: {e}").into()),
                }
            }
            let saved = bundle.encode().map_err(|e| e.to_string()).and_then(|text| super::export::save_text("mnist-lab-bundle.json", "application/json", &text));
            message.set(saved.err());
        });
    }

    /// Reads a bundle file: every run is kept (marked imported), each tab takes the file's
    /// setup and shows the file's run of it. `message` says what happened.
    pub fn import_bundle(&self, file: web_sys::File, message: RwSignal<Option<String>>) {
        if file.size() > Bundle::MAX_BYTES as f64 {
            message.set(Some(format!("{} is {}, more than the {} a bundle may be.", file.name(), format::bytes(file.size() as u64), format::bytes(Bundle::MAX_BYTES as u64))));
            return;
        }
        let lab = *self;
        message.set(Some(format!("reading {}…", file.name())));
        leptos::task::spawn_local(async move {
            let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await.map(|v| v.as_string()) {
                Ok(Some(text)) => text,
                _ => return message.set(Some(format!("{} could not be read as text.", file.name()))),
            };
            match Bundle::decode(&text) {
                Err(e) => message.set(Some(format!("{} was not imported: {e}.", file.name()))),
                Ok(bundle) => {
                    let count = bundle.records.len();
                    lab.apply_bundle(bundle);
                    message.set(Some(format!("Imported {count} run{} from {}: their numbers were computed where the file was made.", if count == 1 { "" } else { "s" }, file.name())));
                }
            }
        });
    }

    fn apply_bundle(&self, bundle: Bundle) {
        let models = bundle.decoded_models();
        // Each tab shows the file's latest run of its experiment.
        for id in [ExperimentId::P2, ExperimentId::P3, ExperimentId::P4] {
            let latest = bundle.records.iter().filter(|r| r.experiment() == id).max_by(|a, b| a.saved_at_ms.total_cmp(&b.saved_at_ms)).cloned();
            for record in bundle.records.iter().filter(|r| r.experiment() == id) {
                self.kept.add(record.clone());
            }
            if let Some(record) = latest {
                self.shared_key.set(None);
                self.show_in_tab(record);
            }
        }
        // P2D shows the sweep of the file's latest network.
        let latest = bundle.records.iter().filter(|r| r.experiment() == ExperimentId::P2d).max_by(|a, b| a.saved_at_ms.total_cmp(&b.saved_at_ms)).cloned();
        for record in bundle.records.into_iter().filter(|r| r.experiment() == ExperimentId::P2d) {
            self.kept.add(record);
        }
        if let Some(network) = latest {
            self.adopt_sweep(&network);
        }
        for (key, bytes) in models {
            self.kept.keep_model(key, bytes);
        }
    }

    /// Shows a kept run in its tab (P2, P3, P4) and opens the tab.
    pub fn show_kept(&self, record: RunRecord) {
        self.shared_key.set(None);
        if record.experiment() == ExperimentId::P2d {
            self.adopt_sweep(&record);
            return self.switch_to(Tab::Experiment(ExperimentId::P2d));
        }
        self.show_record(record);
    }

    /// Shows a run (kept, imported or shared) in its tab and opens the tab.
    pub fn show_record(&self, record: RunRecord) {
        let id = record.experiment();
        if self.show_in_tab(record) {
            self.switch_to(Tab::Experiment(id));
        }
    }
}

/// "Share this run (link)": a link to this page with the run in its fragment, shown to copy
/// (and copied where the browser lets the page write the clipboard).
#[component]
fn ShareLink(
    /// The run to share.
    record: RunRecord,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let link = RwSignal::new(None::<Result<String, String>>);
    let record = StoredValue::new(record);
    let make = move |_| {
        let made = record.with_value(share::encode).map_err(|e| e.to_string()).and_then(|fragment| {
            let fragment = fragment.ok_or_else(|| "this run is too large for a link: save every kept run as one file and share the file".to_string())?;
            let query = lab.query(record.with_value(RunRecord::experiment)).with_untracked(PageQuery::to_query_string);
            let location = web_sys::window().map(|w| w.location()).ok_or("no window")?;
            let base = format!("{}{}", location.origin().map_err(|_| "no origin")?, location.pathname().map_err(|_| "no path")?);
            Ok(format!("{base}?{query}#{fragment}"))
        });
        if let Ok(url) = &made {
            crate::web::copy_to_clipboard(url);
        }
        link.set(Some(made));
    };
    view! {
        <button class="link" data-testid="share-run" on:click=make>"Share this run (link)"</button>
        {move || link.get().map(|made| match made {
            Ok(url) => view! {
                <label class="share-link">
                    <span>{format!("Link ({} characters, copied if the browser allowed it): ", url.len())}</span>
                    <input type="text" readonly data-testid="share-url" prop:value=url on:focus=|ev| {
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        input.select();
                    } />
                </label>
            }.into_any(),
            Err(why) => view! { <span class="warning" data-testid="share-error">{why}</span> }.into_any(),
        })}
    }
}

/// An interrupted run of the tab's setup (a reload, a crashed worker): "Resume from epoch
/// k" goes on from its checkpoint, "Discard" forgets it. Shown while nothing runs and no
/// result is shown (P2, P3, P4).
#[component]
pub fn ResumeOffer(
    /// The tab's experiment.
    id: ExperimentId,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let Some(ctl) = lab.controller(id) else { return ().into_any() };
    let run = ctl.run;
    let key = Signal::derive(move || Some(record_key(&ctl.query.with(|q| q.config.clone()), &lab.dataset()?)));
    let meta = move || key.get().and_then(|k| lab.kept.checkpoints.with(|c| c.get(&k).cloned()));
    let error = RwSignal::new(None::<String>);
    let resume = move |_| {
        let Some(k) = key.get_untracked() else { return };
        error.set(None);
        leptos::task::spawn_local(async move {
            match lab.kept.load_checkpoint(&k).await {
                Ok(checkpoint) => {
                    if let Err(why) = lab.resume_from(id, checkpoint, false) {
                        error.set(Some(why));
                    }
                }
                Err(why) => error.set(Some(why)),
            }
        });
    };
    let discard = move |_| {
        if let Some(k) = key.get_untracked() {
            lab.kept.forget_checkpoint(&k);
        }
    };
    (move || {
        if run.is_running() || run.result.with(Option::is_some) || run.status.get() == super::state::RunStatus::Done {
            return None;
        }
        let meta = meta()?;
        let done = meta.history.len();
        let text = format!(
            "An interrupted run of this setup finished epoch {done} of {} ({}): it can go on from there and ends as an uninterrupted run would.",
            meta.config.schedule.epochs,
            when(meta.saved_at_ms)
        );
        Some(view! {
            <div class="banner resume-offer" role="region" aria-label="interrupted run" data-testid="resume-offer">
                <p>{text}</p>
                <div class="buttons">
                    <button class="primary" data-testid="resume-checkpoint" disabled=move || lab.busy_experiment().is_some() || !lab.data.with(crate::ui::tabs::data::DataState::is_ready)
                        on:click=resume>{format!("Resume from epoch {done}")}</button>
                    <button data-testid="discard-checkpoint" on:click=discard>"Discard it"</button>
                </div>
                {move || error.get().map(|e| view! { <p class="warning small" role="alert">{e}</p> })}
            </div>
        })
    })
    .into_any()
}
