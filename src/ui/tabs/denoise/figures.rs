//! Problem 4's figures: the autoencoder's diagram (4A), the finished run's figures, the
//! noised/denoised grid (4B), the CNN's accuracy table and chart (4C), and generated digits
//! (4D), each beside the seed's where the seed has one.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::{Clamped, JsValue};
use web_sys::{HtmlCanvasElement, ImageData};

use crate::ui::charts::canvas::{DIGIT_SCALE, context_2d, draw_digit};
use crate::ui::charts::palette::{BLUE, ORANGE};
use super::P4Run;
use crate::ui::components::results::download_url;
use crate::ui::seed_applies;
use crate::ui::components::format;
use crate::data::mnist::{COLS, ROWS};
use crate::experiment::p4::{self, DEFAULT_INTERPOLATION, Generated, INTERPOLATION_STEPS, NoiseGrid, P4Result, SAMPLES, crossing_level};
use crate::experiment::seed;
use crate::protocol::WorkerInput;

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
                let file_name = format!("mnist-lab-p4-seed{}.json", r.config.seed);
                view! {
                    <div class="results">
                        <table class="figures-table">
                            <thead><tr><th></th><th>"this run"</th><th>"seed notebook"</th></tr></thead>
                            <tbody>
                                <tr><td>"val_loss (last epoch)"</td><td data-testid="val-loss">{format!("{:.4}", r.val_loss)}</td><td>{seed_cell(format!("{:.4}", seed::P4_VAL_LOSS))}</td></tr>
                                <tr><td>"epochs"</td><td>{r.history.len()}</td><td>{seed::P4_EPOCHS}</td></tr>
                                <tr><td>"time per epoch"</td><td>{format!("{} ({})", format::duration(per_epoch), r.backend)}</td><td>{format!("{:.0}–{:.0} s", seed::P4_SECONDS_PER_EPOCH.0, seed::P4_SECONDS_PER_EPOCH.1)}</td></tr>
                                <tr><td>"training digits"</td><td>{format::thousands(r.config.train_size)}</td><td>"60,000"</td></tr>
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
    let digits_text = RwSignal::new(p4::SEED_GRID_DIGITS.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "));
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
            let seed = p4.query.with_untracked(|q| q.config.seed).wrapping_add(draws.get_value());
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
                    <crate::ui::export::SavePng canvas=canvas name="p4-noise-grid" label="the 4B grid" /></figcaption>
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

/// 4C's table: ours and the seed's accuracies per noise level.
#[component]
pub fn DenoiseTable(
    #[prop(into)]
    result: Signal<Option<P4Result>>,
) -> impl IntoView {
    move || {
        result.with(|r| match r {
            None => view! { <p class="muted">"The table appears when the run has finished."</p> }.into_any(),
            Some(r) if r.denoising.is_empty() => view! { <p class="note">"This run had no CNN, so 4C was skipped: train P3's CNN (or upload one) and train again."</p> }.into_any(),
            Some(r) => {
                let with_seed = seed_applies();
                let rows = r
                    .denoising
                    .iter()
                    .enumerate()
                    .map(|(i, row)| {
                        let better = row.denoised_accuracy > row.noisy_accuracy;
                        view! {
                            <tr class:better=better>
                                <td>{format!("{:.1}", row.level)}</td>
                                <td>{format!("{:.4}", row.noisy_accuracy)}</td>
                                <td>{format!("{:.4}", row.denoised_accuracy)}</td>
                                {with_seed.then(|| view! {
                                    <td class="muted">{seed::P4_NOISY_ACCURACY.get(i).map(|v| format!("{v:.4}"))}</td>
                                    <td class="muted">{seed::P4_DENOISED_ACCURACY.get(i).map(|v| format!("{v:.4}"))}</td>
                                })}
                            </tr>
                        }
                    })
                    .collect_view();
                let crossing = match crossing_level(&r.denoising) {
                    Some(level) => format!("Denoising helps the CNN from noise ≈ {level:.2} on."),
                    None => "Denoising never helps the CNN in this run.".to_string(),
                };
                let seed_rows: Vec<p4::DenoiseRow> = (0..11).map(|i| p4::DenoiseRow { level: i as f64 / 10.0, noisy_accuracy: seed::P4_NOISY_ACCURACY[i], denoised_accuracy: seed::P4_DENOISED_ACCURACY[i] }).collect();
                let seed_crossing = crossing_level(&seed_rows).filter(|_| with_seed).map_or(String::new(), |l| format!(" The seed's series cross at ≈ {l:.2} (its text says 0.15)."));
                view! {
                    <div>
                        <crate::ui::components::wide::Wide label="the 4C table" csv="p4-denoising-4c"><table class="denoise" data-testid="denoise-table">
                            <thead>
                                <tr><th>"noise"</th><th>"noised"</th><th>"denoised"</th>
                                    {with_seed.then(|| view! { <th>"seed: noised"</th><th>"seed: denoised"</th> })}</tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table></crate::ui::components::wide::Wide>
                        <p data-testid="crossing">{crossing}{seed_crossing}</p>
                        <p class="muted small">{format!("CNN: {}. Accuracy on the first {} test digits.", r.cnn.clone().unwrap_or_default(), format::thousands(r.config.test_size))}</p>
                    </div>
                }
                .into_any()
            }
        })
    }
}

/// `with_seed`: the seed's two series as dashed lines (MNIST runs only).
fn draw_denoise_chart(canvas: HtmlCanvasElement, rows: &[p4::DenoiseRow], with_seed: bool) -> Result<(), String> {
    let backend = CanvasBackend::with_canvas_object(canvas).ok_or("the canvas has no 2d context")?;
    let root = backend.into_drawing_area();
    let e = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Score of denoised and noised images", ("sans-serif", 17))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(52)
        .build_cartesian_2d(0.0f64..1.0, 0.0f64..1.0)
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc("Noise level")
        .y_desc("Accuracy")
        .x_label_formatter(&|x: &f64| format!("{x:.1}"))
        .y_label_formatter(&|y: &f64| format!("{y:.1}"))
        .light_line_style(BLACK.mix(0.04))
        .draw()
        .map_err(|x| e(&x))?;
    let levels: Vec<f64> = (0..11).map(|i| i as f64 / 10.0).collect();
    let seed_series = [(&seed::P4_DENOISED_ACCURACY, BLUE, "Denoised (seed)"), (&seed::P4_NOISY_ACCURACY, ORANGE, "Noised (seed)")];
    for (values, colour, label) in seed_series.into_iter().filter(|_| with_seed) {
        let style = colour.mix(0.45).stroke_width(2);
        let points: Vec<(f64, f64)> = levels.iter().copied().zip(values.iter().copied()).collect();
        chart
            .draw_series(DashedLineSeries::new(points, 6, 4, style))
            .map_err(|x| e(&x))?
            .label(label)
            .legend(move |(x, y)| EmptyElement::at((x, y)) + PathElement::new(vec![(0, 0), (8, 0)], style) + PathElement::new(vec![(12, 0), (20, 0)], style));
    }
    let ours = [(rows.iter().map(|r| (r.level, r.denoised_accuracy)).collect::<Vec<_>>(), BLUE, "Denoised (this run)"), (rows.iter().map(|r| (r.level, r.noisy_accuracy)).collect(), ORANGE, "Noised (this run)")];
    for (points, colour, label) in ours {
        let style = colour.stroke_width(2);
        chart.draw_series(LineSeries::new(points.clone(), style)).map_err(|x| e(&x))?.label(label).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, colour.filled()))).map_err(|x| e(&x))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))
}

/// 4C's chart: the CNN's accuracy against noise, on noised and on denoised digits.
#[component]
pub fn DenoiseChart(
    #[prop(into)]
    result: Signal<Option<P4Result>>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move || {
        let Some(element) = canvas.get() else { return };
        let rows = result.with(|r| r.as_ref().map(|r| r.denoising.clone()).unwrap_or_default());
        crate::ui::charts::fit_canvas(&element, 560, 380);
        if let Err(e) = draw_denoise_chart(element, &rows, seed_applies()) {
            web_sys::console::error_1(&format!("cannot draw the 4C chart: {e}").into());
        }
    });
    view! { <div class="chart-box"><canvas node_ref=canvas class="chart" width="560" height="380" data-testid="denoise-chart" role="img"
        aria-label=move || result.with(|r| match r {
            Some(r) if !r.denoising.is_empty() => format!("CNN accuracy against noise level. {}", r.denoising.iter().map(|d| format!("noise {:.1}: noised {:.4}, denoised {:.4}", d.level, d.noisy_accuracy, d.denoised_accuracy)).collect::<Vec<_>>().join("; ")),
            _ => "CNN accuracy against noise level: no run yet.".to_string(),
        })></canvas><p class="exports"><crate::ui::export::SavePng canvas=canvas name="p4-denoise-chart" label="the 4C chart" /></p></div> }
}

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
        let seed = p4.query.with_untracked(|q| q.config.seed).wrapping_add(1000 + draws.get_value());
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
            <p class="exports"><crate::ui::export::SaveDigitsPng digits=Callback::new(move |_| p4.out.sampled.with_untracked(|g| g.as_ref().map(generated_for_png))) name="p4-sampled-digits" label="the sampled digits" /></p>
            <div class="buttons"><button type="button" data-testid="resample-button" disabled=move || !can_ask() on:click=move |_| resample()>"Sample again"</button></div>
            <h4>"Between two digits"</h4>
            <p class="muted small">
                {move || p4.out.interpolated.with(|g| match g.as_ref().map(|g| &g.how) {
                    Some(p4::Generation::Interpolated { from, to, from_label, to_label }) => format!("From training digit #{from} (a {from_label}) to #{to} (a {to_label}): the codes on the straight line between theirs, decoded."),
                    _ => String::new(),
                })}
            </p>
            <div class="p3-mistakes" data-testid="interpolated-digits">{move || p4.out.interpolated.with(|g| g.as_ref().map(cells))}</div>
            <p class="exports"><crate::ui::export::SaveDigitsPng digits=Callback::new(move |_| p4.out.interpolated.with_untracked(|g| g.as_ref().map(generated_for_png))) name="p4-interpolated-digits" label="the interpolated digits" /></p>
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
