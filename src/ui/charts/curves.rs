//! Live training curves (P2C's plot, and P3's), drawn with plotters on a canvas: our
//! training and validation curves per epoch, with the seed notebook's curves dashed and
//! lighter for comparison.
//! Charts redraw only when an epoch ends (the history changes), never per step.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use super::{draw_after_frame, palette, report, series_text};
use crate::experiment::EpochMetrics;
use crate::experiment::seed::Curves;
use crate::ui::export::SavePng;
use crate::ui::seed_applies;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 380;

/// What one chart shows.
struct ChartSpec<'a> {
    title: &'a str,
    y_desc: &'a str,
    ours_train: Vec<f64>,
    ours_val: Vec<f64>,
    seed_train: &'a [f64],
    seed_val: &'a [f64],
    /// The x axis spans epochs 1..=`epochs`.
    epochs: usize,
    /// Accuracy charts end at 1; loss charts start at 0.
    accuracy: bool,
}

/// Training and validation accuracy per epoch, ours and the seed's (P2C's plot).
#[component]
pub fn AccuracyChart(
    /// Our finished epochs.
    #[prop(into)]
    history: Signal<Vec<EpochMetrics>>,
    /// Epochs of the run (the x axis covers at least the seed's).
    #[prop(into)]
    epochs: Signal<usize>,
    /// The seed notebook's log of the same model.
    seed: &'static Curves,
    /// The PNG file's name (without `.png`).
    name: &'static str,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let label = RwSignal::new(String::new());
    Effect::new(move || {
        let Some(element) = canvas.get() else { return };
        let spec = history.with(|h| ChartSpec {
            title: "Train and validation accuracy per epoch",
            y_desc: "Accuracy",
            ours_train: h.iter().map(|m| m.accuracy).collect(),
            ours_val: h.iter().map(|m| m.val_accuracy).collect(),
            seed_train: if seed_applies() { seed.accuracy } else { &[] },
            seed_val: if seed_applies() { seed.val_accuracy } else { &[] },
            epochs: epochs.get(),
            accuracy: true,
        });
        label.set(describe(&spec));
        draw_after_frame(element, WIDTH, HEIGHT, move |element| report(draw(element, &spec)));
    });
    view! {
        <div class="chart-box">
            <canvas node_ref=canvas class="chart" width=WIDTH.to_string() height=HEIGHT.to_string()
                data-testid="accuracy-chart" role="img" aria-label=label></canvas>
            <p class="exports"><SavePng canvas=canvas name=name label="the accuracy chart" /></p>
        </div>
    }
}

/// Training and validation loss per epoch, ours and the seed's.
#[component]
pub fn LossChart(
    /// Our finished epochs.
    #[prop(into)]
    history: Signal<Vec<EpochMetrics>>,
    /// Epochs of the run (the x axis covers at least the seed's).
    #[prop(into)]
    epochs: Signal<usize>,
    /// The seed notebook's log of the same model.
    seed: &'static Curves,
    /// The loss's name on the y axis.
    #[prop(default = "Loss (categorical cross-entropy)")]
    y_desc: &'static str,
    /// The PNG file's name (without `.png`).
    name: &'static str,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let label = RwSignal::new(String::new());
    Effect::new(move || {
        let Some(element) = canvas.get() else { return };
        let spec = history.with(|h| ChartSpec {
            title: "Train and validation loss per epoch",
            y_desc,
            ours_train: h.iter().map(|m| m.loss).collect(),
            ours_val: h.iter().map(|m| m.val_loss).collect(),
            seed_train: if seed_applies() { seed.loss } else { &[] },
            seed_val: if seed_applies() { seed.val_loss } else { &[] },
            epochs: epochs.get(),
            accuracy: false,
        });
        label.set(describe(&spec));
        draw_after_frame(element, WIDTH, HEIGHT, move |element| report(draw(element, &spec)));
    });
    view! {
        <div class="chart-box">
            <canvas node_ref=canvas class="chart" width=WIDTH.to_string() height=HEIGHT.to_string()
                data-testid="loss-chart" role="img" aria-label=label></canvas>
            <p class="exports"><SavePng canvas=canvas name=name label="the loss chart" /></p>
        </div>
    }
}

fn describe(spec: &ChartSpec) -> String {
    let last = |v: &[f64]| v.iter().rev().find(|v| v.is_finite()).map_or("—".to_string(), |v| format!("{v:.4}"));
    format!(
        "{} by epoch. {}. {}. Seed notebook after {} epochs: train {}, validation {}.",
        spec.title,
        series_text("This run, train", &spec.ours_train),
        series_text("validation", &spec.ours_val),
        spec.seed_train.len(),
        last(spec.seed_train),
        last(spec.seed_val)
    )
}

/// `(epoch, value)` pairs; epochs without a value (NaN: missing from a seed log) are left out.
fn points(values: &[f64]) -> Vec<(usize, f64)> {
    values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(i, v)| (i + 1, *v)).collect()
}

fn y_range(spec: &ChartSpec) -> (f64, f64) {
    let all = spec.ours_train.iter().chain(&spec.ours_val).chain(spec.seed_train).chain(spec.seed_val).copied().filter(|v| v.is_finite());
    if spec.accuracy {
        let low = all.fold(1.0f64, f64::min);
        // Round down to a multiple of 0.05 with some room below the lowest point.
        let low = ((low - 0.02) * 20.0).floor() / 20.0;
        (low.clamp(0.0, 0.95), 1.0)
    } else {
        let high = all.fold(0.0f64, f64::max);
        (0.0, (high * 1.1).max(0.05))
    }
}

fn draw(canvas: HtmlCanvasElement, spec: &ChartSpec) -> Result<(), String> {
    let backend = CanvasBackend::with_canvas_object(canvas).ok_or("the canvas has no 2d context")?;
    let root = backend.into_drawing_area();
    let e = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|x| e(&x))?;

    let x_max = spec.epochs.max(spec.seed_train.len()).max(spec.ours_train.len()).max(1);
    let (y_low, y_high) = y_range(spec);
    let mut chart = ChartBuilder::on(&root)
        .caption(spec.title, ("sans-serif", 18))
        .margin(14)
        .x_label_area_size(42)
        .y_label_area_size(58)
        .build_cartesian_2d(0usize..x_max + 1, y_low..y_high)
        .map_err(|x| e(&x))?;
    let x_formatter = |x: &usize| if (1..=x_max).contains(x) { x.to_string() } else { String::new() };
    chart
        .configure_mesh()
        .x_desc("Epoch")
        .y_desc(spec.y_desc)
        .x_labels(x_max.min(12) + 2)
        .x_label_formatter(&x_formatter)
        .y_label_formatter(&|y: &f64| format!("{y:.2}"))
        .light_line_style(BLACK.mix(0.04))
        .bold_line_style(BLACK.mix(0.1))
        .draw()
        .map_err(|x| e(&x))?;

    for (values, colour, label) in [(spec.seed_train, palette::TRAIN, "Train (seed notebook)"), (spec.seed_val, palette::VALIDATION, "Validation (seed notebook)")] {
        let style = colour.mix(0.45).stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new(points(values), 6, 4, style))
            .map_err(|x| e(&x))?
            .label(label)
            .legend(move |(x, y)| {
                // A dashed stroke in the legend too.
                EmptyElement::at((x, y)) + PathElement::new(vec![(0, 0), (8, 0)], style) + PathElement::new(vec![(12, 0), (20, 0)], style)
            });
    }
    for (values, colour, label) in [(&spec.ours_train, palette::TRAIN, "Train (this run)"), (&spec.ours_val, palette::VALIDATION, "Validation (this run)")] {
        let data = points(values);
        let style = colour.stroke_width(2);
        chart
            .draw_series(LineSeries::new(data.clone(), style))
            .map_err(|x| e(&x))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        chart.draw_series(data.into_iter().map(|p| Circle::new(p, 3, colour.filled()))).map_err(|x| e(&x))?;
    }
    chart
        .configure_series_labels()
        .position(if spec.accuracy { SeriesLabelPosition::LowerRight } else { SeriesLabelPosition::UpperRight })
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))?;
    Ok(())
}
