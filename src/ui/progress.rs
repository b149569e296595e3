//! A run in progress: phase, backend, step and epoch bars, ETA, running metrics.

use leptos::prelude::*;

use super::format;
use super::state::{RunState, RunStatus};

/// The live view of a run (also what stays on screen after it ends or fails).
#[component]
pub fn RunProgress(
    /// The run to show.
    run: RunState,
) -> impl IntoView {
    let epochs = move || run.config.with(|c| c.as_ref().map_or(0, |c| c.epochs));
    let has_run = move || run.config.with(Option::is_some);
    let step_text = move || {
        run.step.with(|s| match s {
            Some(s) => format!("epoch {} — step {}/{}", s.epoch, s.step, s.steps),
            None => "step —".into(),
        })
    };
    let epoch_text = move || format!("{:.1} of {} epochs", run.epochs_done(), epochs());
    let eta = move || match (run.status.get(), run.eta_seconds()) {
        (RunStatus::Running, Some(eta)) => format!("about {} left", format::duration(eta)),
        (RunStatus::Running, None) => "estimating…".into(),
        _ => "—".into(),
    };
    view! {
        <Show when=has_run fallback=|| view! { <p class="muted">"No run yet. Set the hyper-parameters and press Train."</p> }>
            <div class="progress-panel">
                <p class="status-line">
                    {move || run.phase.get().map(|phase| view! { <span data-testid="run-phase">{phase}</span> })}
                    {move || run.backend.get().map(|b| {
                        let reason = b.fallback_reason.map(|r| view! {
                            <span class="warning" data-testid="backend-fallback">" (fallback: " {r} ")"</span>
                        });
                        view! { " · backend: " <strong data-testid="backend">{b.name}</strong> {reason} }
                    })}
                </p>
                <div class="bars">
                    <label>
                        <span class="label">{step_text}</span>
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
                        {move || run.step.with(|s| s.as_ref().filter(|s| s.accuracy.is_finite()).map_or("—".into(), |s| format!("{:.4}", s.accuracy)))}
                    </dd></div>
                    <div><dt>"done"</dt><dd>{move || format!("{:.0} %", 100.0 * run.fraction_done())}</dd></div>
                </dl>
            </div>
        </Show>
    }
}

/// The Keras-style epoch log of the run, two lines per finished epoch.
#[component]
pub fn EpochLog(
    /// The run whose finished epochs are listed.
    run: RunState,
) -> impl IntoView {
    let text = move || {
        let Some((epochs, steps)) = run.config.with(|c| c.as_ref().map(|c| (c.epochs, c.steps_per_epoch()))) else {
            return String::new();
        };
        run.history.with(|h| h.iter().map(|m| m.keras_lines(epochs, steps)).collect::<Vec<_>>().join("\n"))
    };
    view! {
        <pre class="epoch-log" data-testid="epoch-log">{text}</pre>
    }
}
