//! Problem 1's pictures: sample training digits on a canvas, and the seed's preprocessing
//! applied to one of them.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use super::Sample;
use crate::data::CLASSES;
use crate::data::mnist::{self, COLS as COLS_PER_IMAGE, ROWS as ROWS_PER_IMAGE};

/// Each digit pixel becomes a `SCALE`×`SCALE` square.
const SCALE: usize = 3;
const CELL: usize = ROWS_PER_IMAGE * SCALE;
const GAP: usize = 10;
const LABEL_HEIGHT: usize = 20;
const GRID_COLUMNS: usize = 8;

/// A grid of training digits with their labels, drawn pixel by pixel with `ImageData`.
#[component]
pub fn DigitGrid(
    /// The digits to draw, in order.
    samples: Vec<Sample>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let rows = samples.len().div_ceil(GRID_COLUMNS).max(1);
    let width = GRID_COLUMNS * (CELL + GAP) + GAP;
    let height = rows * (CELL + LABEL_HEIGHT + GAP) + GAP;
    let labels = samples.iter().map(|s| s.label.to_string()).collect::<Vec<_>>().join(" ");
    let count = samples.len();
    Effect::new(move || {
        if let Some(element) = canvas.get()
            && let Err(e) = draw_digits(&element, &samples)
        {
            web_sys::console::error_1(&format!("cannot draw the digits: {e:?}").into());
        }
    });
    view! {
        <figure class="digits">
            <canvas node_ref=canvas role="img" width=width.to_string() height=height.to_string() data-testid="digit-grid"
                aria-label=format!("the first {count} training digits")></canvas>
            <figcaption>
                "The first " {count} " training images with their labels: "
                <span class="mono" data-testid="sample-labels">{labels}</span>
                {move || {
                    // An uploaded dataset's named classes: the key to the numbers above.
                    let names = use_context::<crate::ui::lab::Lab>().map(|lab| lab.class_names()).filter(|n| !n.is_digits());
                    names.map(|names| view! { <span class="small" data-testid="class-names">{format!(" (labels: {})", (0..crate::data::CLASSES).map(|c| format!("{c} {}", names.name(c))).collect::<Vec<_>>().join(", "))}</span> })
                }}
                " " <crate::ui::export::SavePng canvas=canvas name="p1-digits" label="the digits" />
            </figcaption>
        </figure>
    }
}

fn draw_digits(canvas: &HtmlCanvasElement, samples: &[Sample]) -> Result<(), wasm_bindgen::JsValue> {
    let context: CanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or_else(|| wasm_bindgen::JsValue::from_str("no 2d context"))?
        .dyn_into()?;
    context.set_fill_style_str("#ffffff");
    context.fill_rect(0.0, 0.0, f64::from(canvas.width()), f64::from(canvas.height()));
    context.set_font("14px system-ui, sans-serif");
    context.set_text_align("center");
    context.set_fill_style_str("#1f2937");
    let mut rgba = vec![0u8; CELL * CELL * 4];
    for (i, sample) in samples.iter().enumerate() {
        let x = GAP + (i % GRID_COLUMNS) * (CELL + GAP);
        let y = GAP + (i / GRID_COLUMNS) * (CELL + LABEL_HEIGHT + GAP);
        for (j, px) in rgba.chunks_exact_mut(4).enumerate() {
            let (row, col) = (j / CELL / SCALE, (j % CELL) / SCALE);
            // MNIST stores ink as 255 on a black ground; draw dark ink on white.
            let ink = sample.pixels.get(row * COLS_PER_IMAGE + col).copied().unwrap_or(0);
            let v = 255 - ink;
            px.copy_from_slice(&[v, v, v, 255]);
        }
        let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), CELL as u32, CELL as u32)?;
        context.put_image_data(&image, x as f64, y as f64)?;
        context.fill_text(&sample.label.to_string(), (x + CELL / 2) as f64, (y + CELL + LABEL_HEIGHT - 4) as f64)?;
    }
    Ok(())
}

/// The seed's preprocessing on one digit: `u8` 0..255 scaled to `f32` 0..1, and its label
/// one-hot encoded.
#[component]
pub fn Preprocessing(
    /// The digit to preprocess.
    sample: Sample,
) -> impl IntoView {
    let scaled = mnist::scale_to_unit(&sample.pixels);
    let one_hot = mnist::one_hot(&[sample.label]);
    let (min_u8, max_u8) = (sample.pixels.iter().min().copied().unwrap_or(0), sample.pixels.iter().max().copied().unwrap_or(0));
    let (min_f, max_f) = scaled.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    // A stretch of the middle row, where the stroke is.
    let row = ROWS_PER_IMAGE / 2;
    let (first_col, width) = (11, 6);
    let start = row * COLS_PER_IMAGE + first_col;
    let raw_slice = sample.pixels[start..start + width].iter().map(|p| format!("{p:>5}")).collect::<String>();
    let scaled_slice = scaled[start..start + width].iter().map(|p| format!("{p:>5.2}")).collect::<String>();
    let slice_text = format!(
        "row {row}, columns {first_col}–{}\n  u8 {raw_slice}\n f32 {scaled_slice}",
        first_col + width - 1
    );
    let one_hot_text = format!(
        "[{}]",
        one_hot.iter().map(|v| format!("{v:.0}")).collect::<Vec<_>>().join(", ")
    );
    debug_assert_eq!(one_hot.len(), CLASSES);
    view! {
        <div class="preprocessing scroll-x">
            <table class="compare">
                <thead><tr><th></th><th>"before"</th><th>"after"</th></tr></thead>
                <tbody>
                    <tr>
                        <th>"type"</th>
                        <td><code>"u8"</code></td>
                        <td><code>"f32"</code> <div class="muted small"><code>"x.astype('float32') / 255"</code></div></td>
                    </tr>
                    <tr>
                        <th>"pixel range"</th>
                        <td data-testid="pixel-range-before">{format!("{min_u8} .. {max_u8}")}</td>
                        <td data-testid="pixel-range-after">{format!("{min_f:.1} .. {max_f:.1}")}</td>
                    </tr>
                    <tr>
                        <th>"label"</th>
                        <td><code>{sample.label}</code></td>
                        <td>
                            <code data-testid="one-hot">{one_hot_text}</code>
                            <div class="muted small">"one-hot: " <code>"to_categorical(y, 10)"</code></div>
                        </td>
                    </tr>
                </tbody>
            </table>
            <pre class="pixel-row" data-testid="pixel-row">{slice_text}</pre>
        </div>
    }
}
