//! The seed notebook's written answer 2D (weight decay), shortened and paraphrased, with
//! this page's sweep in the same sentences, and the notes on what its code does.

use leptos::prelude::*;

use crate::ui::components::seed_answer::SeedAnswer;

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
