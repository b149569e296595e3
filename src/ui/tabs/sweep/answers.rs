//! The seed notebook's written answers (DAT405 Assignment 7, group 67), shortened and
//! paraphrased, shown beside what this page computes live.

use leptos::prelude::*;

/// A titled box holding one of the seed's answers.
#[component]
fn SeedAnswer(
    /// The question, e.g. "Answer 1 — preprocessing".
    title: &'static str,
    /// The answer's paragraphs.
    children: Children,
) -> impl IntoView {
    view! {
        <aside class="seed-answer">
            <h4>{title} <span class="muted">" · from the seed notebook"</span></h4>
            {children()}
        </aside>
    }
}

/// Problem 1: why and how the data is preprocessed.
#[component]
pub fn Answer1() -> impl IntoView {
    view! {
        <SeedAnswer title="Answer 1 — preprocessing">
            <p>
                "Normalising matters: the input features should be on the same order of magnitude "
                "to make training easier. The images are converted to floating point and min-max "
                "scaled, " <code>"X' = (X − X_min) / (X_max − X_min)"</code> "; for pixels "
                <code>"X_min = 0"</code> " and " <code>"X_max = 255"</code> ", so the data is divided by 255 "
                "and lies between 0 and 1."
            </p>
            <p>
                <code>"keras.utils.to_categorical()"</code> " turns each integer class label (0–9) into a "
                "one-hot vector (a binary class matrix indicating its label)."
            </p>
        </SeedAnswer>
    }
}

/// Problem 2A: the network's layers, neurons, activations and parameter count.
#[component]
pub fn Answer2A() -> impl IntoView {
    view! {
        <SeedAnswer title="Answer 2A — the network">
            <ul>
                <li>
                    "Four layers (three if the input is not counted): a " <code>"Flatten"</code>
                    " input of 28 × 28 → 784 neurons, two hidden " <code>"Dense"</code>
                    " layers of 64 neurons with ReLU, and a " <code>"Dense"</code> " output of 10 neurons with softmax."
                </li>
                <li>
                    <strong>"ReLU"</strong> " " <code>"f(x) = max(0, x)"</code> ": its gradient is 1 for x > 0, so "
                    "no vanishing gradient and fast convergence; negative inputs give 0, a sparse network "
                    "that is less prone to overfitting."
                </li>
                <li>
                    <strong>"Softmax"</strong> " maps the 10 outputs to probabilities in (0, 1) that sum to 1; "
                    "the most probable class is the prediction, which suits classification."
                </li>
                <li>
                    "Total parameters: " <strong>"55,050"</strong> " (784·64 + 64 = 50,240; 64·64 + 64 = 4,160; "
                    "64·10 + 10 = 650)."
                </li>
                <li>
                    "The input is 784 wide because each image is a 28 × 28 pixel array flattened to one "
                    "dimension; the output is 10 wide because there are ten classes (digits)."
                </li>
            </ul>
        </SeedAnswer>
    }
}

/// Problem 2B: the loss function.
#[component]
pub fn Answer2B() -> impl IntoView {
    view! {
        <SeedAnswer title="Answer 2B — the loss">
            <p>
                "Categorical cross-entropy: "
                <span class="formula">"L = −Σ" <sub>"i"</sub> " y" <sub>"i"</sub> " · log(ŷ" <sub>"i"</sub> ")"</span>
                ", summed over the 10 outputs, where " <var>"y"</var> " is the one-hot target and "
                <var>"ŷ"</var> " the softmax output."
            </p>
            <p>
                "It measures how different two discrete probability distributions are; the minus sign "
                "makes the loss shrink as they get closer. Each example belongs to one class with "
                "probability 1, so the network learns to give the correct digit a high probability and "
                "the others a low one — the natural partner of a softmax output for multi-class problems."
            </p>
        </SeedAnswer>
    }
}

/// Problem 2C: the training and validation accuracy plot.
#[component]
pub fn Answer2C() -> impl IntoView {
    view! {
        <SeedAnswer title="Answer 2C — the plot">
            <p>
                "The seed plots " <code>"fit_info.history['accuracy']"</code> " and "
                <code>"['val_accuracy']"</code> " per epoch (\"The training and validation accuracy for each "
                "epoch\", legend Train / Validation) and leaves the figure without comment. Its curves are "
                "drawn dashed in the chart, from its training log: training accuracy 0.8651 → 0.9799 and "
                "validation accuracy 0.9268 → 0.9702 over 10 epochs."
            </p>
        </SeedAnswer>
    }
}

/// The live figures the 2D answer quotes beside the seed's.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SweepFigures {
    /// (factor, final validation accuracy, `network n of N`) of the best network.
    pub best: Option<(f64, f64, String)>,
    /// (factor, mean, replicates) of the factor with the highest mean.
    pub best_mean: Option<(f64, f64, usize)>,
    /// Smallest and largest standard deviation over the factors with 2+ replicates.
    pub std_range: Option<(f64, f64)>,
    /// Highest minus lowest mean over the factors (2+ factors with results).
    pub mean_spread: Option<f64>,
    pub finished: usize,
    pub total: usize,
}

/// Problem 2D: how close to Hinton's 0.9847, and why not closer; ours in the same sentences.
#[component]
pub fn Answer2D(
    /// What this page's sweep found so far.
    #[prop(into)]
    figures: Signal<SweepFigures>,
) -> impl IntoView {
    use crate::experiment::seed::{LECUN_500_300_WEIGHT_DECAY_ACCURACY as LECUN, P2D_BEST_ACCURACY as SEED_BEST};
    let ours_best = move || {
        figures.with(|f| match &f.best {
            Some((factor, accuracy, network)) => {
                let so_far = if f.finished < f.total { format!("; {} of {} networks finished", f.finished, f.total) } else { String::new() };
                // LeCun's figure is MNIST's: no distance to it from another dataset's run.
                let distance = if crate::ui::seed_applies() {
                    format!(", {:.4} {} {LECUN:.4}", (LECUN - accuracy).abs(), if *accuracy <= LECUN { "below" } else { "above" })
                } else {
                    String::new()
                };
                format!("Ours: {accuracy:.4} with factor {factor:e} ({network}){distance}{so_far}.")
            }
            None => "Ours: no network of this sweep has finished yet.".into(),
        })
    };
    let ours_factor = move || {
        figures.with(|f| {
            f.best_mean.map(|(factor, mean, n)| {
                let best = f.best.as_ref().map(|(bf, ..)| format!("; our best single network is at {bf:e}")).unwrap_or_default();
                format!("Ours: the highest mean is at factor {factor:e} ({mean:.4} over {n} replicate{}){best}.", if n == 1 { "" } else { "s" })
            })
        })
    };
    let ours_noise = move || {
        figures.with(|f| {
            f.std_range.map(|(low, high)| {
                let compared = match f.mean_spread {
                    Some(spread) if high >= spread => format!(", as large as the whole spread of the factors' means ({spread:.4}): replicates differ as much as factors do"),
                    Some(spread) => format!(", below the spread of the factors' means ({spread:.4})"),
                    None => String::new(),
                };
                format!("Ours: the standard deviation over replicates is {low:.4} to {high:.4}{compared}.")
            })
        })
    };
    view! {
        <SeedAnswer title="Answer 2D — weight decay">
            <p><strong>"How close do you get to Hinton's result?"</strong></p>
            <p>
                "The max accuracy we get is " {format!("{SEED_BEST:.4}")} " (0.983299970626831); it is close to "
                {format!("{LECUN:.4}")} ", but not the same result."
            </p>
            <p class="ours" data-testid="answer-ours-best">{ours_best}</p>
            <p><strong>"If you do not get the same results, what factors may influence this?"</strong></p>
            <p>
                "There is no way of knowing exactly what caused the difference, so the seed guesses from its "
                "results: different regularization factors give different accuracies, and in its plots the "
                "highest accuracy is around 0.0001, so factors around 0.0001 might come closer."
            </p>
            {move || ours_factor().map(|text| view! { <p class="ours">{text}</p> })}
            <p>
                "The other reason it gives is SGD: each epoch's accuracy differs, because the gradient of each "
                "step depends on the sampled batch — it is noisy and does not reflect the true gradient well. "
                "The learning rate would need to be reduced gradually (e.g. to 0.01) to converge and reduce the error."
            </p>
            {move || ours_noise().map(|text| view! { <p class="ours">{text}</p> })}
        </SeedAnswer>
    }
}

/// What the seed's 2D code does differently from its text (shown under the table).
#[component]
pub fn SeedNotes2D() -> impl IntoView {
    view! {
        <p class="muted small seed-notes">
            "Notes on the seed's code: its list " <code>"tmp"</code> " is never emptied, so its mean, std and max "
            "for a factor cover every network trained up to that factor (its printed max_accuracy — 0.9822, "
            "0.9823, 0.9833, 0.9833, 0.9833 — can only grow); the table here computes them per factor. Its text "
            "names the factors 0.000001, 0.00001, 0.0001, 0.001 and 0.000999, but its code trains 0.0005 "
            "instead of 0.000999, as this page does. Its validation data is the test set, so validation "
            "accuracy is test accuracy. 0.9847 is LeCun's MNIST table: 500+300 hidden units, softmax, "
            "cross-entropy, weight decay (Hinton, unpublished, 2005), 1.53 % test error."
        </p>
    }
}

/// Problem 4A: what the model does, and the loss.
#[component]
pub fn Answer4A() -> impl IntoView {
    view! {
        <SeedAnswer title="Answer 4A — the model and its loss">
            <p>
                "The code adds noise to the dataset and removes it by encoding and decoding. "
                <code>"salt_and_pepper"</code> " adds the noise; each image is flattened to a 1 × 784 array and the "
                "training and test sets are noised (level 0.4)."
            </p>
            <p>
                "The encoder compresses the image, first to 128 units and then to the 96-unit code, the most compressed "
                "representation; the decoder expands it to 128 units and reconstructs the 784 (28 × 28) pixels with a "
                "sigmoid, whose outputs lie between 0 and 1. Keeping only the most characteristic information in the "
                "code is what removes the noise."
            </p>
            <p>
                "The loss compares the clean original with the autoencoder's reconstruction of the noised image: "
                "it measures how well the noise was removed. Pixel values lie in [0, 1], hence binary cross-entropy."
            </p>
        </SeedAnswer>
    }
}

/// Problem 4B: when digits become hard to read, and when denoising stops working.
#[component]
pub fn Answer4B() -> impl IntoView {
    view! {
        <SeedAnswer title="Answer 4B — reading noised digits">
            <p>"At a noise level of 0.4–0.5 the digits became difficult to identify by eye."</p>
            <p>"At about 0.7 the denoising stops working."</p>
        </SeedAnswer>
    }
}

/// Problem 4C: the two accuracy curves.
#[component]
pub fn Answer4C() -> impl IntoView {
    view! {
        <SeedAnswer title="Answer 4C — accuracy on noised and denoised digits">
            <p>
                "Below a noise level of about 0.15 the CNN does better without the autoencoder: encoding loses useful "
                "detail along with the noise. From 0.15 on, denoised digits are classified better; between 0.15 and 0.4 "
                "the denoised curve is flat, so the autoencoder works best there. Beyond 0.5 the denoised accuracy falls "
                "quickly, consistent with what is seen in 4B. The noised curve falls gently between 0.15 and 0.6 and "
                "sharply after; at noise 1 both are at chance and the autoencoder fails completely."
            </p>
        </SeedAnswer>
    }
}

/// Problem 4D: generating digits from the latent space (the seed only describes it).
#[component]
pub fn Answer4D() -> impl IntoView {
    view! {
        <SeedAnswer title="Answer 4D — a generator from the decoder">
            <p>
                "The decoder turns points of the latent space back into images, so in theory any point of that space "
                "can be decoded into a hand-written digit — even points made by adding noise to codes — and the CNN can "
                "then say which digit it is, even when a human could not. (The seed describes this; the page above does it.)"
            </p>
        </SeedAnswer>
    }
}
