//! P2D's results: a small accuracy curve per network (a row per factor), the selected
//! network's training log, the seed's table over the finished networks, and the best
//! network beside the seed's best and LeCun's figure.

use leptos::prelude::*;

use super::Sweep;
use super::charts::NetworkCurve;
use super::plan::{PlannedNetwork, factor_label, network_epochs};
use crate::experiment::EpochMetrics;
use crate::experiment::seed::{LECUN_500_300_WEIGHT_DECAY_ACCURACY, P2D_BEST_ACCURACY};
use crate::ui::components::wide::Wide;
use crate::ui::seed_applies;

/// One small chart per network, a row per factor.
#[component]
pub(super) fn NetworkGrid(sweep: Sweep) -> impl IntoView {
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
pub(super) fn NetworkCell(sweep: Sweep, network: PlannedNetwork) -> impl IntoView {
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
            <NetworkCurve key=network.key.clone() number=number epochs=network.config.schedule.epochs sweep=sweep />
            <span class="net-caption">
                <span>{format!("#{number} · replicate {}", network.replicate + 1)}</span>
                <span class="net-state">{state}</span>
            </span>
        </button>
    }
}

/// The selected network's (default: the first) Keras-style log and test figures.
#[component]
pub(super) fn NetworkLog(sweep: Sweep) -> impl IntoView {
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
        let (epochs, steps) = (n.config.schedule.epochs, n.config.steps_per_epoch());
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
pub(super) fn SweepTable(sweep: Sweep) -> impl IntoView {
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
            <Wide label="the sweep table" csv="p2d-sweep-table"><table class="compare sweep-table" data-testid="sweep-table">
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
            </table></Wide>
        </div>
    }
}

/// The best network of the sweep beside the seed's best and LeCun's figure.
#[component]
pub(super) fn BestNetwork(sweep: Sweep) -> impl IntoView {
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
                {seed_applies().then(|| view! { <p class="muted small" data-testid="best-references">
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
