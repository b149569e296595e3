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
