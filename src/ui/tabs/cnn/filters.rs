//! Problem 3: the 32 learned filters of the trained CNN's first convolutional layer.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsValue;
use web_sys::HtmlCanvasElement;

use crate::ui::charts::canvas::context_2d;
use crate::ui::export::SavePng;

/// Each kernel weight becomes a `FILTER_SCALE`² square.
const FILTER_SCALE: usize = 14;
const FILTER_SIZE: usize = 3;
const FILTER_CELL: usize = FILTER_SIZE * FILTER_SCALE;
const FILTER_GAP: usize = 10;
const FILTER_COLUMNS: usize = 8;

/// The first Conv2D's 32 learned 3 × 3 kernels as grey squares, each normalised to its own
/// range (darkest = its most negative weight, lightest = its most positive).
#[component]
pub fn FilterGrid(
    /// `[filter][3 * 3]` weights, row-major.
    filters: Vec<Vec<f32>>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let count = filters.len();
    let rows = count.div_ceil(FILTER_COLUMNS).max(1);
    let width = FILTER_COLUMNS * (FILTER_CELL + FILTER_GAP) + FILTER_GAP;
    let height = rows * (FILTER_CELL + FILTER_GAP) + FILTER_GAP;
    Effect::new(move || {
        if let Some(element) = canvas.get()
            && let Err(e) = draw_filters(&element, &filters)
        {
            web_sys::console::error_1(&format!("cannot draw the filters: {e:?}").into());
        }
    });
    view! {
        <figure class="p3-filters">
            <canvas node_ref=canvas role="img" width=width.to_string() height=height.to_string() data-testid="filters"
                aria-label=format!("the {count} learned 3 by 3 filters of the first convolutional layer")></canvas>
            <figcaption>
                {format!("The {count} learned 3 × 3 kernels of the first Conv2D, ")}
                "each scaled to its own range: black its most negative weight, white its most positive. "
                <SavePng canvas=canvas name="p3-filters" label="the filters" />
            </figcaption>
        </figure>
    }
}

/// A kernel's weights as grey levels 0..=255, normalised to the kernel's own range
/// (a constant or non-finite kernel is mid-grey).
fn grey_levels(kernel: &[f32]) -> Vec<u8> {
    let finite = kernel.iter().copied().filter(|v| v.is_finite());
    let (low, high) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = high - low;
    kernel
        .iter()
        .map(|&v| if v.is_finite() && span > f32::EPSILON { (255.0 * (v - low) / span).round().clamp(0.0, 255.0) as u8 } else { 128 })
        .collect()
}

fn draw_filters(canvas: &HtmlCanvasElement, filters: &[Vec<f32>]) -> Result<(), JsValue> {
    let context = context_2d(canvas)?;
    context.set_fill_style_str("#ffffff");
    context.fill_rect(0.0, 0.0, f64::from(canvas.width()), f64::from(canvas.height()));
    for (i, kernel) in filters.iter().enumerate() {
        let x0 = FILTER_GAP + (i % FILTER_COLUMNS) * (FILTER_CELL + FILTER_GAP);
        let y0 = FILTER_GAP + (i / FILTER_COLUMNS) * (FILTER_CELL + FILTER_GAP);
        for (j, grey) in grey_levels(kernel).into_iter().enumerate().take(FILTER_SIZE * FILTER_SIZE) {
            let (row, col) = (j / FILTER_SIZE, j % FILTER_SIZE);
            context.set_fill_style_str(&format!("rgb({grey},{grey},{grey})"));
            context.fill_rect((x0 + col * FILTER_SCALE) as f64, (y0 + row * FILTER_SCALE) as f64, FILTER_SCALE as f64, FILTER_SCALE as f64);
        }
        context.set_stroke_style_str("#98a2b3");
        context.stroke_rect(x0 as f64 - 0.5, y0 as f64 - 0.5, FILTER_CELL as f64 + 1.0, FILTER_CELL as f64 + 1.0);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grey_levels_per_filter() {
        assert_eq!(grey_levels(&[-1.0, 0.0, 1.0]), vec![0, 128, 255]);
        assert_eq!(grey_levels(&[0.5, 0.5]), vec![128, 128]);
        assert_eq!(grey_levels(&[f32::NAN, 0.0, 2.0]), vec![128, 0, 255]);
    }
}
