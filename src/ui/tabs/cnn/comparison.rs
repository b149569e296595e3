//! Problem 3B, measured: the parameters, multiply-adds and seconds per epoch of the CNN
//! beside the two MLPs (P2's 64-64 and P2D's 500-300), this page's and the seed's.

use leptos::prelude::*;

use crate::experiment::RunResult;
use crate::experiment::seed;
use crate::model::summary::{cnn_summary, mlp_summary};
use crate::ui::components::format;
use crate::ui::components::wide::Wide;
use crate::ui::state::RunState;
use crate::ui::tabs::sweep::Sweep;

/// Multiply-adds of one forward pass of one image (biases, activations and pooling left out).
/// CNN: conv 26·26·32·(3·3·1) + conv 11·11·64·(3·3·32) + 1600·200 + 200·128 + 128·10.
pub(super) const CNN_MACS: usize = 26 * 26 * 32 * 9 + 11 * 11 * 64 * (9 * 32) + 1600 * 200 + 200 * 128 + 128 * 10;
/// MLP 784-64-64-10.
pub(super) const MLP_64_MACS: usize = 784 * 64 + 64 * 64 + 64 * 10;
/// MLP 784-500-300-10.
pub(super) const MLP_500_MACS: usize = 784 * 500 + 500 * 300 + 300 * 10;
/// Parameters of the CNN's two convolutional layers (3·3·1·32 + 32 and 3·3·32·64 + 64).
pub(super) const CNN_CONV_PARAMS: usize = 320 + 18_496;
/// Parameters of the CNN's Dense(200) after Flatten (1600·200 + 200).
pub(super) const CNN_DENSE_200_PARAMS: usize = 320_200;
/// A Dense layer from the 784 pixels to as many outputs as the first Conv2D has
/// (26·26·32 = 21,632) would need this many parameters, against the Conv2D's 320.
pub(super) const DENSE_LIKE_CONV1_PARAMS: usize = 784 * 26 * 26 * 32 + 26 * 26 * 32;

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
            train_size: run.config.with(|c| c.as_ref().map(|c| c.data.train_size)),
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
            sizes.push(r.config.data.train_size);
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
            <Wide label="comparison of the three networks" csv="p3-model-comparison"><table class="compare p3-models" data-testid="model-comparison">
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
            </table></Wide>
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
}
