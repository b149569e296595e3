//! Problem 3, what the trained CNN does and what 3B discusses, shown: the confusion matrix
//! over the 10,000 test digits, the misclassified digits, the 32 learned first-layer
//! filters, the parameter count and time per epoch of the CNN beside the two MLPs, and the
//! seed's written answers 3A and 3B with this page's numbers where they compare.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsValue;
use web_sys::HtmlCanvasElement;

use crate::ui::charts::canvas::{DIGIT_SCALE, context_2d, draw_digit};
use crate::ui::seed_applies;
use crate::ui::components::format;
use crate::ui::state::RunState;
use crate::ui::tabs::sweep::controller::Sweep;
use crate::data::CLASSES;
use crate::data::mnist::ROWS;
use crate::experiment::RunResult;
use crate::experiment::result::Mistake;
use crate::experiment::seed;
use crate::model::summary::{cnn_summary, mlp_summary};

/// Multiply-adds of one forward pass of one image (biases, activations and pooling left out).
/// CNN: conv 26·26·32·(3·3·1) + conv 11·11·64·(3·3·32) + 1600·200 + 200·128 + 128·10.
const CNN_MACS: usize = 26 * 26 * 32 * 9 + 11 * 11 * 64 * (9 * 32) + 1600 * 200 + 200 * 128 + 128 * 10;
/// MLP 784-64-64-10.
const MLP_64_MACS: usize = 784 * 64 + 64 * 64 + 64 * 10;
/// MLP 784-500-300-10.
const MLP_500_MACS: usize = 784 * 500 + 500 * 300 + 300 * 10;
/// Parameters of the CNN's two convolutional layers (3·3·1·32 + 32 and 3·3·32·64 + 64).
const CNN_CONV_PARAMS: usize = 320 + 18_496;
/// Parameters of the CNN's Dense(200) after Flatten (1600·200 + 200).
const CNN_DENSE_200_PARAMS: usize = 320_200;
/// A Dense layer from the 784 pixels to as many outputs as the first Conv2D has
/// (26·26·32 = 21,632) would need this many parameters, against the Conv2D's 320.
const DENSE_LIKE_CONV1_PARAMS: usize = 784 * 26 * 26 * 32 + 26 * 26 * 32;

// ---------------------------------------------------------------------------------------
// The confusion matrix
// ---------------------------------------------------------------------------------------

/// `confusion[true][predicted]` as a 10 × 10 table: rows the true digit, columns the
/// predicted one, the correct counts on the highlighted diagonal, the others shaded by count.
#[component]
pub fn ConfusionMatrix(
    /// `[true][predicted]` counts over the test set.
    confusion: Vec<Vec<u32>>,
) -> impl IntoView {
    let well_formed = confusion.len() == CLASSES && confusion.iter().all(|row| row.len() == CLASSES);
    if !well_formed {
        return view! { <p class="error">"The run's confusion matrix is not 10 × 10; it cannot be shown."</p> }.into_any();
    }
    let matrix = confusion.clone();
    let png_error = RwSignal::new(None::<String>);
    let total: u32 = confusion.iter().flatten().sum();
    let correct: u32 = (0..CLASSES).map(|i| confusion[i][i]).sum();
    let max_off = (0..CLASSES)
        .flat_map(|t| (0..CLASSES).filter(move |&p| p != t).map(move |p| (t, p)))
        .map(|(t, p)| confusion[t][p])
        .max()
        .unwrap_or(0)
        .max(1);
    // An uploaded dataset's class names as the headers' titles (the cells stay narrow).
    let names = use_context::<crate::ui::lab::Lab>().map(|lab| lab.class_names_untracked()).unwrap_or_default();
    let head = (0..CLASSES).map(|p| view! { <th scope="col" class="num" title=names.label(p)>{p}</th> }).collect_view();
    let rows = confusion
        .iter()
        .enumerate()
        .map(|(t, row)| {
            let row_total: u32 = row.iter().sum();
            let cells = row
                .iter()
                .enumerate()
                .map(|(p, &count)| {
                    let (class, style) = if p == t {
                        ("num diag", String::new())
                    } else if count > 0 {
                        // Off-diagonal: the more mistakes, the redder.
                        let alpha = 0.08 + 0.5 * f64::from(count) / f64::from(max_off);
                        ("num off", format!("background-color: rgba(214, 39, 40, {alpha:.2})"))
                    } else {
                        ("num zero", String::new())
                    };
                    view! { <td class=class style=style title=format!("true {}, predicted {}: {count}", names.label(t), names.label(p))>{count}</td> }
                })
                .collect_view();
            let recall = if row_total > 0 { format!("{:.1} %", 100.0 * f64::from(row[t]) / f64::from(row_total)) } else { "—".into() };
            view! {
                <tr>
                    <th scope="row" class="num" title=names.label(t)>{if names.is_digits() { t.to_string() } else { names.label(t) }}</th>
                    {cells}
                    <th class="num recall">{recall}</th>
                </tr>
            }
        })
        .collect_view();
    let confusions = top_confusions(&confusion, 5);
    let confusions_text = if confusions.is_empty() {
        "No test digit was misclassified.".to_string()
    } else {
        format!(
            "Most frequent mistakes (true → predicted): {}.",
            confusions.iter().map(|(t, p, n)| format!("{t} → {p} ({n})")).collect::<Vec<_>>().join(", ")
        )
    };
    view! {
        <div class="scroll-x">
            <crate::ui::components::wide::Wide label="confusion matrix" csv="p3-confusion-matrix"><table class="confusion" data-testid="confusion-matrix">
                <caption>
                    "Rows: the true digit; columns: the predicted digit. "
                    {format!("{} of {} test digits on the diagonal (correct).", format::thousands(correct as usize), format::thousands(total as usize))}
                </caption>
                <thead>
                    <tr>
                        <th scope="col" class="corner" title="rows: true digit; columns: predicted digit">"true \\ pred."</th>
                        {head}
                        <th scope="col" class="num recall">"correct"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table></crate::ui::components::wide::Wide>
        </div>
        <p class="muted small" data-testid="top-confusions">{confusions_text}</p>
        <p class="exports">
            <button class="link export" data-testid="png-p3-confusion-matrix" aria-label="Save the confusion matrix as PNG"
                on:click=move |_| png_error.set(crate::ui::export::save_matrix_png("p3-confusion-matrix", &matrix).err())>"Save PNG"</button>
            {move || png_error.get().map(|e| view! { <span class="warning small">{format!(" could not save: {e}")}</span> })}
        </p>
    }
    .into_any()
}

/// The `n` largest off-diagonal counts as (true, predicted, count), largest first.
fn top_confusions(confusion: &[Vec<u32>], n: usize) -> Vec<(usize, usize, u32)> {
    let mut off: Vec<(usize, usize, u32)> = confusion
        .iter()
        .enumerate()
        .flat_map(|(t, row)| row.iter().enumerate().filter(move |&(p, &c)| p != t && c > 0).map(move |(p, &c)| (t, p, c)))
        .collect();
    off.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    off.truncate(n);
    off
}

// ---------------------------------------------------------------------------------------
// The learned filters
// ---------------------------------------------------------------------------------------

/// Each kernel weight becomes a `FILTER_SCALE`² square.
const FILTER_SCALE: usize = 14;
const FILTER_SIZE: usize = 3;
const FILTER_CELL: usize = FILTER_SIZE * FILTER_SCALE;
const FILTER_GAP: usize = 10;
const FILTER_COLUMNS: usize = 8;

/// The first Conv2D's 32 learned 3 × 3 kernels as grey squares, each normalised to its own
/// range (darkest = its most negative weight, lightest = its most positive).
#[component]
pub fn FilterGrid(
    /// `[filter][3 * 3]` weights, row-major.
    filters: Vec<Vec<f32>>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let count = filters.len();
    let rows = count.div_ceil(FILTER_COLUMNS).max(1);
    let width = FILTER_COLUMNS * (FILTER_CELL + FILTER_GAP) + FILTER_GAP;
    let height = rows * (FILTER_CELL + FILTER_GAP) + FILTER_GAP;
    Effect::new(move || {
        if let Some(element) = canvas.get()
            && let Err(e) = draw_filters(&element, &filters)
        {
            web_sys::console::error_1(&format!("cannot draw the filters: {e:?}").into());
        }
    });
    view! {
        <figure class="p3-filters">
            <canvas node_ref=canvas role="img" width=width.to_string() height=height.to_string() data-testid="filters"
                aria-label=format!("the {count} learned 3 by 3 filters of the first convolutional layer")></canvas>
            <figcaption>
                {format!("The {count} learned 3 × 3 kernels of the first Conv2D, ")}
                "each scaled to its own range: black its most negative weight, white its most positive. "
                <crate::ui::export::SavePng canvas=canvas name="p3-filters" label="the filters" />
            </figcaption>
        </figure>
    }
}

/// A kernel's weights as grey levels 0..=255, normalised to the kernel's own range
/// (a constant or non-finite kernel is mid-grey).
fn grey_levels(kernel: &[f32]) -> Vec<u8> {
    let finite = kernel.iter().copied().filter(|v| v.is_finite());
    let (low, high) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = high - low;
    kernel
        .iter()
        .map(|&v| if v.is_finite() && span > f32::EPSILON { (255.0 * (v - low) / span).round().clamp(0.0, 255.0) as u8 } else { 128 })
        .collect()
}

fn draw_filters(canvas: &HtmlCanvasElement, filters: &[Vec<f32>]) -> Result<(), JsValue> {
    let context = context_2d(canvas)?;
    context.set_fill_style_str("#ffffff");
    context.fill_rect(0.0, 0.0, f64::from(canvas.width()), f64::from(canvas.height()));
    for (i, kernel) in filters.iter().enumerate() {
        let x0 = FILTER_GAP + (i % FILTER_COLUMNS) * (FILTER_CELL + FILTER_GAP);
        let y0 = FILTER_GAP + (i / FILTER_COLUMNS) * (FILTER_CELL + FILTER_GAP);
        for (j, grey) in grey_levels(kernel).into_iter().enumerate().take(FILTER_SIZE * FILTER_SIZE) {
            let (row, col) = (j / FILTER_SIZE, j % FILTER_SIZE);
            context.set_fill_style_str(&format!("rgb({grey},{grey},{grey})"));
            context.fill_rect((x0 + col * FILTER_SCALE) as f64, (y0 + row * FILTER_SCALE) as f64, FILTER_SCALE as f64, FILTER_SCALE as f64);
        }
        context.set_stroke_style_str("#98a2b3");
        context.stroke_rect(x0 as f64 - 0.5, y0 as f64 - 0.5, FILTER_CELL as f64 + 1.0, FILTER_CELL as f64 + 1.0);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The misclassified digits
// ---------------------------------------------------------------------------------------

/// The first misclassified test digits, each captioned "true 4 → predicted 9".
#[component]
pub fn MistakeGrid(
    /// The run's mistakes, in test-set order.
    mistakes: Vec<Mistake>,
    /// Misclassified digits in all (the grid shows the first of them).
    total: usize,
) -> impl IntoView {
    let shown = mistakes.len();
    let caption = if shown == 0 {
        "No test digit was misclassified.".to_string()
    } else if total > shown {
        format!("The first {shown} of the {} misclassified test digits, in test-set order.", format::thousands(total))
    } else {
        format!("All {shown} misclassified test digits, in test-set order.")
    };
    let for_png: Vec<(Vec<u8>, String)> = mistakes.iter().map(|m| (m.pixels.clone(), format!("{} → {}", m.label, m.predicted))).collect();
    let digits = Callback::new(move |_| (!for_png.is_empty()).then(|| for_png.clone()));
    let cells = mistakes.into_iter().map(|m| view! { <MistakeDigit mistake=m /> }).collect_view();
    view! {
        <p class="muted small">{caption} " " <crate::ui::export::SaveDigitsPng digits=digits name="p3-mistakes" label="the misclassified digits" /></p>
        <div class="p3-mistakes" data-testid="mistakes">{cells}</div>
    }
}

/// One misclassified digit and its caption.
#[component]
fn MistakeDigit(mistake: Mistake) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let side = ROWS * DIGIT_SCALE;
    let caption = format!("true {} → predicted {}", mistake.label, mistake.predicted);
    let title = format!("test digit #{}: {caption}", mistake.index);
    let pixels = mistake.pixels;
    Effect::new(move || {
        if let Some(element) = canvas.get()
            && let Err(e) = draw_digit(&element, &pixels)
        {
            web_sys::console::error_1(&format!("cannot draw a misclassified digit: {e:?}").into());
        }
    });
    view! {
        <figure class="p3-mistake" title=title>
            <canvas node_ref=canvas role="img" width=side.to_string() height=side.to_string() aria-label=caption.clone()></canvas>
            <figcaption>{caption}</figcaption>
        </figure>
    }
}

// ---------------------------------------------------------------------------------------
// 3B: the CNN beside the two MLPs
// ---------------------------------------------------------------------------------------

/// Seconds per epoch of one model on this page (training and validation).
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    pub seconds_per_epoch: f64,
    /// Epochs averaged.
    pub epochs: usize,
    /// Networks averaged (P2D), else 1.
    pub networks: usize,
    pub train_size: Option<usize>,
    pub backend: Option<String>,
    /// The run is still going (the mean covers its finished epochs).
    pub running: bool,
}

impl Timing {
    /// From a single run's state (P2 or P3): the mean over its finished epochs.
    pub fn of_run(run: &RunState) -> Option<Self> {
        let seconds: Vec<f64> = run.history.with(|h| h.iter().map(|m| m.seconds).collect());
        if seconds.is_empty() {
            return None;
        }
        Some(Self {
            seconds_per_epoch: seconds.iter().sum::<f64>() / seconds.len() as f64,
            epochs: seconds.len(),
            networks: 1,
            train_size: run.config.with(|c| c.as_ref().map(|c| c.train_size)),
            backend: run.backend.with(|b| b.as_ref().map(|b| b.name.clone())),
            running: run.is_running(),
        })
    }

    /// From the sweep's finished networks (P2D): the mean over all their epochs.
    pub fn of_results<'a>(results: impl IntoIterator<Item = &'a RunResult>) -> Option<Self> {
        let mut seconds = Vec::new();
        let (mut networks, mut sizes, mut backends) = (0, Vec::new(), Vec::new());
        for r in results.into_iter().filter(|r| !r.history.is_empty()) {
            networks += 1;
            seconds.extend(r.history.iter().map(|m| m.seconds));
            sizes.push(r.config.train_size);
            backends.push(r.backend.clone());
        }
        if seconds.is_empty() {
            return None;
        }
        let same = |v: &[String]| v.first().filter(|f| v.iter().all(|x| x == *f)).cloned();
        let train_size = sizes.first().copied().filter(|f| sizes.iter().all(|x| x == f));
        Some(Self {
            seconds_per_epoch: seconds.iter().sum::<f64>() / seconds.len() as f64,
            epochs: seconds.len(),
            networks,
            train_size,
            backend: same(&backends).or_else(|| Some("several backends".into())),
            running: false,
        })
    }

    fn detail(&self) -> String {
        let mut parts = Vec::new();
        if let Some(b) = &self.backend {
            parts.push(b.clone());
        }
        parts.push(match self.train_size {
            Some(n) => format!("{} images", format::thousands(n)),
            None => "several training sizes".into(),
        });
        parts.push(if self.networks > 1 {
            format!("mean of {} networks, {}", self.networks, format::epochs(self.epochs))
        } else {
            format!("mean of {}", format::epochs(self.epochs))
        });
        if self.running {
            parts.push("so far".into());
        }
        parts.join(" · ")
    }
}

/// The three models' timings on this page, for the table and the 3B answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timings {
    pub cnn: Option<Timing>,
    pub mlp_64: Option<Timing>,
    pub mlp_500: Option<Timing>,
}

impl Timings {
    pub fn read(p3: &RunState, p2: &RunState, sweep: &Sweep) -> Self {
        Self {
            cnn: Timing::of_run(p3),
            mlp_64: Timing::of_run(p2),
            mlp_500: sweep.finished.with(|f| Timing::of_results(f.values())),
        }
    }
}

/// Parameters, arithmetic and time per epoch of the CNN, the 64-64 MLP (P2) and the
/// 500-300 MLP (P2D).
#[component]
pub fn ModelComparison(
    /// This page's timings (runs finished or going in this session, P2D networks stored).
    #[prop(into)]
    timings: Signal<Timings>,
) -> impl IntoView {
    let row = move |name: &'static str, params: usize, macs: usize, seed: String, pick: fn(&Timings) -> Option<Timing>| {
        let here = move || match timings.with(pick) {
            Some(t) => view! {
                <span class="num">{format!("{:.2} s", t.seconds_per_epoch)}</span>
                <div class="muted small">{t.detail()}</div>
            }
            .into_any(),
            None => view! { <span class="muted">"not run yet"</span> }.into_any(),
        };
        view! {
            <tr>
                <th scope="row">{name}</th>
                <td class="num">{format::thousands(params)}</td>
                <td class="num">{format::thousands(macs)}</td>
                <td class="num">{here}</td>
                <td class="num">{seed}</td>
            </tr>
        }
    };
    view! {
        <div class="scroll-x">
            <crate::ui::components::wide::Wide label="comparison of the three networks" csv="p3-model-comparison"><table class="compare p3-models" data-testid="model-comparison">
                <thead>
                    <tr>
                        <th>"Model"</th>
                        <th class="num">"Parameters"</th>
                        <th class="num">"Multiply-adds per image"</th>
                        <th class="num">"Seconds per epoch here"</th>
                        <th class="num">"Seed (Keras)"</th>
                    </tr>
                </thead>
                <tbody>
                    {row("CNN (P3)", cnn_summary().total_params(), CNN_MACS, format!("{:.0} s", seed::P3_SECONDS_PER_EPOCH), |t| t.cnn.clone())}
                    {row("MLP 64-64 (P2)", mlp_summary(&[64, 64]).total_params(), MLP_64_MACS, format!("≈{:.0} s", seed::P2_SECONDS_PER_EPOCH), |t| t.mlp_64.clone())}
                    {row("MLP 500-300 (P2D)", mlp_summary(&[500, 300]).total_params(), MLP_500_MACS, format!("≈{:.0}–{:.0} s", seed::P2D_SECONDS_PER_EPOCH.0, seed::P2D_SECONDS_PER_EPOCH.1), |t| t.mlp_500.clone())}
                </tbody>
            </table></crate::ui::components::wide::Wide>
        </div>
        <p class="muted small">
            "Multiply-adds of one forward pass (weights × the positions they are applied at; a training step "
            "costs about three times that). Seconds per epoch cover training and the validation pass over the "
            "10,000 test images, from this page's latest P2 and P3 runs and the P2D networks it holds; they "
            "depend on the backend, the training images and, for P2D, on how many networks trained side by side. "
            "The seed's are from its Keras logs (469 steps of 128 images)."
        </p>
    }
}

// ---------------------------------------------------------------------------------------
// The seed's answers 3A and 3B
// ---------------------------------------------------------------------------------------

/// Problem 3A: the seed's CNN and what each layer is for.
#[component]
pub fn Answer3A(
    /// This page's finished P3 run, if any.
    #[prop(into)]
    result: Signal<Option<RunResult>>,
) -> impl IntoView {
    let ours = move || {
        result.with(|r| match r {
            Some(r) => {
                let ours = format!(
                    "Ours: test accuracy {:.4} (loss {:.4}) after {} on {} training images",
                    r.test_accuracy,
                    r.test_loss,
                    format::epochs(r.history.len()),
                    format::thousands(r.config.train_size),
                );
                if seed_applies() {
                    format!("{ours}; the seed's {:.4} came after 40 epochs on 60,000.", seed::P3_TEST_ACCURACY)
                } else {
                    format!("{ours} of the uploaded dataset (the seed's figure is for MNIST and is not compared).")
                }
            }
            None => "Ours: no CNN has finished training on this page yet.".into(),
        })
    };
    view! {
        <aside class="seed-answer">
            <h4>"Answer 3A — the CNN" <span class="muted">" · from the seed notebook"</span></h4>
            <p>
                "The first layer is a convolutional layer, which extracts features; the two convolutional layers "
                "have 32 and 64 output channels. Each is followed by a pooling layer, for compression and "
                "dimensionality reduction: the convolved image is large and may hold too many weak features, so "
                <code>"MaxPooling2D"</code> " takes the maximum of each 2 × 2 window — convolution, pooling, "
                "convolution, pooling."
            </p>
            <p>
                "A " <code>"Flatten"</code> " layer then turns the pooled data into a one-dimensional array for the "
                "fully-connected layers (200 and 128 neurons, ReLU), which connect every neuron to the next layer's; "
                "a " <code>"Dropout(0.5)"</code> " layer prevents overfitting by dropping intermediate features, "
                "reducing redundancy. The model reaches a test accuracy of 99.1 % (loss 0.0302, accuracy 0.9912 "
                "after 40 epochs of SGD, lr 0.1), which reached the goal."
            </p>
            <p class="ours" data-testid="answer-3a-ours">{ours}</p>
        </aside>
    }
}

/// Problem 3B: convolutional versus fully-connected layers, with this page's numbers.
#[component]
pub fn Answer3B(
    /// This page's timings.
    #[prop(into)]
    timings: Signal<Timings>,
    /// This page's finished P3 and P2 runs, if any.
    #[prop(into)]
    p3_result: Signal<Option<RunResult>>,
    #[prop(into)]
    p2_result: Signal<Option<RunResult>>,
) -> impl IntoView {
    let cnn_params = cnn_summary().total_params();
    let params_note = format!(
        "Ours, counted: the CNN's two convolutional layers hold {} parameters ({:.0} % of its {}); {} ({:.0} %) sit in the \
         Dense(200) after Flatten. A fully-connected layer from the 784 pixels to as many outputs as the first Conv2D \
         (26 × 26 × 32) would need {} parameters, against that layer's 320.",
        format::thousands(CNN_CONV_PARAMS),
        100.0 * CNN_CONV_PARAMS as f64 / cnn_params as f64,
        format::thousands(cnn_params),
        format::thousands(CNN_DENSE_200_PARAMS),
        100.0 * CNN_DENSE_200_PARAMS as f64 / cnn_params as f64,
        format::thousands(DENSE_LIKE_CONV1_PARAMS),
    );
    let time_note = move || {
        let t = timings.get();
        let here = match (&t.cnn, &t.mlp_64) {
            (Some(cnn), Some(mlp)) if mlp.seconds_per_epoch > 0.0 => {
                let same_setup = cnn.train_size == mlp.train_size && cnn.backend == mlp.backend;
                let ratio = if same_setup {
                    format!("{:.1}× as long, same backend and training images", cnn.seconds_per_epoch / mlp.seconds_per_epoch)
                } else {
                    "different setups, see the table".into()
                };
                format!(
                    " Here the CNN took {:.2} s per epoch, the 64-64 MLP {:.2} s ({ratio}).",
                    cnn.seconds_per_epoch, mlp.seconds_per_epoch
                )
            }
            (Some(cnn), _) => format!(" Here the CNN took {:.2} s per epoch; train P2 to compare.", cnn.seconds_per_epoch),
            _ => String::new(),
        };
        format!(
            "Ours: sharing weights saves parameters, not arithmetic — each kernel is applied at every position, so one \
             forward pass of the CNN is {} multiply-adds against {} (64-64) and {} (500-300). The seed's own logs show it: \
             28 s per epoch for the CNN, about 2 s for its MLPs.{here}",
            format::thousands(CNN_MACS),
            format::thousands(MLP_64_MACS),
            format::thousands(MLP_500_MACS),
        )
    };
    let accuracy_note = move || {
        let cnn = p3_result.with(|r| r.as_ref().map(|r| r.test_accuracy));
        let mlp = p2_result.with(|r| r.as_ref().map(|r| r.test_accuracy));
        let seed = format!("the seed's CNN {:.4} against its 64-64 MLP {:.4}", seed::P3_TEST_ACCURACY, seed::P2_TEST_ACCURACY);
        // The seed's figures are MNIST's: beside a run on another dataset they compare nothing.
        let beside = |ours: String| if seed_applies() { format!("{ours} ({seed}).") } else { format!("{ours}.") };
        match (cnn, mlp) {
            (Some(c), Some(m)) => beside(format!("Ours: test accuracy {c:.4} for the CNN, {m:.4} for the 64-64 MLP")),
            (Some(c), None) => beside(format!("Ours: test accuracy {c:.4} for the CNN")),
            _ if seed_applies() => format!("Test accuracy: {seed}."),
            _ => "Test accuracy: no CNN has finished on this dataset yet.".into(),
        }
    };
    view! {
        <aside class="seed-answer">
            <h4>"Answer 3B — convolutional vs fully-connected layers" <span class="muted">" · from the seed notebook"</span></h4>
            <p><strong>"Differences"</strong></p>
            <ul>
                <li>"Fully-connected layers are fully connected; convolutional layers are locally connected."</li>
                <li>
                    "In a fully-connected layer every input affects every output; in a convolutional layer, being "
                    "locally connected, it does not."
                </li>
                <li>
                    "A fully-connected layer's weights apply to all inputs, a convolutional layer's only to part of "
                    "them — so (the seed says) a fully-connected layer accepts any form of input, while a "
                    "convolutional layer only accepts input in the form of images."
                </li>
            </ul>
            <p class="ours">{params_note}</p>
            <p><strong>"Potential benefits"</strong></p>
            <ul>
                <li>
                    "Convolutional layers save computation time: their neurons share parameters, so they share "
                    "computational resources, while a fully-connected layer repeats the work over the same sampled "
                    "regions and is more time-consuming."
                </li>
                <li>
                    "They accept input images of several scales: a fully-connected layer uses global information and "
                    "fixes the input size, while a convolution slides a window over local regions and needs no fixed size."
                </li>
                <li>
                    "They are more efficient for image recognition: they extract image features and learn shape and "
                    "texture more efficiently."
                </li>
            </ul>
            <p class="ours" data-testid="answer-3b-time">{time_note}</p>
            <p class="ours" data-testid="answer-3b-accuracy">{accuracy_note}</p>
        </aside>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_and_parameters() {
        assert_eq!(CNN_MACS, 194_688 + 2_230_272 + 320_000 + 25_600 + 1_280);
        assert_eq!(MLP_64_MACS, 54_912);
        assert_eq!(MLP_500_MACS, 545_000);
        let params: Vec<usize> = cnn_summary().layers.iter().map(|l| l.params).collect();
        assert_eq!(CNN_CONV_PARAMS, params[0] + params[2]);
        assert_eq!(CNN_DENSE_200_PARAMS, params[5]);
    }

    #[test]
    fn grey_levels_per_filter() {
        assert_eq!(grey_levels(&[-1.0, 0.0, 1.0]), vec![0, 128, 255]);
        assert_eq!(grey_levels(&[0.5, 0.5]), vec![128, 128]);
        assert_eq!(grey_levels(&[f32::NAN, 0.0, 2.0]), vec![128, 0, 255]);
    }

    #[test]
    fn largest_confusions_first() {
        let mut m = vec![vec![0u32; 3]; 3];
        m[0][0] = 9;
        m[1][2] = 4;
        m[2][1] = 7;
        m[0][1] = 4;
        assert_eq!(top_confusions(&m, 2), vec![(2, 1, 7), (0, 1, 4)]);
    }
}
