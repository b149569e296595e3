//! A run in progress: phase, backend, step and epoch bars, ETA, running metrics.

use leptos::prelude::*;

use super::format;
use crate::ui::state::{RunState, RunStatus};

/// The live view of a run (also what stays on screen after it ends or fails).
#[component]
pub fn RunProgress(
    /// The run to show.
    run: RunState,
) -> impl IntoView {
    let epochs = move || run.config.with(|c| c.as_ref().map_or(0, |c| c.schedule.epochs));
    let has_run = move || run.config.with(Option::is_some);
    let step_text = move || {
        if let (Some((done, total)), Some(epoch)) = (run.validating.get(), run.step.with(|s| s.as_ref().map(|s| s.epoch))) {
            return format!("epoch {epoch} — validating: {} of {} test images", format::thousands(done), format::thousands(total));
        }
        run.step.with(|s| match s {
            Some(s) => format!("epoch {} — step {}/{}", s.epoch, s.step, s.steps),
            None => "step —".into(),
        })
    };
    let epoch_text = move || format!("{:.1} of {} epochs", run.epochs_done(), epochs());
    let eta = move || match (run.status.get(), run.eta_seconds()) {
        (RunStatus::Paused, _) => "paused".into(),
        (RunStatus::Running, Some(eta)) => format!("about {} left", format::duration(eta)),
        // Every epoch is done: what remains is the analysis the phase line names.
        (RunStatus::Running, None) if run.history.with(Vec::len) >= epochs() && epochs() > 0 => "finishing (analysis)".into(),
        (RunStatus::Running, None) => "estimating…".into(),
        _ => "—".into(),
    };
    view! {
        <Show when=has_run fallback=|| view! { <p class="muted">"No run yet. Set the hyper-parameters and press Train."</p> }>
            <div class="progress-panel">
                <p class="status-line">
                    {move || run.stage.get().map(|stage| view! { <strong data-testid="run-stage">{stage.name}</strong> " · " })}
                    {move || run.phase.get().map(|phase| view! { <span data-testid="run-phase">{phase}</span> })}
                    {move || run.backend.get().map(|b| {
                        let reason = b.fallback_reason.map(|r| view! {
                            <span class="warning" data-testid="backend-fallback">" (fallback: " {r} ")"</span>
                        });
                        let threads = (b.name == "cpu" && b.threads > 0).then(|| view! {
                            " " <span data-testid="cpu-threads">{cpu_threads_text(b.threads)}</span>
                        });
                        view! { " · backend: " <strong data-testid="backend">{b.name}</strong> {threads} {reason} }
                    })}
                </p>
                {move || run.backend_choice.get().map(|line| view! { <p class="small muted" data-testid="backend-choice">{line}</p> })}
                <div class="bars">
                    <label>
                        <span class="label" data-testid="step-text">{step_text}</span>
                        <progress data-testid="step-progress"
                            max=move || run.step.with(|s| s.as_ref().map_or(1, |s| s.steps.max(1))).to_string()
                            value=move || run.step.with(|s| s.as_ref().map_or(0, |s| s.step)).to_string()>
                        </progress>
                    </label>
                    <label>
                        <span class="label">{epoch_text}</span>
                        <progress data-testid="epoch-progress"
                            max=move || epochs().max(1).to_string()
                            value=move || format!("{:.3}", run.epochs_done())>
                        </progress>
                    </label>
                </div>
                <dl class="figures">
                    <div><dt>"ETA"</dt><dd data-testid="eta">{eta}</dd></div>
                    <div><dt>"running loss"</dt><dd data-testid="running-loss">
                        {move || run.step.with(|s| s.as_ref().map_or("—".into(), |s| format!("{:.4}", s.loss)))}
                    </dd></div>
                    <div><dt>"running accuracy"</dt><dd data-testid="running-accuracy">
                        {move || run.step.with(|s| s.as_ref().and_then(|s| s.accuracy).map_or("—".into(), |a| format!("{a:.4}")))}
                    </dd></div>
                    <div><dt>"done"</dt><dd>{move || format!("{:.0} %", 100.0 * run.fraction_done())}</dd></div>
                </dl>
            </div>
        </Show>
    }
}

/// The Keras-style epoch log of the run, two lines per finished epoch, under its heading;
/// nothing before the first epoch ends. A run of several networks (P4 with its CNN) keeps
/// the earlier networks' logs above the current one's.
#[component]
pub fn EpochLog(
    /// The run whose finished epochs are listed.
    run: RunState,
) -> impl IntoView {
    let lines = |config: &crate::experiment::RunConfig, history: &[crate::experiment::EpochMetrics]| {
        history.iter().map(|m| m.keras_lines(config.schedule.epochs, config.steps_per_epoch())).collect::<Vec<_>>().join("\n")
    };
    let text = move || {
        let Some(config) = run.config.get() else { return String::new() };
        let current = run.history.with(|h| lines(&config, h));
        let mut parts: Vec<String> = run.earlier.with(|e| e.iter().map(|s| format!("# {}\n{}", s.name, lines(&s.config, &s.history))).collect());
        if !parts.is_empty() {
            if let Some(stage) = run.stage.get() {
                parts.push(format!("# {}\n{current}", stage.name));
            }
            return parts.join("\n");
        }
        current
    };
    let has_lines = move || run.history.with(|h| !h.is_empty()) || run.earlier.with(|e| !e.is_empty());
    view! {
        <Show when=has_lines>
            <h3>"Epoch log"</h3>
            <pre class="epoch-log" data-testid="epoch-log" tabindex="0" aria-label="Epoch log">{text}</pre>
        </Show>
    }
}

/// "(8 threads)", or "(1 thread: the page is not cross-origin isolated)": what the CPU
/// backend runs on, and why only one thread where that is so.
pub fn cpu_threads_text(threads: usize) -> String {
    if threads > 1 {
        return format!("({threads} threads)");
    }
    match crate::ui::threads::cpu_threads(None) {
        Err(why) => format!("(1 thread: {why})"),
        Ok(_) => "(1 thread)".into(),
    }
}
