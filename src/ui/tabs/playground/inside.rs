//! "Look inside" the CNN: which blocks of the drawing its reading rests on (occlusion
//! saliency, red over the digit) and its first layer's 32 feature maps of the drawing.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use crate::data::mnist::{COLS, ROWS};
use crate::experiment::result::Insight;

/// Maps per row of the grid, and the gap between maps (pixels).
const GRID_COLUMNS: usize = 8;
const GAP: usize = 2;

fn put(canvas: &HtmlCanvasElement, rgba: &[u8], width: usize, height: usize) {
    let Some(ctx) = canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok()) else { return };
    if let Ok(image) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), width as u32, height as u32) {
        let _ = ctx.put_image_data(&image, 0.0, 0.0);
    }
}

/// The digit in grey with the saliency in red over it.
fn saliency_rgba(digit: &[u8], saliency: &[u8]) -> Vec<u8> {
    let mut rgba = Vec::with_capacity(digit.len() * 4);
    for (&ink, &s) in digit.iter().zip(saliency) {
        let base = 255.0 - 0.7 * f64::from(ink);
        let a = 0.8 * f64::from(s) / 255.0;
        let mix = |overlay: f64| (base * (1.0 - a) + overlay * a).round() as u8;
        rgba.extend_from_slice(&[mix(214.0), mix(39.0), mix(40.0), 255]);
    }
    rgba
}

/// The 32 maps in a grid, dark where a filter responds strongly.
fn maps_rgba(maps: &[u8]) -> (Vec<u8>, usize, usize) {
    let side = Insight::MAP_SIDE;
    let rows = Insight::MAPS.div_ceil(GRID_COLUMNS);
    let (width, height) = (GRID_COLUMNS * (side + GAP) - GAP, rows * (side + GAP) - GAP);
    let mut rgba = vec![255u8; width * height * 4];
    for (m, map) in maps.chunks(side * side).enumerate() {
        let (ox, oy) = ((m % GRID_COLUMNS) * (side + GAP), (m / GRID_COLUMNS) * (side + GAP));
        for (i, &v) in map.iter().enumerate() {
            let at = ((oy + i / side) * width + ox + i % side) * 4;
            let g = 255 - v;
            rgba[at..at + 3].copy_from_slice(&[g, g, g]);
        }
    }
    (rgba, width, height)
}

/// The saliency over the drawing and the feature maps, once the pen rests.
#[component]
pub fn LookInside(
    /// The drawing as the networks read it.
    digit: Signal<Option<Vec<u8>>>,
    /// The CNN's answer for it.
    insight: Signal<Option<Insight>>,
) -> impl IntoView {
    let saliency = NodeRef::<Canvas>::new();
    let maps = NodeRef::<Canvas>::new();
    let (_, maps_width, maps_height) = maps_rgba(&[]);
    Effect::new(move || {
        let (Some(insight), Some(digit)) = (insight.get(), digit.get()) else { return };
        if let Some(el) = saliency.get() {
            put(&el, &saliency_rgba(&digit, &insight.saliency), COLS, ROWS);
        }
        if let Some(el) = maps.get() {
            let (rgba, w, h) = maps_rgba(&insight.maps);
            put(&el, &rgba, w, h);
        }
    });
    view! {
        <Show when=move || insight.with(Option::is_some)>
            <section class="inside" data-testid="inside">
                <h3>"Inside the CNN"</h3>
                <p class="hint" data-testid="inside-class">
                    {move || insight.with(|i| i.as_ref().map(|i| format!(
                        "It reads {}. Red marks the 4×4 blocks whose hiding lowers that most (occlusion); the grid shows what its first layer's 32 filters see in your drawing (dark: a strong response).",
                        i.class
                    )))}
                </p>
                <div class="inside-figures">
                    <canvas node_ref=saliency class="digit-input" width=COLS height=ROWS data-testid="inside-saliency"
                        role="img" aria-label="Saliency: the blocks of the drawing the CNN's reading rests on, in red"></canvas>
                    <canvas node_ref=maps class="feature-maps" width=maps_width height=maps_height data-testid="inside-maps"
                        role="img" aria-label="The first convolution layer's 32 feature maps of the drawing"></canvas>
                </div>
            </section>
        </Show>
    }
}
