//! Live training curves (P2C's plot, and P3's), drawn with plotters on a canvas: our
//! training and validation curves per epoch, with the seed notebook's curves dashed and
//! lighter for comparison.
//! Charts redraw only when an epoch ends (the history changes), never per step.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::ui::export::SavePng;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::experiment::EpochMetrics;
use crate::experiment::seed::Curves;

/// matplotlib's first two colours, as in the seed's plot.
const TRAIN_COLOUR: RGBColor = RGBColor(31, 119, 180);
const VAL_COLOUR: RGBColor = RGBColor(255, 127, 14);

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

/// Whether the seed notebook's figures belong beside the runs shown: only on MNIST (tracked;
/// see [`crate::ui::SeedApplies`]).
pub fn seed_applies() -> bool {
    use_context::<crate::ui::SeedApplies>().is_none_or(|s| s.0.get())
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
        fit_canvas(&element, WIDTH, HEIGHT);
        report(draw(element, &spec));
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
        fit_canvas(&element, WIDTH, HEIGHT);
        report(draw(element, &spec));
    });
    view! {
        <div class="chart-box">
            <canvas node_ref=canvas class="chart" width=WIDTH.to_string() height=HEIGHT.to_string()
                data-testid="loss-chart" role="img" aria-label=label></canvas>
            <p class="exports"><SavePng canvas=canvas name=name label="the loss chart" /></p>
        </div>
    }
}

/// Sizes `canvas` for the CSS width it is shown at (at most `width`, keeping the aspect
/// ratio), so its text is drawn at its CSS size: a chart drawn 640 px wide and shown 340 px
/// wide on a phone would shrink 13 px labels to 7 px. Tracks the page's width, so the
/// caller's effect redraws on resize.
pub fn fit_canvas(canvas: &HtmlCanvasElement, width: u32, height: u32) {
    if let Some(viewport) = use_context::<crate::ui::ViewportWidth>() {
        viewport.0.track();
    }
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

/// A chart's numbers as text (its `aria-label`): `name: v1, v2, …` with 4 decimals.
pub fn series_text(name: &str, values: &[f64]) -> String {
    let numbers: Vec<String> = values.iter().filter(|v| v.is_finite()).map(|v| format!("{v:.4}")).collect();
    if numbers.is_empty() { format!("{name}: none yet") } else { format!("{name}: {}", numbers.join(", ")) }
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

fn report(result: Result<(), String>) {
    if let Err(e) = result {
        web_sys::console::error_1(&format!("cannot draw the chart: {e}").into());
    }
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

    for (values, colour, label) in [(spec.seed_train, TRAIN_COLOUR, "Train (seed notebook)"), (spec.seed_val, VAL_COLOUR, "Validation (seed notebook)")] {
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
    for (values, colour, label) in [(&spec.ours_train, TRAIN_COLOUR, "Train (this run)"), (&spec.ours_val, VAL_COLOUR, "Validation (this run)")] {
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
