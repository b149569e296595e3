//! The drawing through P4's autoencoder: noised with the seed's salt and pepper at the
//! slider's level, then denoised, each with the CNN's reading.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

use crate::data::mnist::{COLS, ROWS};
use crate::protocol::{DenoisedDrawing, ReaderInfo, Reading};

fn draw(canvas: Option<web_sys::HtmlCanvasElement>, pixels: &[u8]) {
    let Some(el) = canvas else { return };
    let Some(ctx) = el.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok()) else { return };
    let rgba: Vec<u8> = pixels.iter().flat_map(|&v| [255 - v, 255 - v, 255 - v, 255]).collect();
    if let Ok(image) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), COLS as u32, ROWS as u32) {
        let _ = ctx.put_image_data(&image, 0.0, 0.0);
    }
}

fn reading_text(reading: &Option<Reading>) -> String {
    match reading.as_ref().and_then(|r| r.probabilities.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1)).map(|(c, p)| (r.name.clone(), c, p))) {
        Some((name, class, p)) => format!("{name} reads {class} ({:.1} %)", f64::from(p) * 100.0),
        None => "no CNN is kept to read it".to_string(),
    }
}

/// The slider, the noised and the denoised drawing.
#[component]
pub fn DenoiseFigure(
    /// P4's autoencoder, if one is loaded (else nothing is shown).
    denoiser: Signal<Option<ReaderInfo>>,
    /// The slider's level.
    level: Signal<f64>,
    /// The latest answer for the drawing at `level`.
    denoised: Signal<Option<DenoisedDrawing>>,
    /// Called with a new level.
    on_level: Callback<f64>,
) -> impl IntoView {
    let noised_canvas = NodeRef::<Canvas>::new();
    let denoised_canvas = NodeRef::<Canvas>::new();
    Effect::new(move || {
        let Some(d) = denoised.get() else { return };
        draw(noised_canvas.get(), &d.noised);
        draw(denoised_canvas.get(), &d.denoised);
    });
    view! {
        <Show when=move || denoiser.with(Option::is_some)>
            <section class="denoise" data-testid="denoise">
                <h3>"Through the denoising autoencoder"</h3>
                <p class="hint">{move || denoiser.get().map(|d| d.description)}</p>
                <label class="field-inline" for="noise-level">
                    {move || format!("Salt-and-pepper noise: {:.0} % of the pixels ", level.get() * 100.0)}
                    <input type="range" id="noise-level" min="0" max="1" step="0.1" data-testid="noise-level"
                        prop:value=move || level.get().to_string()
                        on:input=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<f64>() { on_level.run(v) } } />
                </label>
                <div class="inside-figures">
                    <figure class="pad-input">
                        <canvas node_ref=noised_canvas class="digit-input" width=COLS height=ROWS data-testid="denoise-noised"
                            role="img" aria-label="The drawing with salt-and-pepper noise"></canvas>
                        <figcaption data-testid="denoise-noised-reading">{move || denoised.with(|d| d.as_ref().map(|d| format!("Noised: {}", reading_text(&d.noised_reading))))}</figcaption>
                    </figure>
                    <figure class="pad-input">
                        <canvas node_ref=denoised_canvas class="digit-input" width=COLS height=ROWS data-testid="denoise-denoised"
                            role="img" aria-label="The noised drawing after the autoencoder"></canvas>
                        <figcaption data-testid="denoise-denoised-reading">{move || denoised.with(|d| d.as_ref().map(|d| format!("Denoised: {}", reading_text(&d.denoised_reading))))}</figcaption>
                    </figure>
                </div>
            </section>
        </Show>
    }
}
