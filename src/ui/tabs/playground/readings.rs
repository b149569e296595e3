//! What the classifiers see and say: the 28×28 input the drawing became, and each
//! classifier's ten probabilities as bars (with their numbers, for screen readers too).

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

use crate::data::CLASSES;
use crate::data::mnist::{COLS, ROWS};
use crate::protocol::{ReaderInfo, Reading};

/// The 28×28 input, drawn as MNIST shows it (dark ink on white), one canvas pixel per
/// MNIST pixel, scaled up by CSS.
#[component]
pub fn InputPreview(
    /// The preprocessed drawing; `None` while the pad is empty.
    digit: Signal<Option<Vec<u8>>>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move || {
        let pixels = digit.get();
        let Some(el) = canvas.get() else { return };
        let Some(ctx) = el.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok()) else { return };
        let mut rgba = Vec::with_capacity(ROWS * COLS * 4);
        for i in 0..ROWS * COLS {
            let v = 255 - pixels.as_ref().map_or(0, |p| p[i]);
            rgba.extend_from_slice(&[v, v, v, 255]);
        }
        if let Ok(image) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), COLS as u32, ROWS as u32) {
            let _ = ctx.put_image_data(&image, 0.0, 0.0);
        }
    });
    view! {
        <figure class="pad-input">
            <canvas node_ref=canvas class="digit-input" width=COLS height=ROWS data-testid="pad-input"
                role="img" aria-label="The drawing as the networks read it: 28 by 28 pixels"></canvas>
            <figcaption>"What the networks read (28×28)"</figcaption>
        </figure>
    }
}

fn top_class(probabilities: &[f32]) -> Option<(usize, f32)> {
    probabilities.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1))
}

/// Each loaded classifier with its reading of the drawing.
#[component]
pub fn ReadingBars(
    /// The loaded classifiers, in reading order.
    readers: Signal<Vec<ReaderInfo>>,
    /// Their readings of the current drawing (empty while there is none).
    readings: Signal<Vec<Reading>>,
) -> impl IntoView {
    let lab = use_context::<crate::ui::lab::Lab>();
    let cards = move || {
        let names = lab.map(|lab| lab.class_names()).unwrap_or_default();
        let readings = readings.get();
        readers.get().into_iter().enumerate().map(|(index, reader)| {
            let reading = readings.iter().find(|r| r.name == reader.name).cloned();
            let top = reading.as_ref().and_then(|r| top_class(&r.probabilities));
            let summary = match top {
                Some((class, p)) => format!("reads {} ({:.1} %)", names.label(class), f64::from(p) * 100.0),
                None => "draw a digit".to_string(),
            };
            let bars = (0..CLASSES).map(|class| {
                let p = reading.as_ref().and_then(|r| r.probabilities.get(class).copied()).unwrap_or(0.0);
                let percent = f64::from(p) * 100.0;
                let is_top = top.is_some_and(|(c, _)| c == class);
                view! {
                    <li class="bar-row" class:top=is_top data-testid=format!("prob-{index}-{class}") data-p=p.to_string()>
                        <span class="bar-label" title=names.label(class)>{names.name(class)}</span>
                        <span class="bar" aria-hidden="true"><span class="bar-fill" style=format!("width: {percent:.1}%")></span></span>
                        <span class="bar-value">{format!("{percent:.1} %")}</span>
                    </li>
                }
            }).collect_view();
            view! {
                <section class="reader" data-testid=format!("reader-{index}") data-top=top.map(|(c, _)| c.to_string()).unwrap_or_default()
                    data-ms=reading.as_ref().map(|r| format!("{:.2}", r.ms)).unwrap_or_default()>
                    <h3>{reader.name.clone()}" "<span class="reader-top">{summary}</span></h3>
                    <p class="hint">{reader.description.clone()}</p>
                    <ol class="bars" aria-label=format!("{}: probability of each digit", reader.name)>{bars}</ol>
                </section>
            }
        }).collect_view()
    };
    // One short sentence for screen readers, not the forty numbers.
    let spoken = move || {
        let readings = readings.get();
        readings.iter().filter_map(|r| top_class(&r.probabilities).map(|(c, p)| format!("{} reads {c} ({:.0} %)", r.name, f64::from(p) * 100.0))).collect::<Vec<_>>().join("; ")
    };
    view! {
        <div class="readers">{cards}</div>
        <p class="visually-hidden" aria-live="polite" data-testid="readings-spoken">{spoken}</p>
    }
}
