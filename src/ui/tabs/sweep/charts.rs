//! P2D's plots, drawn with plotters on canvases: a small accuracy curve per network (live
//! while it trains), and the seed's four plots over the regularization factor (log-scale x)
//! with LeCun's 0.9847 and the seed's best 0.9833 as horizontal reference lines.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use super::Sweep;
use super::plan::factor_label;
use crate::ui::charts::{draw_after_frame, palette, report, series_text};
use crate::ui::export::SavePng;
use crate::ui::seed_applies;
use crate::experiment::EpochMetrics;
use crate::experiment::p2d::{FactorStats, SweepSpec};
use crate::experiment::seed::{LECUN_500_300_WEIGHT_DECAY_ACCURACY, P2D_BEST_ACCURACY, P2D_MAX_ACCURACY};

const MINI_WIDTH: u32 = 240;
const MINI_HEIGHT: u32 = 150;
const WIDTH: u32 = 560;
const HEIGHT: u32 = 480;
/// One legend row under a plot.
const LEGEND_ROW: u32 = 18;

type DrawResult = Result<(), String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn backend(canvas: HtmlCanvasElement) -> Result<CanvasBackend, String> {
    CanvasBackend::with_canvas_object(canvas).ok_or_else(|| "the canvas has no 2d context".to_string())
}

/// A small chart of one network's training (blue) and validation (orange) accuracy per
/// epoch; redrawn when an epoch of it ends.
#[component]
pub fn NetworkCurve(
    /// Storage key of the network.
    key: String,
    /// Its position in the sweep (1-based, for the test id).
    number: usize,
    /// Epochs of the sweep's networks.
    epochs: usize,
    /// Where its history comes from: stored, or the worker training it.
    sweep: Sweep,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let history = Memo::new(move |_| {
        sweep
            .finished
            .with(|f| f.get(&key).map(|r| r.history.clone()))
            .or_else(|| sweep.slot_of(&key).map(|s| s.history.get()))
            .unwrap_or_default()
    });
    Effect::new(move || {
        let Some(element) = canvas.get() else { return };
        let history = history.get();
        draw_after_frame(element, MINI_WIDTH, MINI_HEIGHT, move |element| report(draw_curve(element, &history, epochs)));
    });
    view! {
        <canvas node_ref=canvas class="mini-chart" width=MINI_WIDTH.to_string() height=MINI_HEIGHT.to_string()
            data-testid=format!("network-chart-{number}")
            role="img" aria-label=move || history.with(|h| format!("network {number}: {}", series_text("validation accuracy per epoch", &h.iter().map(|m| m.val_accuracy).collect::<Vec<_>>())))></canvas>
    }
}

fn draw_curve(canvas: HtmlCanvasElement, history: &[EpochMetrics], epochs: usize) -> DrawResult {
    let root = backend(canvas)?.into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let x_max = epochs.max(history.len()).max(1);
    let low = history
        .iter()
        .flat_map(|m| [m.accuracy, m.val_accuracy])
        .filter(|v| v.is_finite())
        .fold(0.96f64, f64::min);
    let low = (((low - 0.01) * 50.0).floor() / 50.0).clamp(0.0, 0.96);
    let mut chart = ChartBuilder::on(&root)
        .margin(6)
        .x_label_area_size(18)
        .y_label_area_size(34)
        .build_cartesian_2d(0.5f64..x_max as f64 + 0.5, low..1.0f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(x_max.min(5))
        .y_labels(4)
        .x_label_formatter(&|x: &f64| if x.fract() == 0.0 && *x >= 1.0 { format!("{x:.0}") } else { String::new() })
        .y_label_formatter(&|y: &f64| format!("{y:.2}"))
        .label_style(("sans-serif", 11))
        .light_line_style(BLACK.mix(0.03))
        .bold_line_style(BLACK.mix(0.08))
        .draw()
        .map_err(err)?;
    for (values, colour) in [
        (history.iter().map(|m| m.accuracy).collect::<Vec<_>>(), palette::BLUE),
        (history.iter().map(|m| m.val_accuracy).collect::<Vec<_>>(), palette::ORANGE),
    ] {
        let points: Vec<(f64, f64)> = values.iter().enumerate().map(|(i, v)| ((i + 1) as f64, *v)).collect();
        chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(2))).map_err(err)?;
        if points.len() <= 12 {
            chart.draw_series(points.into_iter().map(|p| Circle::new(p, 2, colour.filled()))).map_err(err)?;
        }
    }
    root.present().map_err(err)?;
    Ok(())
}

/// Which of the seed's error-bar plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatKind {
    Final,
    Mean,
    Max,
}

impl StatKind {
    fn title(self) -> &'static str {
        match self {
            Self::Final => "Final validation accuracy with standard deviation",
            Self::Mean => "Mean validation accuracy with standard deviation",
            Self::Max => "Max validation accuracy with standard deviation",
        }
    }

    fn test_id(self) -> &'static str {
        match self {
            Self::Final => "sweep-chart-final",
            Self::Mean => "sweep-chart-mean",
            Self::Max => "sweep-chart-max",
        }
    }

    fn value(self, s: &FactorStats) -> f64 {
        match self {
            Self::Final => s.final_accuracy,
            Self::Mean => s.mean,
            Self::Max => s.max,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Final => "final accuracy ± std (ours)",
            Self::Mean => "mean accuracy ± std (ours)",
            Self::Max => "max accuracy ± std (ours)",
        }
    }
}

/// One line over the factors, optionally with ± error bars.
struct Series {
    label: String,
    colour: RGBColor,
    points: Vec<(f64, f64)>,
    errors: Option<Vec<f64>>,
    dashed: bool,
}

/// One of the seed's plots: `kind`'s value per factor with ± std error bars.
#[component]
pub fn StatsChart(
    kind: StatKind,
    /// The seed's statistics per factor (finished factors only).
    #[prop(into)]
    stats: Signal<Vec<FactorStats>>,
    /// The sweep's factors and replicates (the x axis).
    #[prop(into)]
    spec: Signal<SweepSpec>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move || {
        let Some(element) = canvas.get() else { return };
        let factors = spec.with(|s| s.factors.clone());
        let mut series = vec![stats.with(|st| Series {
            label: kind.label().into(),
            colour: palette::BLUE,
            points: st.iter().map(|s| (s.factor, kind.value(s))).collect(),
            errors: Some(st.iter().map(|s| s.std).collect()),
            dashed: false,
        })];
        let with_seed = seed_applies();
        if with_seed && kind == StatKind::Max && factors == SweepSpec::default().factors {
            series.push(Series {
                label: "seed's printed max_accuracy (cumulative)".into(),
                colour: palette::SEED,
                points: factors.iter().copied().zip(P2D_MAX_ACCURACY).collect(),
                errors: None,
                dashed: true,
            });
        }
        draw_after_frame(element, WIDTH, HEIGHT, move |element| report(draw_factor_chart(element, kind.title(), &factors, &series, with_seed)));
    });
    view! {
        <div class="chart-box">
            <canvas node_ref=canvas class="chart" width=WIDTH.to_string() height=HEIGHT.to_string()
                data-testid=kind.test_id() role="img" aria-label=move || chart_text(kind.title(), &stats.get(), kind)></canvas>
            <p class="exports"><SavePng canvas=canvas name=kind.test_id() label="the chart" /></p>
        </div>
    }
}

/// The seed's fourth plot: mean, final and max validation accuracy per factor.
#[component]
pub fn CompareChart(
    #[prop(into)]
    stats: Signal<Vec<FactorStats>>,
    #[prop(into)]
    spec: Signal<SweepSpec>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move || {
        let Some(element) = canvas.get() else { return };
        let factors = spec.with(|s| s.factors.clone());
        let series = stats.with(|st| {
            [("Mean Validation Accuracy", palette::BLUE, StatKind::Mean), ("Final Validation Accuracy", palette::ORANGE, StatKind::Final), ("Max Validation Accuracy", palette::GREEN, StatKind::Max)]
                .into_iter()
                .map(|(label, colour, kind)| Series {
                    label: label.into(),
                    colour,
                    points: st.iter().map(|s| (s.factor, kind.value(s))).collect(),
                    errors: None,
                    dashed: false,
                })
                .collect::<Vec<_>>()
        });
        let with_seed = seed_applies();
        draw_after_frame(element, WIDTH, HEIGHT, move |element| report(draw_factor_chart(element, "Mean vs final vs max validation accuracy", &factors, &series, with_seed)));
    });
    view! {
        <div class="chart-box">
        <canvas node_ref=canvas class="chart" width=WIDTH.to_string() height=HEIGHT.to_string()
            data-testid="sweep-chart-compare" role="img"
            aria-label=move || {
                let st = stats.get();
                format!("{} {} {}", chart_text("Mean validation accuracy per factor", &st, StatKind::Mean), chart_text("Final", &st, StatKind::Final), chart_text("Max", &st, StatKind::Max))
            }></canvas>
            <p class="exports"><SavePng canvas=canvas name="sweep-chart-compare" label="the comparison chart" /></p>
        </div>
    }
}

/// A factor chart's numbers as text (its `aria-label`).
fn chart_text(title: &str, stats: &[FactorStats], kind: StatKind) -> String {
    if stats.is_empty() {
        return format!("{title}: no finished networks yet.");
    }
    let values: Vec<String> = stats.iter().map(|s| format!("factor {}: {:.4} ± {:.4}", factor_label(s.factor), kind.value(s), s.std)).collect();
    format!("{title}: {}.", values.join("; "))
}

/// The y range: every value (± its error) and both reference lines, capped at 1.
fn y_range(series: &[Series]) -> (f64, f64) {
    let mut low = P2D_BEST_ACCURACY.min(LECUN_500_300_WEIGHT_DECAY_ACCURACY);
    let mut high = P2D_BEST_ACCURACY.max(LECUN_500_300_WEIGHT_DECAY_ACCURACY);
    for s in series {
        for (i, (_, y)) in s.points.iter().enumerate() {
            let e = s.errors.as_ref().and_then(|e| e.get(i)).copied().unwrap_or(0.0);
            if y.is_finite() && e.is_finite() {
                low = low.min(y - e);
                high = high.max(y + e);
            }
        }
    }
    let pad = 0.08 * (high - low).max(0.004);
    ((low - pad).max(0.0), (high + pad).min(1.0))
}

/// A legend entry: label, colour, dashed or solid.
struct LegendEntry {
    label: String,
    colour: RGBColor,
    dashed: bool,
}

/// The legend under the plot (it never covers the data).
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, plotters::coord::Shift>, entries: &[LegendEntry]) -> DrawResult {
    // One entry per row: two columns cut the longer labels on narrow canvases.
    for (i, entry) in entries.iter().enumerate() {
        let x = 24;
        let y = 8 + i as i32 * LEGEND_ROW as i32 + LEGEND_ROW as i32 / 2;
        let style = entry.colour.stroke_width(2);
        if entry.dashed {
            area.draw(&PathElement::new(vec![(x, y), (x + 9, y)], style)).map_err(err)?;
            area.draw(&PathElement::new(vec![(x + 14, y), (x + 23, y)], style)).map_err(err)?;
        } else {
            area.draw(&PathElement::new(vec![(x, y), (x + 23, y)], style)).map_err(err)?;
        }
        let font = ("sans-serif", 12).into_font().color(&BLACK.mix(0.85)).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(entry.label.clone(), (x + 30, y), font)).map_err(err)?;
    }
    Ok(())
}

/// Decimals that tell the y labels apart.
fn y_decimals(low: f64, high: f64) -> usize {
    match high - low {
        s if s < 0.01 => 4,
        s if s < 0.1 => 3,
        _ => 2,
    }
}

/// `with_references`: LeCun's and the seed's MNIST figures as horizontal lines (MNIST only).
fn draw_factor_chart(canvas: HtmlCanvasElement, title: &str, factors: &[f64], series: &[Series], with_references: bool) -> DrawResult {
    let root = backend(canvas)?.into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut references = vec![
        (LECUN_500_300_WEIGHT_DECAY_ACCURACY, palette::LECUN, format!("LeCun: 500+300, weight decay ({LECUN_500_300_WEIGHT_DECAY_ACCURACY:.4})")),
        (P2D_BEST_ACCURACY, palette::SEED, format!("seed notebook's best ({P2D_BEST_ACCURACY:.4})")),
    ];
    if !with_references {
        references.clear();
    }
    let mut legend: Vec<LegendEntry> = series.iter().map(|s| LegendEntry { label: s.label.clone(), colour: s.colour, dashed: s.dashed }).collect();
    legend.extend(references.iter().map(|(_, colour, label)| LegendEntry { label: label.clone(), colour: *colour, dashed: true }));
    let legend_height = legend.len() as u32 * LEGEND_ROW + 12;
    let (_, height) = root.dim_in_pixel();
    let (plot_area, legend_area) = root.split_vertically(height.saturating_sub(legend_height));

    let (min, max) = factors.iter().copied().filter(|f| *f > 0.0).fold((f64::MAX, f64::MIN), |(lo, hi), f| (lo.min(f), hi.max(f)));
    let (x_low, x_high) = if min <= max { (min / 2.0, max * 2.0) } else { (1e-7, 1e-2) };
    let (y_low, y_high) = y_range(series);
    let decimals = y_decimals(y_low, y_high);
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(44)
        // Room for 4-decimal ticks and the rotated axis name beside them.
        .y_label_area_size(78)
        .build_cartesian_2d((x_low..x_high).log_scale().with_key_points(factors.to_vec()), RangedCoordf64::from(y_low..y_high))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("Regularization factor (log scale)")
        .y_desc("Validation accuracy")
        .x_label_formatter(&|x: &f64| factor_label(*x))
        .y_label_formatter(&|y: &f64| format!("{y:.decimals$}"))
        .label_style(("sans-serif", 12))
        .light_line_style(BLACK.mix(0.04))
        .bold_line_style(BLACK.mix(0.1))
        .draw()
        .map_err(err)?;

    // LeCun's line in long dashes, the seed's in short ones, so both show where they touch.
    for ((value, colour, _), (dash, gap)) in references.iter().zip([(8, 5), (3, 4)]) {
        let style = colour.stroke_width(2);
        chart.draw_series(DashedLineSeries::new(vec![(x_low, *value), (x_high, *value)], dash, gap, style)).map_err(err)?;
    }
    for s in series {
        let style = s.colour.stroke_width(2);
        if s.dashed {
            chart.draw_series(DashedLineSeries::new(s.points.clone(), 6, 4, style)).map_err(err)?;
        } else {
            chart.draw_series(LineSeries::new(s.points.clone(), style)).map_err(err)?;
        }
        chart.draw_series(s.points.iter().map(|&p| Circle::new(p, 3, s.colour.filled()))).map_err(err)?;
        if let Some(errors) = &s.errors {
            let bar = s.colour.stroke_width(1);
            let bars = s.points.iter().zip(errors).filter(|(_, e)| **e > 0.0).map(|(&(x, y), &e)| {
                // The vertical bar in data coordinates, its caps 8 px wide.
                PathElement::new(vec![(x, (y - e).max(y_low)), (x, (y + e).min(y_high))], bar)
            });
            chart.draw_series(bars).map_err(err)?;
            let caps = s.points.iter().zip(errors).filter(|(_, e)| **e > 0.0).flat_map(|(&(x, y), &e)| {
                [y - e, y + e].map(|yc| EmptyElement::at((x, yc.clamp(y_low, y_high))) + PathElement::new(vec![(-4, 0), (4, 0)], bar))
            });
            chart.draw_series(caps).map_err(err)?;
        }
    }
    if series.iter().all(|s| s.points.is_empty()) {
        let centre = ((x_low * x_high).sqrt(), y_low + 0.3 * (y_high - y_low));
        let font = ("sans-serif", 14).into_font().color(&BLACK.mix(0.5)).pos(Pos::new(HPos::Center, VPos::Center));
        chart.draw_series(std::iter::once(Text::new("no finished networks yet", centre, font))).map_err(err)?;
    }
    draw_legend(&legend_area, &legend)?;
    root.present().map_err(err)?;
    Ok(())
}
