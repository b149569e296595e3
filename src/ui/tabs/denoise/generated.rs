//! Problem 4D: digits generated from the autoencoder's latent space — sampled codes and an
//! interpolation between two digits, decoded — each with the CNN's reading.

use leptos::html::Canvas;
use leptos::prelude::*;

use super::P4Run;
use crate::data::mnist::ROWS;
use crate::experiment::p4::{self, DEFAULT_INTERPOLATION, Generated, INTERPOLATION_STEPS, SAMPLES};
use crate::protocol::WorkerInput;
use crate::ui::charts::canvas::{DIGIT_SCALE, draw_digit};
use crate::ui::export::SaveDigitsPng;

/// One generated digit with the CNN's reading of it.
#[component]
fn GeneratedCell(pixels: Vec<u8>, caption: String) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let side = ROWS * DIGIT_SCALE;
    Effect::new(move || {
        if let Some(element) = canvas.get()
            && let Err(e) = draw_digit(&element, &pixels)
        {
            web_sys::console::error_1(&format!("cannot draw a generated digit: {e:?}").into());
        }
    });
    view! {
        <figure class="p3-mistake">
            <canvas node_ref=canvas role="img" width=side.to_string() height=side.to_string() aria-label=caption.clone()></canvas>
            <figcaption>{caption}</figcaption>
        </figure>
    }
}

fn cells(generated: &Generated) -> impl IntoView + use<> {
    generated
        .digits
        .iter()
        .map(|d| {
            let caption = match (d.label, d.confidence) {
                (Some(l), Some(c)) => format!("{l} ({:.0} %)", 100.0 * c),
                _ => "no CNN".to_string(),
            };
            view! { <GeneratedCell pixels=d.pixels.clone() caption=caption /> }
        })
        .collect_view()
}

/// 4D: sampled digits and an interpolation, with controls.
#[component]
pub fn GeneratedDigits(p4: P4Run) -> impl IntoView {
    let draws = StoredValue::new(0u64);
    let from = RwSignal::new(DEFAULT_INTERPOLATION.0.to_string());
    let to = RwSignal::new(DEFAULT_INTERPOLATION.1.to_string());
    let error = RwSignal::new(None::<String>);
    let can_ask = move || p4.out.result.with(Option::is_some) && !p4.run.is_running() && !p4.out.pending.get();
    let resample = move || {
        draws.update_value(|d| *d += 1);
        let seed = p4.query.with_untracked(|q| q.config.schedule.seed).wrapping_add(1000 + draws.get_value());
        p4.request(WorkerInput::Sample { count: SAMPLES, seed });
    };
    let interpolate = move || match (from.get_untracked().trim().parse::<usize>(), to.get_untracked().trim().parse::<usize>()) {
        (Ok(a), Ok(b)) => {
            error.set(None);
            p4.request(WorkerInput::Interpolate { from: a, to: b, steps: INTERPOLATION_STEPS });
        }
        _ => error.set(Some("two training-digit numbers (0–59999)".into())),
    };
    view! {
        <Show when=move || p4.out.sampled.with(Option::is_some)
            fallback=|| view! { <p class="muted">"New digits appear when the autoencoder has trained."</p> }>
            <h4>"Sampled codes, decoded"</h4>
            <p class="muted small">
                "Codes drawn from a Gaussian fitted (mean and full covariance) to the 96-dimensional codes of the training digits, "
                "clipped at 0 like the ReLU codes, then decoded; under each, the CNN's reading and its confidence."
            </p>
            <div class="p3-mistakes" data-testid="sampled-digits">{move || p4.out.sampled.with(|g| g.as_ref().map(cells))}</div>
            <p class="exports"><SaveDigitsPng digits=Callback::new(move |_| p4.out.sampled.with_untracked(|g| g.as_ref().map(generated_for_png))) name="p4-sampled-digits" label="the sampled digits" /></p>
            <div class="buttons"><button type="button" data-testid="resample-button" disabled=move || !can_ask() on:click=move |_| resample()>"Sample again"</button></div>
            <h4>"Between two digits"</h4>
            <p class="muted small">
                {move || p4.out.interpolated.with(|g| match g.as_ref().map(|g| &g.how) {
                    Some(p4::Generation::Interpolated { from, to, from_label, to_label }) => format!("From training digit #{from} (a {from_label}) to #{to} (a {to_label}): the codes on the straight line between theirs, decoded."),
                    _ => String::new(),
                })}
            </p>
            <div class="p3-mistakes" data-testid="interpolated-digits">{move || p4.out.interpolated.with(|g| g.as_ref().map(cells))}</div>
            <p class="exports"><SaveDigitsPng digits=Callback::new(move |_| p4.out.interpolated.with_untracked(|g| g.as_ref().map(generated_for_png))) name="p4-interpolated-digits" label="the interpolated digits" /></p>
            <div class="controls inline">
                <label class="field"><span class="label">"From digit #"</span>
                    <input type="text" data-testid="interpolate-from" prop:value=from on:change=move |ev| from.set(event_target_value(&ev)) /></label>
                <label class="field"><span class="label">"To digit #"</span>
                    <input type="text" data-testid="interpolate-to" prop:value=to on:change=move |ev| to.set(event_target_value(&ev)) /></label>
                <button type="button" data-testid="interpolate-button" disabled=move || !can_ask() on:click=move |_| interpolate()>"Interpolate"</button>
            </div>
            {move || error.get().or_else(|| p4.out.request_error.get()).map(|e| view! { <p class="note">{e}</p> })}
        </Show>
    }
}

/// Generated digits with the CNN's reading, as [`crate::ui::export::save_digits_png`] takes them.
fn generated_for_png(generated: &p4::Generated) -> Vec<(Vec<u8>, String)> {
    generated
        .digits
        .iter()
        .map(|d| {
            let caption = match (d.label, d.confidence) {
                (Some(label), Some(confidence)) => format!("{label} ({:.0}%)", 100.0 * confidence),
                _ => String::new(),
            };
            (d.pixels.clone(), caption)
        })
        .collect()
}
