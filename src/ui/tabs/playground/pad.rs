//! The drawing pad: a canvas drawn on with a mouse, a finger or a pen (pointer events), with
//! undo and clear, and a "random test digit" button that paints one of MNIST's test digits
//! (so keyboard users can use the playground too). After every change the ink (the canvas's
//! alpha) goes through MNIST's preprocessing ([`crate::data::drawn_digit::to_mnist`]).

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::data::drawn_digit;
use crate::data::mnist::{COLS, ROWS};
use crate::ui::tabs::data::Sample;

/// The pad's size in canvas pixels (ten per MNIST pixel), and the pen's width: about as
/// thick, relative to the digit, as MNIST's strokes.
pub const PAD: u32 = 280;
const PEN: f64 = 22.0;

/// One undoable thing on the pad.
#[derive(Debug, Clone, PartialEq)]
enum Mark {
    /// A pen stroke through these points (canvas pixels).
    Stroke(Vec<(f64, f64)>),
    /// A test digit painted whole.
    Digit(Vec<u8>),
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

fn draw_stroke(ctx: &CanvasRenderingContext2d, points: &[(f64, f64)]) {
    let Some(&(x0, y0)) = points.first() else { return };
    ctx.begin_path();
    ctx.move_to(x0, y0);
    if points.len() == 1 {
        // A dot: a zero-length line with round caps.
        ctx.line_to(x0 + 0.01, y0);
    }
    for &(x, y) in &points[1..] {
        ctx.line_to(x, y);
    }
    ctx.stroke();
}

fn draw_digit(ctx: &CanvasRenderingContext2d, pixels: &[u8]) {
    let cell = f64::from(PAD) / COLS as f64;
    for (i, &v) in pixels.iter().enumerate().filter(|(_, v)| **v > 0) {
        ctx.set_global_alpha(f64::from(v) / 255.0);
        ctx.fill_rect((i % COLS) as f64 * cell, (i / COLS) as f64 * cell, cell, cell);
    }
    ctx.set_global_alpha(1.0);
}

/// Clears the canvas and draws `marks` (black ink on a transparent canvas: the alpha
/// channel is the ink).
fn redraw(canvas: &HtmlCanvasElement, marks: &[Mark]) {
    let Some(ctx) = context(canvas) else { return };
    ctx.clear_rect(0.0, 0.0, f64::from(PAD), f64::from(PAD));
    ctx.set_stroke_style_str("#000");
    ctx.set_fill_style_str("#000");
    ctx.set_line_width(PEN);
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    for mark in marks {
        match mark {
            Mark::Stroke(points) => draw_stroke(&ctx, points),
            Mark::Digit(pixels) => draw_digit(&ctx, pixels),
        }
    }
}

/// The canvas's ink made into an MNIST digit (`None`: nothing drawn).
fn read_ink(canvas: &HtmlCanvasElement) -> Option<Vec<u8>> {
    let ctx = context(canvas)?;
    let image = ctx.get_image_data(0.0, 0.0, f64::from(PAD), f64::from(PAD)).ok()?;
    let alpha: Vec<u8> = image.data().0.chunks_exact(4).map(|p| p[3]).collect();
    drawn_digit::to_mnist(&alpha, PAD as usize, PAD as usize).ok().flatten()
}

/// The pointer's position in canvas pixels (the canvas may be drawn smaller, on a phone).
fn position(canvas: &HtmlCanvasElement, ev: &web_sys::PointerEvent) -> (f64, f64) {
    let rect = canvas.get_bounding_client_rect();
    let scale_x = f64::from(PAD) / rect.width().max(1.0);
    let scale_y = f64::from(PAD) / rect.height().max(1.0);
    ((f64::from(ev.client_x()) - rect.left()) * scale_x, (f64::from(ev.client_y()) - rect.top()) * scale_y)
}

/// The pad and its buttons. `on_digit` gets the preprocessed drawing after every change.
#[component]
pub fn DrawingPad(
    /// MNIST test digits for "random test digit" (none: the button is disabled).
    test_digits: Signal<Vec<Sample>>,
    /// Called with the drawing as a 28×28 MNIST digit, or `None` when the pad is empty.
    on_digit: Callback<Option<Vec<u8>>>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let marks = StoredValue::new(Vec::<Mark>::new());
    let drawing = StoredValue::new(false);
    let count = RwSignal::new(0usize);
    let picked = RwSignal::new(None::<u8>);
    let changed = move || {
        count.set(marks.with_value(Vec::len));
        if let Some(el) = canvas.get_untracked() {
            on_digit.run(read_ink(&el));
        }
    };
    let rerender = move || {
        if let Some(el) = canvas.get_untracked() {
            marks.with_value(|m| redraw(&el, m));
        }
        changed();
    };
    let on_down = move |ev: web_sys::PointerEvent| {
        let Some(el) = canvas.get_untracked() else { return };
        ev.prevent_default();
        let _ = el.set_pointer_capture(ev.pointer_id());
        drawing.set_value(true);
        picked.set(None);
        marks.update_value(|m| m.push(Mark::Stroke(vec![position(&el, &ev)])));
        rerender();
    };
    let on_move = move |ev: web_sys::PointerEvent| {
        if !drawing.get_value() {
            return;
        }
        let Some(el) = canvas.get_untracked() else { return };
        let point = position(&el, &ev);
        // Only the new segment is drawn: redrawing every stroke per move would cost more.
        let last = marks.try_update_value(|m| match m.last_mut() {
            Some(Mark::Stroke(points)) => {
                let last = points.last().copied();
                points.push(point);
                last
            }
            _ => None,
        });
        if let (Some(Some(last)), Some(ctx)) = (last, context(&el)) {
            ctx.set_stroke_style_str("#000");
            ctx.set_line_width(PEN);
            ctx.set_line_cap("round");
            draw_stroke(&ctx, &[last, point]);
        }
        changed();
    };
    let on_up = move |_: web_sys::PointerEvent| drawing.set_value(false);
    let undo = move |_| {
        marks.update_value(|m| {
            m.pop();
        });
        picked.set(None);
        rerender();
    };
    let clear = move |_| {
        marks.set_value(Vec::new());
        picked.set(None);
        rerender();
    };
    let random = move |_| {
        let digits = test_digits.get_untracked();
        if digits.is_empty() {
            return;
        }
        let index = (js_sys::Math::random() * digits.len() as f64) as usize % digits.len();
        let digit = &digits[index];
        picked.set(Some(digit.label));
        marks.set_value(vec![Mark::Digit(digit.pixels.clone())]);
        rerender();
    };
    view! {
        <div class="pad">
            <canvas node_ref=canvas class="pad-canvas" width=PAD height=PAD data-testid="pad"
                role="img" aria-label="Drawing pad: draw one digit with a mouse, a finger or a pen; keyboard users: press Random test digit"
                on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up on:pointercancel=on_up></canvas>
            <div class="buttons">
                <button type="button" data-testid="pad-undo" disabled=move || count.get() == 0 on:click=undo>"Undo"</button>
                <button type="button" data-testid="pad-clear" disabled=move || count.get() == 0 on:click=clear>"Clear"</button>
                <button type="button" data-testid="pad-random" disabled=move || test_digits.with(Vec::is_empty) on:click=random>"Random test digit"</button>
            </div>
            <p class="hint" aria-live="polite" data-testid="pad-picked">
                {move || picked.get().map(|label| format!("A test digit labelled {label}."))}
            </p>
            <p class="hint">{format!("Drawn at {PAD}×{PAD}, read as MNIST's {ROWS}×{COLS}: the ink scaled into a 20×20 box, centred by its mass.")}</p>
        </div>
    }
}
