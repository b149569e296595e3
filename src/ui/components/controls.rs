//! The run's controls: hyper-parameters, backend, Train and Cancel. Every accepted edit is
//! written back to the URL, so the address bar always reproduces the setup.

use leptos::prelude::*;

use super::format;
use crate::ui::run_controller::RunController;
use crate::ui::state::RunStatus;
use crate::experiment::{BackendChoice, PageQuery};
use crate::web;

/// Applies `key=raw` to the query with the URL's own parser and range checks; on success
/// updates the query and the address bar, else returns the reason.
pub(crate) fn commit(query: RwSignal<PageQuery>, key: &str, raw: &str) -> Result<(), String> {
    let current = query.get_untracked();
    let mut pairs = current.to_pairs();
    match pairs.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = raw.trim().to_string(),
        None => pairs.push((key.to_string(), raw.trim().to_string())),
    }
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

/// The fields of a form that hold a refused value, with the reason, by URL key. Train waits
/// until none does, and says which.
#[derive(Clone, Copy)]
pub struct FieldErrors(RwSignal<Vec<(&'static str, String)>>);

impl Default for FieldErrors {
    fn default() -> Self {
        Self(RwSignal::new(Vec::new()))
    }
}

impl FieldErrors {
    /// Records the field's state: `Some(reason)` while its text is refused.
    pub fn set(&self, key: &'static str, error: Option<String>) {
        self.0.update(|errors| {
            errors.retain(|(k, _)| *k != key);
            if let Some(e) = error {
                errors.push((key, e));
            }
        });
    }

    /// Why Train is disabled by the form (tracked), if it is.
    pub fn reason(&self) -> Option<String> {
        self.0.with(|errors| errors.first().map(|(key, e)| format!("Fix the highlighted field ({key}: {e}) to train.")))
    }
}

/// Train, Pause/Resume and Cancel for one run, with its status as a polite live region.
/// Focus never falls to the page: Train hands it to Pause when the run starts, and the
/// run's end hands it back to Train.
#[component]
pub fn RunButtons(
    /// The run's status (`run-status`).
    #[prop(into)]
    status: Signal<RunStatus>,
    /// Whether Train may start now.
    #[prop(into)]
    can_train: Signal<bool>,
    /// Train's text.
    #[prop(into)]
    train_label: Signal<String>,
    on_train: Callback<()>,
    on_pause: Callback<()>,
    on_resume: Callback<()>,
    on_cancel: Callback<()>,
    /// Cancel is on its way (disables Cancel and Pause).
    #[prop(into, default = Signal::stored(false))]
    cancelling: Signal<bool>,
) -> impl IntoView {
    let train_ref = NodeRef::<leptos::html::Button>::new();
    let pause_ref = NodeRef::<leptos::html::Button>::new();
    let running = move || status.with(|s| matches!(s, RunStatus::Running | RunStatus::Paused));
    let paused = move || status.with(|s| *s == RunStatus::Paused);
    // When the run ends, the focused Pause/Cancel buttons disable themselves: give focus to
    // Train (if focus was on them, or fell to the page).
    Effect::new(move |was_running: Option<bool>| {
        let now_running = running();
        if was_running == Some(true) && !now_running {
            set_timeout(
                move || {
                    let focus_lost = web_sys::window()
                        .and_then(|w| w.document())
                        .map(|d| d.active_element().is_none_or(|e| d.body().is_some_and(|b| *b == e) || e.has_attribute("disabled")))
                        .unwrap_or(false);
                    // The panel may be gone by now (the report moved on to another tab).
                    if focus_lost && let Some(button) = train_ref.try_get_untracked().flatten() {
                        let _ = button.focus();
                    }
                },
                std::time::Duration::ZERO,
            );
        }
        now_running
    });
    view! {
        <div class="buttons">
            <button class="primary" data-testid="train-button" node_ref=train_ref disabled=move || !can_train.get()
                on:click=move |_| {
                    on_train.run(());
                    // Train is now disabled: keep the keyboard user on the run's controls.
                    set_timeout(move || if let Some(b) = pause_ref.try_get_untracked().flatten() { let _ = b.focus(); }, std::time::Duration::ZERO);
                }>
                {move || train_label.get()}
            </button>
            <button data-testid="pause-button" node_ref=pause_ref disabled=move || !running() || cancelling.get()
                aria-pressed=move || paused().to_string()
                on:click=move |_| if paused() { on_resume.run(()) } else { on_pause.run(()) }>
                {move || if paused() { "Resume" } else { "Pause" }}
            </button>
            <button data-testid="cancel-button" disabled=move || !running() || cancelling.get()
                on:click=move |_| on_cancel.run(())>
                "Cancel"
            </button>
            <span class="run-status" role="status" aria-live="polite">
                "Status: "
                <strong data-testid="run-status" class:error=move || status.with(|s| matches!(s, RunStatus::Error(_)))>
                    {move || status.with(RunStatus::label)}
                </strong>
            </span>
        </div>
    }
}

/// Hyper-parameter fields, backend choice, Train/Pause/Cancel and the run's status, for
/// one [`RunController`]. The buttons come first, so they are on the first screen.
#[component]
pub fn RunControls(
    /// The run and its worker; its query is edited here.
    ctl: RunController,
    /// Whether the dataset is loaded (Train waits for it).
    #[prop(into)]
    data_ready: Signal<bool>,
    /// Starts a run with the current query (the lab checks nothing else is training).
    on_train: Callback<()>,
    /// Why Train cannot start now besides the dataset (another experiment is training).
    #[prop(into)]
    blocked: Signal<Option<String>>,
    /// Extra fields of the experiment (P4's CNN stage), shown after the common ones.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let (query, run) = (ctl.query, ctl.run);
    let errors = FieldErrors::default();
    let running = Signal::derive(move || run.is_running());
    let can_train = Signal::derive(move || data_ready.get() && !running.get() && blocked.with(Option::is_none) && errors.reason().is_none());
    let field = move |key: &'static str, label: &'static str, hint: &'static str, get: fn(&PageQuery) -> String| {
        view! {
            <NumberField
                key=key
                label=label
                hint=hint
                value=Signal::derive(move || query.with(get))
                disabled=running
                errors=errors
                on_commit=Callback::new(move |raw: String| commit(query, key, &raw))
            />
        }
    };
    let why_not = move || {
        if running.get() {
            None
        } else if !data_ready.get() {
            Some("Train is enabled once the dataset has loaded.".to_string())
        } else {
            blocked.get().or_else(|| errors.reason())
        }
    };
    view! {
        <div class="controls">
            <RunButtons
                status=run.status
                can_train=can_train
                train_label=Signal::stored("Train".to_string())
                on_train=on_train
                on_pause=Callback::new(move |()| ctl.pause())
                on_resume=Callback::new(move |()| ctl.resume())
                on_cancel=Callback::new(move |()| ctl.cancel())
            />
            {move || why_not().map(|reason| view! { <p class="muted" data-testid="train-disabled-reason">{reason}</p> })}
            {move || {
                let completed = run.cancelled.get()?;
                (run.status.with(|s| *s == RunStatus::Idle)).then(|| view! {
                    <p class="note" data-testid="cancelled-note">
                        {format!("cancelled after {}", format::epochs(completed))}
                    </p>
                })
            }}
            <details class="settings" open>
                <summary>"Settings"</summary>
                <div class="fields">
                    {field("epochs", "Epochs", "1–200", |q| q.config.schedule.epochs.to_string())}
                    {field("batch_size", "Batch size", batch_hint(query.with_untracked(|q| q.config.experiment)), |q| q.config.schedule.batch_size.to_string())}
                    {field("lr", "Learning rate", "0 < lr ≤ 10", |q| q.config.optimizer.lr().to_string())}
                    {field("seed", "Seed", "any whole number", |q| q.config.schedule.seed.to_string())}
                    {field("train_size", "Training images", "1–60000", |q| q.config.data.train_size.to_string())}
                    {field("test_size", "Test images", "1–10000", |q| q.config.data.test_size.to_string())}
                    <BackendSelect query=query disabled=running />
                    {children.map(|c| c())}
                </div>
                <p class="muted small">
                    {move || query.with(|q| format!(
                        "{} steps per epoch; validation on {} test images after every epoch.",
                        format::thousands(q.config.steps_per_epoch()),
                        if q.config.data.test_size == crate::experiment::config::TEST_IMAGES { "all 10,000".to_string() } else { format!("the first {}", format::thousands(q.config.data.test_size)) }
                    ))}
                </p>
            </details>
        </div>
    }
}

/// A number input committed on change; a refused value keeps the field's text and says why.
#[component]
pub(crate) fn NumberField(
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
    /// The form's refused fields (this one's entry is kept up to date).
    errors: FieldErrors,
    /// The on-screen keyboard to ask for (`text` for lists).
    #[prop(default = "decimal")]
    inputmode: &'static str,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let id = format!("field-{key}");
    let label_for = id.clone();
    let hint_id = format!("hint-{key}");
    view! {
        <label class="field" for=label_for>
            <span class="label">{label}</span>
            <input id=id name=key type="text" inputmode=inputmode data-testid=format!("input-{key}")
                prop:value=value
                disabled=disabled
                class:invalid=move || error.with(Option::is_some)
                aria-invalid=move || error.with(Option::is_some).to_string()
                aria-describedby=hint_id.clone()
                on:change=move |ev| {
                    let refused = on_commit.run(event_target_value(&ev)).err();
                    errors.set(key, refused.clone());
                    error.set(refused);
                }
            />
            <span class="hint" id=hint_id>
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
pub(crate) fn BackendSelect(
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
            <span class="hint">{move || error.get().unwrap_or_else(|| "auto: the faster for this model, measured".into())}</span>
        </label>
    }
}

/// The batch size field's hint: the range its model takes (see
/// [`crate::experiment::config::max_batch_size`]: P3's CNN takes fewer than the MLPs).
fn batch_hint(experiment: crate::experiment::ExperimentId) -> &'static str {
    use crate::experiment::ExperimentId;
    static HINTS: std::sync::OnceLock<[String; 4]> = std::sync::OnceLock::new();
    let hints = HINTS.get_or_init(|| ExperimentId::ALL.map(|id| format!("1–{}", crate::experiment::config::max_batch_size(id))));
    ExperimentId::ALL.iter().position(|&id| id == experiment).map_or("1–8192", |i| hints[i].as_str())
}
