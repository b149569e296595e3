//! Problem 2D, the weight-decay study: the 500-300 model, the sweep's controls and live
//! progress, a small accuracy curve per network, one network's training log, the seed's
//! table and four plots, and the seed's answers with this sweep's numbers.

pub mod answers;
pub mod charts;
pub mod controller;

use leptos::prelude::*;

use answers::{Answer2D, SeedNotes2D, SweepFigures};
use crate::ui::components::controls::{BackendSelect, FieldErrors, NumberField, RunButtons, commit};
use crate::ui::components::format;
use crate::ui::components::model_table::ModelSummaryTable;
use controller::{MAX_WORKERS, PlannedNetwork, Sweep, cores, factor_label};
use charts::{CompareChart, NetworkCurve, StatKind, StatsChart};
use crate::ui::kept::StoreState;
use crate::experiment::p2d::SweepSpec;
use crate::experiment::seed::{LECUN_500_300_WEIGHT_DECAY_ACCURACY, P2D_BEST_ACCURACY};
use crate::experiment::{EpochMetrics, ExperimentId, PageQuery};
use crate::model::summary::mlp_summary;

/// The P2D tab's content.
#[component]
pub fn P2dPanel(
    /// The sweep (state, controller and its query).
    sweep: Sweep,
    /// Whether the dataset is loaded (Train waits for it).
    #[prop(into)]
    data_ready: Signal<bool>,
    /// Why training cannot start now besides the dataset (P2 is training), if it cannot.
    #[prop(into)]
    blocked: Signal<Option<String>>,
    /// Starts (or resumes) the sweep.
    on_train: Callback<()>,
    /// Cancels it.
    on_cancel: Callback<()>,
) -> impl IntoView {
    let spec = Signal::derive(move || sweep.query.with(|q| q.sweep.clone()));
    let stats = Signal::derive(move || sweep.stats());
    let figures = Signal::derive(move || figures(&sweep));
    view! {
        <h2>"Problem 2D — weight decay: a 500-300 network with L2 on its hidden kernels"</h2>
        <SweepControls sweep=sweep data_ready=data_ready blocked=blocked on_train=on_train on_cancel=on_cancel />
        <SweepProgress sweep=sweep />
        <p class="lede-small">
            "The seed updates the model to two hidden layers of 500 and 300 units, trains it for 40 epochs with "
            "weight decay (Keras " <code>"kernel_regularizer=l2(factor)"</code> " on both hidden layers), for five "
            "factors from 0.000001 to 0.001 and three replicate networks each — 15 networks — and compares the best "
            "with LeCun's table: 500+300 hidden units with weight decay, 1.53 % test error (0.9847)."
        </p>
        <div class="two-col">
            <div>
                <h3>"The model"</h3>
                <ModelSummaryTable summary=mlp_summary(&[500, 300]) />
                <p class="muted">
                    "Flatten → Dense(500, ReLU, l2) → Dense(300, ReLU, l2) → Dense(10, softmax); SGD lr 0.1, "
                    "batch 128, 40 epochs per network: the seed's defaults in the controls below. The L2 penalty "
                    "factor · Σw² of both hidden kernels is added to the loss, as Keras does."
                </p>
            </div>
            <SeedSweep />
        </div>
        <h3>"The networks"</h3>
        <p class="muted small">
            "Training (blue) and validation (orange) accuracy per epoch of every network, one row per factor; "
            "click one to see its training log below."
        </p>
        <NetworkGrid sweep=sweep />
        <NetworkLog sweep=sweep />
        <div class="two-col">
            <div>
                <h3>"2D · the seed's table"</h3>
                <SweepTable sweep=sweep />
                <BestNetwork sweep=sweep />
                <SeedNotes2D />
            </div>
            <Answer2D figures=figures />
        </div>
        <h3>"2D · the seed's four plots"</h3>
        <div class="chart-grid">
            <StatsChart kind=StatKind::Final stats=stats spec=spec />
            <StatsChart kind=StatKind::Mean stats=stats spec=spec />
            <StatsChart kind=StatKind::Max stats=stats spec=spec />
            <CompareChart stats=stats spec=spec />
        </div>
        <p class="muted small">
            "Error bars: ± the standard deviation over the replicates (np.std). Dashed: LeCun's table (red) and the "
            "seed notebook's best network (grey)."
        </p>
    }
}

/// What the answer quotes from this sweep.
fn figures(sweep: &Sweep) -> SweepFigures {
    let stats = sweep.stats();
    let best = sweep.best().map(|(n, accuracy)| (n.factor, accuracy, format!("network {} of {}, replicate {}", n.index + 1, n.total, n.replicate + 1)));
    let best_mean = stats.iter().max_by(|a, b| a.mean.total_cmp(&b.mean)).map(|s| (s.factor, s.mean, s.replicates));
    let spread: Vec<f64> = stats.iter().filter(|s| s.replicates >= 2).map(|s| s.std).collect();
    let std_range = (!spread.is_empty()).then(|| (spread.iter().copied().fold(f64::MAX, f64::min), spread.iter().copied().fold(f64::MIN, f64::max)));
    let means: Vec<f64> = stats.iter().map(|s| s.mean).collect();
    let mean_spread = (means.len() >= 2).then(|| means.iter().copied().fold(f64::MIN, f64::max) - means.iter().copied().fold(f64::MAX, f64::min));
    SweepFigures { best, best_mean, std_range, mean_spread, finished: sweep.finished_count(), total: sweep.plan.with(Vec::len) }
}

/// The seed's sweep as its notebook ran it (beside the model).
#[component]
fn SeedSweep() -> impl IntoView {
    view! {
        <aside class="seed-answer">
            <h4>"The seed's sweep" <span class="muted">" · from the seed notebook"</span></h4>
            <pre class="inline small">"regularization_factor = [0.000001, 0.00001,\n                         0.0001, 0.0005, 0.001]\nfor i in regularization_factor:\n    for j in range(0, 3):\n        model_fit.append(weight_decay_model(i))"</pre>
            <p>
                "Each network: SGD(learning_rate=0.1), batch 128, 40 epochs, validated on the 10,000 test images. "
                "Its first network (factor 1e-6) ended at epoch 40 with loss 0.0900, accuracy 0.9933, "
                "val_loss 0.1180, val_accuracy 0.9808. Best of the 15: " {format!("{P2D_BEST_ACCURACY:.4}")} "."
            </p>
            <p class="muted small">
                "Its log shows 1–2 s per epoch: 15 networks × 40 epochs took about a quarter of an hour. On this "
                "page's CPU backend the full sweep takes far longer (networks per minute are measured below while it "
                "runs); fewer training images or epochs give a quick, smaller study, and finished networks are kept, "
                "so a sweep can be resumed later."
            </p>
        </aside>
    }
}

/// Hyper-parameters, factors, replicates, backend, workers; Train sweep / Cancel; status;
/// what is stored.
#[component]
fn SweepControls(
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
                {field("epochs", "Epochs per network", "1–200 (seed: 40)", |q| q.config.epochs.to_string(), "decimal")}
                {field("batch_size", "Batch size", "1–8192", |q| q.config.batch_size.to_string(), "decimal")}
                {field("lr", "Learning rate (SGD)", "0 < lr ≤ 10", |q| q.config.lr.to_string(), "decimal")}
                {field("seed", "Seed", "each network's seed derives from it", |q| q.config.seed.to_string(), "decimal")}
                {field("train_size", "Training images", "1–60000", |q| q.config.train_size.to_string(), "decimal")}
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
                    format::epochs(q.config.epochs), format::thousands(q.config.steps_per_epoch())
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
fn SweepProgress(sweep: Sweep) -> impl IntoView {
    let total = move || sweep.plan.with(Vec::len);
    let epochs = move || sweep.query.with(|q| q.config.epochs);
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

fn network_epochs(network: &Option<PlannedNetwork>) -> usize {
    network.as_ref().map_or(0, |n| n.config.epochs)
}

/// One small chart per network, a row per factor.
#[component]
fn NetworkGrid(sweep: Sweep) -> impl IntoView {
    move || {
        let plan = sweep.plan.get();
        let replicates = plan.first().map_or(1, |n| n.replicates.max(1));
        plan.chunks(replicates)
            .map(|row| {
                let factor = row.first().map_or(0.0, |n| n.factor);
                let cells = row.iter().cloned().map(|network| view! { <NetworkCell sweep=sweep network=network /> }).collect_view();
                view! {
                    <div class="net-row">
                        <div class="net-factor">"factor " <strong>{factor_label(factor)}</strong></div>
                        <div class="net-cells">{cells}</div>
                    </div>
                }
            })
            .collect_view()
    }
}

#[component]
fn NetworkCell(sweep: Sweep, network: PlannedNetwork) -> impl IntoView {
    let key = network.key.clone();
    let (k1, k2, k3, k4) = (key.clone(), key.clone(), key.clone(), key.clone());
    let done = Signal::derive(move || sweep.finished.with(|f| f.get(&k1).and_then(|r| r.history.last().map(|m| m.val_accuracy))));
    let running = move || sweep.slot_of(&k2).is_some();
    let selected = move || sweep.selected.with(|s| s.as_deref() == Some(k3.as_str())) || (sweep.selected.with(Option::is_none) && network.index == 0);
    let state = move || {
        if let Some(accuracy) = done.get() {
            return format!("val. acc. {accuracy:.4}");
        }
        if let Some(slot) = sweep.slot_of(&k4) {
            let epochs = network_epochs(&slot.network.get());
            return match slot.history.with(|h| h.last().map(|m| m.val_accuracy)) {
                Some(a) if slot.final_pass() => format!("testing · {a:.4}"),
                Some(a) => format!("epoch {}/{} · {a:.4}", slot.history.with(Vec::len), epochs),
                None => format!("training · epoch 1/{epochs}"),
            };
        }
        if sweep.busy.get() { "queued".into() } else { "not trained".into() }
    };
    let number = network.index + 1;
    let title = format!("network {number}: factor {}, replicate {}", factor_label(network.factor), network.replicate + 1);
    view! {
        <button type="button" class="net-cell" title=title
            class:done=move || done.with(Option::is_some) class:running=running class:selected=selected
            on:click=move |_| sweep.selected.set(Some(key.clone()))>
            <NetworkCurve key=network.key.clone() number=number epochs=network.config.epochs sweep=sweep />
            <span class="net-caption">
                <span>{format!("#{number} · replicate {}", network.replicate + 1)}</span>
                <span class="net-state">{state}</span>
            </span>
        </button>
    }
}

/// The selected network's (default: the first) Keras-style log and test figures.
#[component]
fn NetworkLog(sweep: Sweep) -> impl IntoView {
    let network = Memo::new(move |_| {
        let selected = sweep.selected.get();
        sweep.plan.with(|p| selected.and_then(|key| p.iter().find(|n| n.key == key).cloned()).or_else(|| p.first().cloned()))
    });
    let history = move || -> (Vec<EpochMetrics>, Option<crate::experiment::RunResult>) {
        let Some(n) = network.get() else { return (Vec::new(), None) };
        if let Some(result) = sweep.finished.with(|f| f.get(&n.key).cloned()) {
            return (result.history.clone(), Some(result));
        }
        (sweep.slot_of(&n.key).map(|s| s.history.get()).unwrap_or_default(), None)
    };
    let title = move || {
        network.with(|n| match n {
            Some(n) => format!("Training log of {}", n.label()),
            None => "Training log".into(),
        })
    };
    let log = move || {
        let Some(n) = network.get() else { return String::new() };
        let (epochs, steps) = (n.config.epochs, n.config.steps_per_epoch());
        let (h, _) = history();
        let mut lines = vec![format!("Model with regularization factor:{}, and it is the {} networks for {}", factor_label(n.factor), n.replicate + 1, factor_label(n.factor))];
        lines.extend(h.iter().map(|m| m.keras_lines(epochs, steps)));
        lines.join("\n")
    };
    let test = move || {
        history().1.map(|r| view! {
            <p class="mono small">
                "Test loss: " <span data-testid="test-loss">{format!("{:.4}", r.test_loss)}</span>
                ", Test accuracy " <span data-testid="test-accuracy">{format!("{:.4}", r.test_accuracy)}</span>
                <span class="muted">{format!("  ({}, {:.1} s)", r.backend, r.seconds)}</span>
            </p>
        })
    };
    // Shown once the network has a finished epoch (no empty log box before).
    let has_epochs = move || !history().0.is_empty();
    view! {
        <Show when=has_epochs>
            <h3>{title}</h3>
            <pre class="epoch-log" data-testid="epoch-log" tabindex="0" aria-label=title>{log}</pre>
            {test}
        </Show>
    }
}

/// The seed's table: per factor, the last replicate's final validation accuracy, the mean,
/// standard deviation and max over the replicates, and how many replicates are done.
#[component]
fn SweepTable(sweep: Sweep) -> impl IntoView {
    let rows = move || {
        let stats = sweep.stats();
        let best_factor = sweep.best().map(|(n, _)| n.factor);
        sweep.query.with(|q| {
            q.sweep
                .factors
                .iter()
                .map(|&factor| {
                    let s = stats.iter().find(|s| s.factor == factor).cloned();
                    let cell = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.4}"));
                    view! {
                        <tr class:best=best_factor == Some(factor)>
                            <td><code>{factor_label(factor)}</code></td>
                            <td class="num">{cell(s.as_ref().map(|s| s.final_accuracy))}</td>
                            <td class="num">{cell(s.as_ref().map(|s| s.mean))}</td>
                            <td class="num">{cell(s.as_ref().map(|s| s.std))}</td>
                            <td class="num">{cell(s.as_ref().map(|s| s.max))}</td>
                            <td class="num">{s.as_ref().map_or(0, |s| s.replicates)}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <div class="scroll-x">
            <crate::ui::components::wide::Wide label="the sweep table" csv="p2d-sweep-table"><table class="compare sweep-table" data-testid="sweep-table">
                <thead>
                    <tr>
                        <th>"Regularization factor"</th>
                        <th class="num">"Final val. accuracy (last replicate)"</th>
                        <th class="num">"Mean"</th>
                        <th class="num">"Std"</th>
                        <th class="num">"Max"</th>
                        <th class="num">{move || format!("Replicates done (of {})", sweep.query.with(|q| q.sweep.replicates))}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table></crate::ui::components::wide::Wide>
        </div>
    }
}

/// The best network of the sweep beside the seed's best and LeCun's figure.
#[component]
fn BestNetwork(sweep: Sweep) -> impl IntoView {
    move || match sweep.best() {
        None => view! { <p class="muted">"The best network appears here when one has finished."</p> }.into_any(),
        Some((network, accuracy)) => view! {
            <div class="best-network">
                <p>
                    "Best network of this sweep: "
                    <strong class="big" data-testid="best-accuracy">{format!("{accuracy:.4}")}</strong>
                    " with factor "
                    <strong data-testid="best-factor">{factor_label(network.factor)}</strong>
                    <span class="muted">{format!(" (replicate {}, network {} of {})", network.replicate + 1, network.index + 1, network.total)}</span>
                </p>
                // The seed's and LeCun's figures are MNIST's.
                {crate::ui::seed_applies().then(|| view! { <p class="muted small" data-testid="best-references">
                    {format!(
                        "Seed notebook's best: {P2D_BEST_ACCURACY:.4} · LeCun's table (500+300, weight decay): {LECUN_500_300_WEIGHT_DECAY_ACCURACY:.4} · ours {} {:.4} {} it",
                        "is", (LECUN_500_300_WEIGHT_DECAY_ACCURACY - accuracy).abs(),
                        if accuracy <= LECUN_500_300_WEIGHT_DECAY_ACCURACY { "below" } else { "above" }
                    )}
                </p> })}
            </div>
        }.into_any(),
    }
}
