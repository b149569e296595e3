//! The seed notebook's written answers 4A to 4D, shortened and paraphrased.

use leptos::prelude::*;

use crate::ui::components::seed_answer::SeedAnswer;

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
