//! The charts, drawn with plotters on canvases, and what they share: one palette, canvases
//! sized for the width they are shown at, a chart's numbers as text.
//!
//! - [`curves`]: the training curves (accuracy and loss per epoch), ours beside the seed's.
//! - [`palette`]: the charts' colours.
//! - [`canvas`]: a canvas's 2d context, and one digit drawn on it.
//!
//! The P2D sweep's and P4's charts live with their tabs ([`crate::ui::tabs`]).

pub mod canvas;
pub mod curves;
pub mod palette;

use leptos::prelude::*;
use web_sys::HtmlCanvasElement;

pub use curves::{AccuracyChart, LossChart};

/// Sizes `canvas` for the CSS width it is shown at (at most `width`, keeping the aspect
/// ratio), so its text is drawn at its CSS size: a chart drawn 640 px wide and shown 340 px
/// wide on a phone would shrink 13 px labels to 7 px.
pub fn fit_canvas(canvas: &HtmlCanvasElement, width: u32, height: u32) {
    let shown = canvas.client_width();
    let w = if shown > 0 { (shown as u32).clamp(200, width) } else { width };
    let h = (f64::from(height) * f64::from(w) / f64::from(width)).round().max(f64::from(height) * 0.6) as u32;
    if canvas.width() != w {
        canvas.set_width(w);
    }
    if canvas.height() != h {
        canvas.set_height(h);
    }
}

/// Sizes `canvas` ([`fit_canvas`]) and runs `draw` on it in a task of its own, after the next
/// frame. Called from a chart's effect, which keeps tracking what the chart shows and the
/// page's width (so it redraws on resize).
///
/// Why not draw in the effect: plotters measures every label by adding a `<span>` to the
/// page and reading its size, a forced layout each, and reading the canvas's width forces one
/// too. Inside the effect that all ran in the task that changed the chart's data — on a load,
/// the page's first mount: P2's two charts were 54 ms of that 123 ms task (a Chromium trace,
/// 2026-12-03). After the frame the page is laid out already and each chart is its own task.
pub fn draw_after_frame(canvas: HtmlCanvasElement, width: u32, height: u32, draw: impl FnOnce(HtmlCanvasElement) + 'static) {
    if let Some(viewport) = use_context::<crate::ui::ViewportWidth>() {
        viewport.0.track();
    }
    crate::ui::after_next_frame(move || {
        fit_canvas(&canvas, width, height);
        draw(canvas);
    });
}

/// A chart's numbers as text (its `aria-label`): `name: v1, v2, …` with 4 decimals.
pub fn series_text(name: &str, values: &[f64]) -> String {
    let numbers: Vec<String> = values.iter().filter(|v| v.is_finite()).map(|v| format!("{v:.4}")).collect();
    if numbers.is_empty() { format!("{name}: none yet") } else { format!("{name}: {}", numbers.join(", ")) }
}

/// Logs a chart that could not be drawn.
pub fn report(result: Result<(), String>) {
    if let Err(e) = result {
        web_sys::console::error_1(&format!("cannot draw the chart: {e}").into());
    }
}
