//! Problem 4's figures: the autoencoder's diagram (4A), the finished run's figures beside
//! the seed's, and the noised/denoised grid (4B); 4C is [`super::denoising`], 4D
//! [`super::generated`].

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsValue};
use web_sys::{HtmlCanvasElement, ImageData};

use super::P4Run;
use crate::data::mnist::{COLS, ROWS};
use crate::experiment::p4::{NoiseGrid, P4Result, SEED_GRID_DIGITS};
use crate::experiment::seed;
use crate::protocol::WorkerInput;
use crate::ui::charts::canvas::context_2d;
use crate::ui::components::format;
use crate::ui::components::results::download_url;
use crate::ui::export::SavePng;
use crate::ui::seed_applies;

/// The seed asks for a diagram of the model: the layers as boxes whose heights follow
/// their widths, drawn as SVG.
#[component]
pub fn AutoencoderDiagram() -> impl IntoView {
    // (units, label, activation, role)
    let layers = [(784, "input", "", "noisy digit"), (128, "Dense 128", "ReLU", "encoder"), (96, "Dense 96", "ReLU", "latent code"), (128, "Dense 128", "ReLU", "decoder"), (784, "Dense 784", "sigmoid", "denoised digit")];
    let (width, height, column) = (560.0, 210.0, 112.0);
    let boxes = layers
        .iter()
        .enumerate()
        .map(|(i, &(units, label, activation, role))| {
            let h = 30.0 + 120.0 * (f64::from(units) / 784.0).sqrt();
            let x = 16.0 + i as f64 * column;
            let y = (height - 40.0 - h) / 2.0 + 4.0;
            let fill = if units == 96 { "#fde68a" } else if i == 0 || i == 4 { "#e5e7eb" } else { "#bfdbfe" };
            let arrow = (i + 1 < layers.len()).then(|| {
                let x1 = x + 62.0;
                view! { <line x1=x1 y1=height / 2.0 - 16.0 x2=x1 + column - 66.0 y2=height / 2.0 - 16.0 stroke="#6b7280" stroke-width="2" marker-end="url(#arrow)" /> }
            });
            view! {
                <rect x=x y=y width="60" height=h rx="6" fill=fill stroke="#374151" />
                <text x=x + 30.0 y=y + h / 2.0 - 4.0 text-anchor="middle" font-size="12">{units.to_string()}</text>
                <text x=x + 30.0 y=y + h / 2.0 + 11.0 text-anchor="middle" font-size="10" fill="#374151">{activation}</text>
                <text x=x + 30.0 y=height - 26.0 text-anchor="middle" font-size="11">{label}</text>
                <text x=x + 30.0 y=height - 10.0 text-anchor="middle" font-size="11" fill="#6b7280">{role}</text>
                {arrow}
            }
        })
        .collect_view();
    view! {
        <figure class="diagram">
            <svg viewBox=format!("0 0 {width} {height}") width="100%" role="img" data-testid="autoencoder-diagram"
                aria-label="autoencoder: 784 inputs, dense 128 ReLU, dense 96 ReLU (the code), dense 128 ReLU, dense 784 sigmoid">
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto">
                        <path d="M0,0 L10,5 L0,10 z" fill="#6b7280" />
                    </marker>
                </defs>
                {boxes}
            </svg>
            <figcaption>"Trained on digits noised at 0.4 (input) towards the clean digits (target); the 96-unit code is what 4D samples."</figcaption>
        </figure>
    }
}

/// The finished run's validation loss beside the seed's, time per epoch, JSON download.
#[component]
pub fn P4Results(
    #[prop(into)]
    result: Signal<Option<P4Result>>,
) -> impl IntoView {
    let url = download_url(result);
    move || {
        result.with(|r| match r {
            None => view! { <p class="muted">"The validation loss appears when the autoencoder has trained."</p> }.into_any(),
            Some(r) => {
                let per_epoch = r.history.iter().map(|e| e.seconds).sum::<f64>() / r.history.len().max(1) as f64;
                // The seed's loss is MNIST's: beside another dataset's run it compares nothing.
                let seed_cell = |text: String| if seed_applies() { text } else { "— (MNIST only)".to_string() };
                let file_name = format!("mnist-lab-p4-seed{}.json", r.config.schedule.seed);
                view! {
                    <div class="results">
                        <table class="figures-table">
                            <thead><tr><th></th><th>"this run"</th><th>"seed notebook"</th></tr></thead>
                            <tbody>
                                <tr><td>"val_loss (last epoch)"</td><td data-testid="val-loss">{format!("{:.4}", r.val_loss)}</td><td>{seed_cell(format!("{:.4}", seed::P4_VAL_LOSS))}</td></tr>
                                <tr><td>"epochs"</td><td>{r.history.len()}</td><td>{seed::P4_EPOCHS}</td></tr>
                                <tr><td>"time per epoch"</td><td>{format!("{} ({})", format::duration(per_epoch), r.backend)}</td><td>{format!("{:.0}–{:.0} s", seed::P4_SECONDS_PER_EPOCH.0, seed::P4_SECONDS_PER_EPOCH.1)}</td></tr>
                                <tr><td>"training digits"</td><td>{format::thousands(r.config.data.train_size)}</td><td>"60,000"</td></tr>
                            </tbody>
                        </table>
                        {move || url.get().map(|href| view! { <p><a class="button" href=href download=file_name.clone() data-testid="download-results">"Download results (JSON)"</a></p> })}
                    </div>
                }
                .into_any()
            }
        })
    }
}

const GRID_SCALE: usize = 2;
const CELL: usize = ROWS * GRID_SCALE;
const GAP: usize = 4;
const LEFT: usize = 92;
const TOP: usize = 22;

/// Draws the 4B grid: per digit a row of noised images and a row of their reconstructions.
fn draw_grid(canvas: &HtmlCanvasElement, grid: &NoiseGrid) -> Result<(), JsValue> {
    let context = context_2d(canvas)?;
    context.set_fill_style_str("#ffffff");
    context.fill_rect(0.0, 0.0, f64::from(canvas.width()), f64::from(canvas.height()));
    context.set_font("12px system-ui, sans-serif");
    context.set_fill_style_str("#1f2937");
    context.set_text_align("center");
    for (col, level) in grid.levels.iter().enumerate() {
        context.fill_text(&format!("{level:.1}"), (LEFT + col * (CELL + GAP) + CELL / 2) as f64, 14.0)?;
    }
    context.set_text_align("left");
    let mut rgba = vec![0u8; CELL * CELL * 4];
    for (d, (noisy_row, denoised_row)) in grid.noisy.iter().zip(&grid.denoised).enumerate() {
        for (kind, row) in [("noised", noisy_row), ("denoised", denoised_row)].into_iter().enumerate().map(|(k, (n, r))| ((k, n), r)) {
            let y = TOP + (2 * d + kind.0) * (CELL + GAP) + (d * 8);
            let label = match grid.labels.get(d) {
                Some(l) if kind.0 == 0 => format!("#{} ({l}) {}", grid.digits[d], kind.1),
                _ => kind.1.to_string(),
            };
            context.fill_text(&label, 2.0, (y + CELL / 2 + 4) as f64)?;
            for (col, pixels) in row.iter().enumerate() {
                for (j, px) in rgba.chunks_exact_mut(4).enumerate() {
                    let (r, c) = (j / CELL / GRID_SCALE, (j % CELL) / GRID_SCALE);
                    let v = 255 - pixels.get(r * COLS + c).copied().unwrap_or(0);
                    px.copy_from_slice(&[v, v, v, 255]);
                }
                let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), CELL as u32, CELL as u32)?;
                context.put_image_data(&image, (LEFT + col * (CELL + GAP)) as f64, y as f64)?;
            }
        }
    }
    Ok(())
}

/// Parses "1, 2, 3, 4" into training-digit indices.
fn parse_digits(text: &str) -> Result<Vec<usize>, String> {
    let digits: Result<Vec<usize>, _> = text.split(',').map(|t| t.trim().parse::<usize>()).collect();
    match digits {
        Ok(d) if (1..=8).contains(&d.len()) && d.iter().all(|&i| i < crate::experiment::config::TRAIN_IMAGES) => Ok(d),
        _ => Err("give 1 to 8 training-digit numbers (0–59999), separated by commas".into()),
    }
}

/// 4B: the grid, with other digits and another noise draw on request.
#[component]
pub fn NoiseGridView(p4: P4Run) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let digits_text = RwSignal::new(SEED_GRID_DIGITS.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "));
    let input_error = RwSignal::new(None::<String>);
    let draws = StoredValue::new(0u64);
    let rows = Signal::derive(move || p4.out.grid.with(|g| g.as_ref().map_or(4, |g| g.digits.len())));
    Effect::new(move || {
        let Some(element) = canvas.get() else { return };
        p4.out.grid.with(|g| {
            if let Some(grid) = g {
                if let Err(e) = draw_grid(&element, grid) {
                    web_sys::console::error_1(&format!("cannot draw the 4B grid: {e:?}").into());
                }
            }
        });
    });
    let renoise = move || match parse_digits(&digits_text.get_untracked()) {
        Err(e) => input_error.set(Some(e)),
        Ok(digits) => {
            input_error.set(None);
            draws.update_value(|d| *d += 1);
            let seed = p4.query.with_untracked(|q| q.config.schedule.seed).wrapping_add(draws.get_value());
            p4.request(WorkerInput::NoiseGrid { digits, seed });
        }
    };
    let width = LEFT + 11 * (CELL + GAP);
    let can_ask = move || p4.out.result.with(Option::is_some) && !p4.run.is_running() && !p4.out.pending.get();
    view! {
        <Show when=move || p4.out.grid.with(Option::is_some)
            fallback=|| view! { <p class="muted">"The grid appears when the autoencoder has trained: the seed's four training digits (#1–#4), noised at 0, 0.1, …, 1 and denoised."</p> }>
            <figure class="noise-grid">
                <canvas node_ref=canvas role="img" data-testid="noise-grid" width=width.to_string()
                    height=move || (TOP + rows.get() * (2 * (CELL + GAP) + 8)).to_string()
                    aria-label="training digits noised at 0 to 1 (rows 1, 3, …) and the autoencoder's reconstructions (rows 2, 4, …)"></canvas>
                <figcaption>"Columns: noise level 0 to 1. Upper row of each pair: the noised digit; lower row: the autoencoder's output. "
                    <SavePng canvas=canvas name="p4-noise-grid" label="the 4B grid" /></figcaption>
            </figure>
            <div class="controls inline">
                <label class="field">
                    <span class="label">"Training digits"</span>
                    <input type="text" data-testid="grid-digits" prop:value=digits_text on:change=move |ev| digits_text.set(event_target_value(&ev)) />
                    <span class="hint">{move || input_error.get().unwrap_or_else(|| "numbers 0–59999, comma-separated".into())}</span>
                </label>
                <button type="button" data-testid="renoise-button" disabled=move || !can_ask() on:click=move |_| renoise()>"Noise and denoise again"</button>
            </div>
            {move || p4.out.request_error.get().map(|e| view! { <p class="note">{e}</p> })}
        </Show>
    }
}
