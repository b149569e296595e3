//! P2D's controls and live progress: the sweep's setup (hyper-parameters, factors,
//! replicates, backend, workers), Train sweep / Pause / Cancel, what is kept; then the
//! overall bar, one line per busy worker, the ETA and the throughput.

use leptos::prelude::*;

use super::Sweep;
use super::plan::{MAX_WORKERS, network_epochs};
use super::controller::cores;
use crate::experiment::p2d::SweepSpec;
use crate::experiment::{ExperimentId, PageQuery};
use crate::ui::components::controls::{BackendSelect, FieldErrors, NumberField, RunButtons, commit};
use crate::ui::components::format;
use crate::ui::kept::StoreState;

/// Hyper-parameters, factors, replicates, backend, workers; Train sweep / Cancel; status;
/// what is stored.
#[component]
pub(super) fn SweepControls(
    sweep: Sweep,
    #[prop(into)]
    data_ready: Signal<bool>,
    #[prop(into)]
    blocked: Signal<Option<String>>,
    on_train: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let query = sweep.query;
    let errors = FieldErrors::default();
    let running = Signal::derive(move || sweep.busy.get());
    let total = move || sweep.plan.with(Vec::len);
    let finished = move || sweep.finished_count();
    let all_done = move || total() > 0 && finished() == total();
    let can_train = move || data_ready.get() && !running.get() && blocked.with(Option::is_none) && !all_done() && errors.reason().is_none();
    let field = move |key: &'static str, label: &'static str, hint: &'static str, get: fn(&PageQuery) -> String, inputmode: &'static str| {
        view! {
            <NumberField
                key=key
                label=label
                hint=hint
                value=Signal::derive(move || query.with(get))
                disabled=running
                inputmode=inputmode
                errors=errors
                on_commit=Callback::new(move |raw: String| {
                    if key == "factors" {
                        // Checked here too for a message that names the rule.
                        let factors = SweepSpec::parse_factors(&raw)?;
                        if factors.iter().enumerate().any(|(i, f)| factors[..i].contains(f)) {
                            return Err("each factor once".into());
                        }
                    }
                    commit(query, key, &raw)
                })
            />
        }
    };
    let train_label = move || {
        let (done, total) = (finished(), total());
        if running.get() {
            "Training…".to_string()
        } else if done > 0 && done < total { format!("Resume sweep ({done} of {total} done)") } else { "Train sweep".to_string() }
    };
    let max_workers = cores().clamp(1, MAX_WORKERS);
    let worker_options = (1..=max_workers.max(sweep.cpu_workers.get_untracked()))
        .map(|n| view! { <option value=n.to_string() selected=move || sweep.cpu_workers.get() == n>{n.to_string()}</option> })
        .collect_view();
    let forgot = RwSignal::new(None::<String>);
    let forget = move |_| {
        let removed = sweep.forget();
        forgot.set(Some(format!("forgot {} kept network{}", removed, if removed == 1 { "" } else { "s" })));
    };
    view! {
        <div class="controls">
            <RunButtons
                status=Signal::derive(move || sweep.status())
                can_train=Signal::derive(can_train)
                train_label=Signal::derive(train_label)
                cancelling=Signal::derive(move || sweep.cancelling.get())
                on_train=on_train
                on_pause=Callback::new(move |()| sweep.pause())
                on_resume=Callback::new(move |()| sweep.resume())
                on_cancel=on_cancel
            />
            <div class="fields">
                {field("epochs", "Epochs per network", "1–200 (seed: 40)", |q| q.config.schedule.epochs.to_string(), "decimal")}
                {field("batch_size", "Batch size", "1–8192", |q| q.config.schedule.batch_size.to_string(), "decimal")}
                {field("lr", "Learning rate (SGD)", "0 < lr ≤ 10", |q| q.config.optimizer.lr().to_string(), "decimal")}
                {field("seed", "Seed", "each network's seed derives from it", |q| q.config.schedule.seed.to_string(), "decimal")}
                {field("train_size", "Training images", "1–60000", |q| q.config.data.train_size.to_string(), "decimal")}
                {field("factors", "L2 factors", "comma-separated, each in (0, 1]", |q| q.sweep.factors_string(), "text")}
                {field("replicates", "Replicates per factor", "1–10 (seed: 3)", |q| q.sweep.replicates.to_string(), "decimal")}
                <BackendSelect query=query disabled=running />
                <label class="field" for="field-workers">
                    <span class="label">"CPU workers"</span>
                    <select id="field-workers" name="workers" data-testid="input-workers"
                        prop:value=move || sweep.cpu_workers.get().to_string()
                        disabled=running
                        on:change=move |ev| {
                            let raw = event_target_value(&ev);
                            // The choice is part of the setup: it goes into the URL too.
                            if let (Ok(n), Ok(())) = (raw.parse::<usize>(), commit(query, "workers", &raw)) {
                                sweep.cpu_workers.set(n.clamp(1, MAX_WORKERS));
                            }
                        }>
                        {worker_options}
                    </select>
                    <span class="hint">{format!("networks trained at once on the CPU ({} cores here); WebGPU uses one", cores())}</span>
                </label>
            </div>
            <p class="muted">
                {move || query.with(|q| format!(
                    "{} networks ({} factors × {} replicates) × {} × {} steps; validation on all 10,000 test images after every epoch.",
                    q.sweep.len(), q.sweep.factors.len(), q.sweep.replicates,
                    format::epochs(q.config.schedule.epochs), format::thousands(q.config.steps_per_epoch())
                ))}
            </p>
            {move || {
                let reason = if running.get() {
                    None
                } else if !data_ready.get() {
                    Some("Train is enabled once the dataset has loaded.".to_string())
                } else if let Some(reason) = blocked.get() {
                    Some(reason)
                } else if let Some(reason) = errors.reason() {
                    Some(reason)
                } else if all_done() {
                    Some("Every network of this setup is finished and stored; change the setup, or forget the stored results to train it again.".to_string())
                } else {
                    None
                };
                reason.map(|r| view! { <p class="muted">{r}</p> })
            }}
            {move || {
                let kept = sweep.cancelled.get()?;
                (!running.get()).then(|| view! {
                    <p class="note" data-testid="cancelled-note">
                        {format!("cancelled: {kept} of {} networks finished and kept; Resume goes on with the next one", total())}
                    </p>
                })
            }}
            <p class="muted small storage-line">
                {move || match sweep.kept.state.get() {
                    StoreState::Unavailable(why) => format!("{why}. "),
                    _ => format!("Finished networks are kept in this browser with every other run: {} P2D networks kept, all setups. ", sweep.kept.count(ExperimentId::P2d)),
                }}
                <button class="link" data-testid="forget-results" disabled=move || running.get() on:click=forget>
                    "Forget stored results"
                </button>
                " " {move || forgot.get()}
            </p>
            {move || sweep.kept.message.get().map(|e| view! { <p class="warning small" data-testid="store-error">{e}</p> })}
            {move || sweep.retry_note.get().map(|note| view! { <p class="warning small" role="status" data-testid="sweep-retry">{note}</p> })}
        </div>
    }
}

/// The sweep in progress: backend, overall bar, one line per busy worker, ETA, throughput.
#[component]
pub(super) fn SweepProgress(sweep: Sweep) -> impl IntoView {
    let total = move || sweep.plan.with(Vec::len);
    let epochs = move || sweep.query.with(|q| q.config.schedule.epochs);
    let backend = move || {
        sweep.backend.get().map(|b| (b.name, b.fallback_reason)).or_else(|| {
            // Nothing trained in this visit: the backend that trained the stored networks.
            sweep.results().first().map(|(_, r)| (format!("{} (stored results)", r.backend), None))
        })
    };
    let eta = move || match (sweep.busy.get(), sweep.eta_seconds()) {
        (true, Some(eta)) => format!("about {} left", format::duration(eta)),
        (true, None) => "estimating…".into(),
        _ => "—".into(),
    };
    let per_minute = move || {
        sweep.session.with(|s| s.as_ref().and_then(|s| s.per_minute()).map_or("—".into(), |r| format!("{r:.2}")))
    };
    let throughput_note = move || {
        sweep.session.with(|s| {
            s.as_ref().filter(|s| s.finished > 0).map(|s| {
                format!(
                    "{} network{} in {} with {} worker{}",
                    s.finished,
                    if s.finished == 1 { "" } else { "s" },
                    format::duration(s.elapsed_seconds()),
                    s.workers,
                    if s.workers == 1 { "" } else { "s" }
                )
            })
        })
    };
    let per_network = move || {
        let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let seconds: Vec<f64> = sweep.results().iter().map(|(_, r)| r.seconds).collect();
        let walls = sweep.session.with(|s| s.as_ref().map(|s| s.walls.clone()).unwrap_or_default());
        match (mean(&walls), mean(&seconds)) {
            (Some(wall), Some(training)) => view! {
                {format::duration(wall)}
                <span class="muted small">{format!(" ({} of it training and validation)", format::duration(training))}</span>
            }.into_any(),
            (None, Some(training)) => view! {
                {format::duration(training)} <span class="muted small">" training and validation"</span>
            }.into_any(),
            _ => view! { "—" }.into_any(),
        }
    };
    let slot_lines = move || {
        sweep
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| {
                let slot = *slot;
                let network = slot.network.get()?;
                let step = move || {
                    let epochs = network_epochs(&slot.network.get());
                    let validating = slot.validating();
                    if slot.final_pass() {
                        return format!("{} done — final pass over the 10,000 test images…", format::epochs(epochs));
                    }
                    slot.step.with(|s| match s {
                        Some(s) if validating => format!("epoch {} of {epochs} — validating on the 10,000 test images…", s.epoch),
                        Some(s) => format!("epoch {} of {epochs} — step {}/{}", s.epoch, s.step, s.steps),
                        None => slot.phase.get().unwrap_or_else(|| "starting".into()),
                    })
                };
                let label = network.label();
                Some(view! {
                    <div class="slot-line">
                        <span class="label"><span class="muted">{format!("worker {} · ", i + 1)}</span> {label} " — " {step}</span>
                        <progress max=move || network_epochs(&slot.network.get()).max(1).to_string()
                            value=move || format!("{:.3}", slot.epochs_done())></progress>
                    </div>
                })
            })
            .collect_view()
    };
    view! {
        <div class="progress-panel">
            <p class="status-line">
                "Backend: "
                {move || match backend() {
                    Some((name, reason)) => view! {
                        <strong data-testid="backend">{name}</strong>
                        {reason.map(|r| view! { <span class="warning" data-testid="backend-fallback">" (fallback: " {r} ")"</span> })}
                    }.into_any(),
                    None => view! { <strong data-testid="backend">"—"</strong> }.into_any(),
                }}
                {move || (sweep.busy.get()).then(|| format!(" · {} worker{} training", sweep.workers.get(), if sweep.workers.get() == 1 { "" } else { "s" }))}
            </p>
            <div class="bars">
                <label>
                    <span class="label">
                        <span data-testid="networks-done">{move || sweep.finished_count()}</span>
                        {move || format!(" of {} networks finished ({} each)", total(), format::epochs(epochs()))}
                    </span>
                    <progress data-testid="sweep-progress" max="1" value=move || format!("{:.4}", sweep.fraction_done())></progress>
                </label>
            </div>
            <div class="slots" data-testid="sweep-current">{slot_lines}</div>
            <dl class="figures">
                <div><dt>"ETA (whole sweep)"</dt><dd data-testid="eta">{eta}</dd></div>
                <div><dt>"networks / minute"</dt><dd><span data-testid="networks-per-minute">{per_minute}</span>
                    {move || throughput_note().map(|n| view! { <span class="muted small">" (" {n} ")"</span> })}</dd></div>
                <div><dt>"time per network"</dt><dd>{per_network}</dd></div>
                <div><dt>"done"</dt><dd>{move || format!("{:.0} %", 100.0 * sweep.fraction_done())}</dd></div>
            </dl>
        </div>
    }
}
