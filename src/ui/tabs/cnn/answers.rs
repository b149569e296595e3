//! The seed notebook's written answers 3A (the CNN) and 3B (convolutional vs
//! fully-connected layers), with this page's numbers where they compare.

use leptos::prelude::*;

use super::comparison::{CNN_CONV_PARAMS, CNN_DENSE_200_PARAMS, CNN_MACS, DENSE_LIKE_CONV1_PARAMS, MLP_500_MACS, MLP_64_MACS, Timings};
use crate::experiment::RunResult;
use crate::experiment::seed;
use crate::model::summary::cnn_summary;
use crate::ui::components::format;
use crate::ui::seed_applies;

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
                    format::thousands(r.config.data.train_size),
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
