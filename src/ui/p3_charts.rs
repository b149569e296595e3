//! Problem 3's live curves: the CNN's training and validation accuracy and loss per epoch,
//! drawn with plotters on a canvas, with the seed notebook's 40-epoch curves dashed and
//! lighter beside them. As P2's charts ([`super::charts`]), but with the seed's P3 log;
//! they redraw only when an epoch ends.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::experiment::EpochMetrics;

/// The seed's P3 Keras log, epochs 1 to 40: `loss`, `accuracy`, `val_loss`, `val_accuracy`.
pub const SEED_LOSS: [f64; 40] = [
    0.4533, 0.1237, 0.0889, 0.0693, 0.0596, 0.0504, 0.0437, 0.0399, 0.0351, 0.0318, 0.0289, 0.0258, 0.0230, 0.0212, 0.0197, 0.0193, 0.0177, 0.0151, 0.0137, 0.0123,
    0.0118, 0.0112, 0.0098, 0.0102, 0.0087, 0.0076, 0.0084, 0.0072, 0.0067, 0.0066, 0.0066, 0.0060, 0.0058, 0.0044, 0.0044, 0.0043, 0.0051, 0.0033, 0.0037, 0.0040,
];
pub const SEED_ACCURACY: [f64; 40] = [
    0.8551, 0.9633, 0.9745, 0.9798, 0.9830, 0.9854, 0.9873, 0.9888, 0.9895, 0.9909, 0.9916, 0.9919, 0.9928, 0.9937, 0.9941, 0.9940, 0.9946, 0.9955, 0.9959, 0.9961,
    0.9962, 0.9965, 0.9972, 0.9966, 0.9973, 0.9976, 0.9971, 0.9979, 0.9979, 0.9978, 0.9978, 0.9980, 0.9982, 0.9986, 0.9986, 0.9988, 0.9984, 0.9991, 0.9989, 0.9986,
];
pub const SEED_VAL_LOSS: [f64; 40] = [
    0.0916, 0.0673, 0.0558, 0.0401, 0.0377, 0.0378, 0.0345, 0.0324, 0.0289, 0.0299, 0.0310, 0.0316, 0.0311, 0.0312, 0.0284, 0.0282, 0.0265, 0.0276, 0.0258, 0.0262,
    0.0290, 0.0347, 0.0323, 0.0314, 0.0649, 0.0303, 0.0310, 0.0298, 0.0299, 0.0297, 0.0318, 0.0306, 0.0327, 0.0382, 0.0320, 0.0339, 0.0328, 0.0313, 0.0308, 0.0302,
];
pub const SEED_VAL_ACCURACY: [f64; 40] = [
    0.9716, 0.9795, 0.9815, 0.9868, 0.9877, 0.9881, 0.9880, 0.9897, 0.9902, 0.9903, 0.9906, 0.9897, 0.9898, 0.9908, 0.9916, 0.9912, 0.9915, 0.9913, 0.9916, 0.9920,
    0.9915, 0.9905, 0.9911, 0.9899, 0.9838, 0.9919, 0.9907, 0.9916, 0.9916, 0.9920, 0.9914, 0.9919, 0.9913, 0.9904, 0.9914, 0.9914, 0.9908, 0.9922, 0.9920, 0.9912,
];

/// matplotlib's first two colours, as in the seed's plots.
const TRAIN_COLOUR: RGBColor = RGBColor(31, 119, 180);
const VAL_COLOUR: RGBColor = RGBColor(255, 127, 14);

const WIDTH: u32 = 640;
const HEIGHT: u32 = 380;

/// What one chart shows.
struct Spec<'a> {
    title: &'a str,
    y_desc: &'a str,
    ours_train: Vec<f64>,
    ours_val: Vec<f64>,
    seed_train: &'a [f64],
    seed_val: &'a [f64],
    /// The x axis spans epochs 1..=`epochs` (at least the seed's 40).
    epochs: usize,
    /// Accuracy charts end at 1; loss charts start at 0.
    accuracy: bool,
}

/// The CNN's training and validation accuracy per epoch, ours and the seed's.
#[component]
pub fn P3AccuracyChart(
    /// Our finished epochs.
    #[prop(into)]
    history: Signal<Vec<EpochMetrics>>,
    /// Epochs of the run.
    #[prop(into)]
    epochs: Signal<usize>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move || {
        let Some(element) = canvas.get() else { return };
        let spec = history.with(|h| Spec {
            title: "CNN: train and validation accuracy per epoch",
            y_desc: "Accuracy",
            ours_train: h.iter().map(|m| m.accuracy).collect(),
            ours_val: h.iter().map(|m| m.val_accuracy).collect(),
            seed_train: &SEED_ACCURACY,
            seed_val: &SEED_VAL_ACCURACY,
            epochs: epochs.get(),
            accuracy: true,
        });
        report(draw(element, &spec));
    });
    view! {
        <canvas node_ref=canvas class="chart" width=WIDTH.to_string() height=HEIGHT.to_string()
            data-testid="accuracy-chart" aria-label="the CNN's train and validation accuracy per epoch"></canvas>
    }
}

/// The CNN's training and validation loss per epoch, ours and the seed's.
#[component]
pub fn P3LossChart(
    /// Our finished epochs.
    #[prop(into)]
    history: Signal<Vec<EpochMetrics>>,
    /// Epochs of the run.
    #[prop(into)]
    epochs: Signal<usize>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move || {
        let Some(element) = canvas.get() else { return };
        let spec = history.with(|h| Spec {
            title: "CNN: train and validation loss per epoch",
            y_desc: "Loss (categorical cross-entropy)",
            ours_train: h.iter().map(|m| m.loss).collect(),
            ours_val: h.iter().map(|m| m.val_loss).collect(),
            seed_train: &SEED_LOSS,
            seed_val: &SEED_VAL_LOSS,
            epochs: epochs.get(),
            accuracy: false,
        });
        report(draw(element, &spec));
    });
    view! {
        <canvas node_ref=canvas class="chart" width=WIDTH.to_string() height=HEIGHT.to_string()
            data-testid="loss-chart" aria-label="the CNN's train and validation loss per epoch"></canvas>
    }
}

fn report(result: Result<(), String>) {
    if let Err(e) = result {
        web_sys::console::error_1(&format!("cannot draw the chart: {e}").into());
    }
}

fn points(values: &[f64]) -> Vec<(usize, f64)> {
    values.iter().enumerate().map(|(i, v)| (i + 1, *v)).collect()
}

fn y_range(spec: &Spec) -> (f64, f64) {
    let all = spec.ours_train.iter().chain(&spec.ours_val).chain(spec.seed_train).chain(spec.seed_val).copied().filter(|v| v.is_finite());
    if spec.accuracy {
        let low = all.fold(1.0f64, f64::min);
        let low = ((low - 0.02) * 20.0).floor() / 20.0;
        (low.clamp(0.0, 0.95), 1.0)
    } else {
        let high = all.fold(0.0f64, f64::max);
        (0.0, (high * 1.1).max(0.05))
    }
}

fn draw(canvas: HtmlCanvasElement, spec: &Spec) -> Result<(), String> {
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
        .x_labels(x_max.min(10) + 2)
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
            .legend(move |(x, y)| EmptyElement::at((x, y)) + PathElement::new(vec![(0, 0), (8, 0)], style) + PathElement::new(vec![(12, 0), (20, 0)], style));
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
