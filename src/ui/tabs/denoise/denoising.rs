//! Problem 4C: the CNN's accuracy on noised and on denoised test digits per noise level, as
//! a table and a chart, beside the seed's.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::experiment::p4::{self, P4Result, crossing_level};
use crate::experiment::seed;
use crate::ui::charts::draw_after_frame;
use crate::ui::charts::palette::{BLUE, ORANGE};
use crate::ui::components::format;
use crate::ui::components::wide::Wide;
use crate::ui::export::SavePng;
use crate::ui::seed_applies;

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
                        <Wide label="the 4C table" csv="p4-denoising-4c"><table class="denoise" data-testid="denoise-table">
                            <thead>
                                <tr><th>"noise"</th><th>"noised"</th><th>"denoised"</th>
                                    {with_seed.then(|| view! { <th>"seed: noised"</th><th>"seed: denoised"</th> })}</tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table></Wide>
                        <p data-testid="crossing">{crossing}{seed_crossing}</p>
                        <p class="muted small">{format!("CNN: {}. Accuracy on the first {} test digits.", r.cnn.clone().unwrap_or_default(), format::thousands(r.config.data.test_size))}</p>
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
        let with_seed = seed_applies();
        draw_after_frame(element, 560, 380, move |element| {
            if let Err(e) = draw_denoise_chart(element, &rows, with_seed) {
                web_sys::console::error_1(&format!("cannot draw the 4C chart: {e}").into());
            }
        });
    });
    view! { <div class="chart-box"><canvas node_ref=canvas class="chart" width="560" height="380" data-testid="denoise-chart" role="img"
        aria-label=move || result.with(|r| match r {
            Some(r) if !r.denoising.is_empty() => format!("CNN accuracy against noise level. {}", r.denoising.iter().map(|d| format!("noise {:.1}: noised {:.4}, denoised {:.4}", d.level, d.noisy_accuracy, d.denoised_accuracy)).collect::<Vec<_>>().join("; ")),
            _ => "CNN accuracy against noise level: no run yet.".to_string(),
        })></canvas><p class="exports"><SavePng canvas=canvas name="p4-denoise-chart" label="the 4C chart" /></p></div> }
}
