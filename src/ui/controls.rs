//! The run's controls: hyper-parameters, backend, Train and Cancel. Every accepted edit is
//! written back to the URL, so the address bar always reproduces the setup.

use leptos::prelude::*;

use super::format;
use super::state::{RunState, RunStatus};
use crate::experiment::{BackendChoice, ExperimentId, PageQuery};
use crate::web;

/// The query's values as URL pairs (unencoded), the form [`PageQuery::parse`] reads.
fn pairs_of(query: &PageQuery) -> Vec<(String, String)> {
    let c = &query.config;
    let mut pairs = vec![
        ("experiment".to_string(), c.experiment.as_str().to_string()),
        ("epochs".to_string(), c.epochs.to_string()),
        ("batch_size".to_string(), c.batch_size.to_string()),
        ("lr".to_string(), c.lr.to_string()),
        ("seed".to_string(), c.seed.to_string()),
        ("train_size".to_string(), c.train_size.to_string()),
        ("test_size".to_string(), c.test_size.to_string()),
        ("backend".to_string(), query.backend.as_str().to_string()),
    ];
    if let (ExperimentId::P4, Some(epochs)) = (c.experiment, query.cnn_epochs) {
        pairs.push(("cnn_epochs".into(), epochs.to_string()));
    }
    if c.experiment == ExperimentId::P2d {
        pairs.push(("factors".into(), query.sweep.factors_string()));
        pairs.push(("replicates".into(), query.sweep.replicates.to_string()));
    }
    if query.autostart {
        pairs.push(("autostart".into(), "1".into()));
    }
    if let Some(data) = &query.data {
        pairs.push(("data".into(), data.clone()));
    }
    pairs
}

/// Applies `key=raw` to the query with the URL's own parser and range checks; on success
/// updates the query and the address bar, else returns the reason.
pub(super) fn commit(query: RwSignal<PageQuery>, key: &str, raw: &str) -> Result<(), String> {
    let current = query.get_untracked();
    let pairs = pairs_of(&current)
        .into_iter()
        .map(|(k, v)| if k == key { (k, raw.trim().to_string()) } else { (k, v) });
    let (next, errors) = PageQuery::parse(pairs);
    if !errors.is_empty() {
        return Err(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "));
    }
    if next != current {
        web::replace_query(&next.to_query_string());
        query.set(next);
    }
    Ok(())
}

/// Hyper-parameter fields, backend choice, Train/Cancel and the run's status.
#[component]
pub fn RunControls(
    /// The page's query (the next run's setup); edited here.
    query: RwSignal<PageQuery>,
    /// The run whose status is shown and which Train/Cancel act on.
    run: RunState,
    /// Whether the dataset is loaded (Train waits for it).
    #[prop(into)]
    data_ready: Signal<bool>,
    /// Starts a run with the current query.
    on_train: Callback<()>,
    /// Cancels the running run.
    on_cancel: Callback<()>,
    /// Why Train cannot start now besides the dataset (another experiment is training).
    #[prop(into)]
    blocked: Signal<Option<String>>,
) -> impl IntoView {
    let running = Signal::derive(move || run.is_running());
    let can_train = move || data_ready.get() && !running.get() && blocked.with(Option::is_none);
    let field = move |key: &'static str, label: &'static str, hint: &'static str, get: fn(&PageQuery) -> String| {
        view! {
            <NumberField
                key=key
                label=label
                hint=hint
                value=Signal::derive(move || query.with(get))
                disabled=running
                on_commit=Callback::new(move |raw: String| commit(query, key, &raw))
            />
        }
    };
    view! {
        <div class="controls">
            <div class="fields">
                {field("epochs", "Epochs", "1–200", |q| q.config.epochs.to_string())}
                {field("batch_size", "Batch size", "1–8192", |q| q.config.batch_size.to_string())}
                {field("lr", "Learning rate", "0 < lr ≤ 10", |q| q.config.lr.to_string())}
                {field("seed", "Seed", "any whole number", |q| q.config.seed.to_string())}
                {field("train_size", "Training images", "1–60000", |q| q.config.train_size.to_string())}
                {field("test_size", "Test images", "1–10000", |q| q.config.test_size.to_string())}
                <BackendSelect query=query disabled=running />
            </div>
            <p class="muted">
                {move || query.with(|q| format!(
                    "{} steps per epoch; validation on {} test images after every epoch.",
                    format::thousands(q.config.steps_per_epoch()),
                    if q.config.test_size == crate::experiment::config::TEST_IMAGES { "all 10,000".to_string() } else { format!("the first {}", format::thousands(q.config.test_size)) }
                ))}
            </p>
            <div class="buttons">
                <button class="primary" data-testid="train-button" disabled=move || !can_train()
                    on:click=move |_| on_train.run(())>
                    "Train"
                </button>
                <button data-testid="cancel-button" disabled=move || !running.get()
                    on:click=move |_| on_cancel.run(())>
                    "Cancel"
                </button>
                <span class="run-status">
                    "Status: "
                    <strong data-testid="run-status"
                        class:error=move || run.status.with(|s| matches!(s, RunStatus::Error(_)))>
                        {move || run.status.with(RunStatus::label)}
                    </strong>
                </span>
            </div>
            <Show when=move || !data_ready.get() && !running.get()>
                <p class="muted">"Train is enabled once the dataset has loaded."</p>
            </Show>
            {move || (data_ready.get() && !running.get()).then(|| blocked.get()).flatten().map(|reason| view! { <p class="muted">{reason}</p> })}
            {move || {
                let completed = run.cancelled.get()?;
                (run.status.with(|s| *s == RunStatus::Idle)).then(|| view! {
                    <p class="note" data-testid="cancelled-note">
                        {format!("cancelled after {}", format::epochs(completed))}
                    </p>
                })
            }}
        </div>
    }
}

/// A number input committed on change; a refused value keeps the field's text and says why.
#[component]
pub(super) fn NumberField(
    /// URL key of the value (also the input's name).
    key: &'static str,
    /// Visible label.
    label: &'static str,
    /// The allowed range, shown under the field.
    hint: &'static str,
    /// The value currently in the query.
    #[prop(into)]
    value: Signal<String>,
    /// Disables the input (while a run is going).
    #[prop(into)]
    disabled: Signal<bool>,
    /// Tries to apply the typed text; `Err` is shown beside the field.
    on_commit: Callback<String, Result<(), String>>,
    /// The on-screen keyboard to ask for (`text` for lists).
    #[prop(default = "decimal")]
    inputmode: &'static str,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let id = format!("field-{key}");
    let label_for = id.clone();
    view! {
        <label class="field" for=label_for>
            <span class="label">{label}</span>
            <input id=id name=key type="text" inputmode=inputmode data-testid=format!("input-{key}")
                prop:value=value
                disabled=disabled
                class:invalid=move || error.with(Option::is_some)
                on:change=move |ev| error.set(on_commit.run(event_target_value(&ev)).err())
            />
            <span class="hint">
                {move || match error.get() {
                    Some(e) => format!("{e}; the run keeps {}", value.get()),
                    None => hint.to_string(),
                }}
            </span>
        </label>
    }
}

/// The backend choice: auto (WebGPU, else CPU), WebGPU only, or CPU.
#[component]
pub(super) fn BackendSelect(
    /// The page's query, whose `backend` this edits.
    query: RwSignal<PageQuery>,
    /// Disables the select (while a run is going).
    #[prop(into)]
    disabled: Signal<bool>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let options = [
        (BackendChoice::Auto, "auto"),
        (BackendChoice::Webgpu, "WebGPU"),
        (BackendChoice::Cpu, "CPU"),
    ]
    .into_iter()
    .map(|(choice, text)| {
        view! {
            <option value=choice.as_str() selected=move || query.with(|q| q.backend == choice)>{text}</option>
        }
    })
    .collect_view();
    view! {
        <label class="field" for="field-backend">
            <span class="label">"Backend"</span>
            <select id="field-backend" name="backend" data-testid="input-backend"
                prop:value=move || query.with(|q| q.backend.as_str().to_string())
                disabled=disabled
                on:change=move |ev| error.set(commit(query, "backend", &event_target_value(&ev)).err())>
                {options}
            </select>
            <span class="hint">{move || error.get().unwrap_or_else(|| "auto: WebGPU if the browser has it, else CPU".into())}</span>
        </label>
    }
}
