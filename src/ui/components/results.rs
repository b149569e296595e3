//! A finished run's figures beside the seed notebook's, and its JSON download.

use leptos::prelude::*;

use crate::ui::export::{self, SaveDataCsv};
use super::format;
use crate::experiment::RunResult;
use crate::experiment::seed;

/// Test loss and accuracy beside the seed's, time, and a JSON download of the whole result.
#[component]
pub fn Results(
    /// The finished run; `None` until one finishes.
    #[prop(into)]
    result: Signal<Option<RunResult>>,
    /// The seed's figures for the same experiment.
    seed: &'static seed::Run,
) -> impl IntoView {
    let url = download_url(result);
    let seed_applies = crate::ui::seed_applies;
    move || {
        // Another dataset's run has no seed figure to stand beside.
        let seed_cell = move |text: String| if seed_applies() { text } else { "— (MNIST only)".to_string() };
        result.with(|r| match r {
            None => view! { <p class="muted">"Results appear here when a run finishes."</p> }.into_any(),
            Some(r) => {
                // The mean epoch (training and validation), as the epoch log shows it; the
                // total also covers the worker's start and the final analysis pass.
                let per_epoch = r.history.iter().map(|m| m.seconds).sum::<f64>() / r.history.len().max(1) as f64;
                let history_name = match r.config.experiment {
                    crate::experiment::ExperimentId::P3 => "p3-history",
                    _ => "p2-history",
                };
                let history_csv = Callback::new(move |_| result.with_untracked(|r| r.as_ref().map(|r| export::rows_csv(&r.history))));
                let file_name = format!("mnist-lab-{}-seed{}-{}epochs.json", r.config.experiment.as_str(), r.config.schedule.seed, r.history.len());
                view! {
                    <div class="scroll-x">
                    <table class="compare results">
                        <thead>
                            <tr><th></th><th>"this run"</th><th>"seed notebook (Keras)"</th></tr>
                        </thead>
                        <tbody>
                            <tr>
                                <th>"Test accuracy"</th>
                                <td class="num big" data-testid="test-accuracy">{format!("{:.4}", r.test_accuracy)}</td>
                                <td class="num" data-testid="seed-test-accuracy">{seed_cell(format!("{:.4}", seed.test_accuracy))}</td>
                            </tr>
                            <tr>
                                <th>"Test loss"</th>
                                <td class="num big" data-testid="test-loss">{format!("{:.4}", r.test_loss)}</td>
                                <td class="num" data-testid="seed-test-loss">{seed_cell(format!("{:.4}", seed.test_loss))}</td>
                            </tr>
                            <tr>
                                <th>"Epochs × batch size, lr"</th>
                                <td class="num">{format!("{} × {}, {}", r.history.len(), r.config.schedule.batch_size, r.config.optimizer.lr())}</td>
                                <td class="num">{format!("{} × 128, 0.1", seed.epochs)}</td>
                            </tr>
                            <tr>
                                <th>"Training images"</th>
                                <td class="num">{format::thousands(r.config.data.train_size)}</td>
                                <td class="num">"60,000"</td>
                            </tr>
                            <tr>
                                <th>"Total time"</th>
                                <td class="num"><span data-testid="total-seconds">{format!("{:.1}", r.seconds)}</span>" s"</td>
                                <td class="num">{format!("≈{:.0} s", seed.seconds_per_epoch * seed.epochs as f64)}</td>
                            </tr>
                            <tr>
                                <th>"Seconds per epoch"</th>
                                <td class="num"><span data-testid="seconds-per-epoch">{format!("{per_epoch:.2}")}</span>" s"</td>
                                <td class="num">{format!("≈{:.1} s", seed.seconds_per_epoch)}</td>
                            </tr>
                            <tr>
                                <th>"Backend"</th>
                                <td>{r.backend.clone()}</td>
                                <td>"TensorFlow (Keras)"</td>
                            </tr>
                        </tbody>
                    </table>
                    </div>
                    {move || url.get().map(|href| view! {
                        <p class="exports"><a class="button" href=href download=file_name.clone() data-testid="download-results">"Download results (JSON)"</a>
                            " "
                            <SaveDataCsv make=history_csv name=history_name text="Save the epoch history (CSV)" label="the epoch history" />
                        </p>
                    })}
                }
                .into_any()
            }
        })
    }
}

/// An object URL of the result's JSON, replaced (and the old one revoked) per result.
///
/// Made after the next frame, in a task of its own: pretty-printing a P4 result and copying
/// it into a `Blob` took 20 ms of the task that showed the run's end (a trace, 2026-12-03).
pub(crate) fn download_url<T: serde::Serialize + Send + Sync + 'static>(result: Signal<Option<T>>) -> RwSignal<Option<String>> {
    let url = RwSignal::new(None::<String>);
    Effect::new(move || {
        // Track the result; read it when the task runs (the newest one by then).
        result.track();
        crate::ui::after_next_frame(move || {
            let Some(next) = result.try_with_untracked(|r| {
                r.as_ref().and_then(|r| match json_object_url(r) {
                    Ok(href) => Some(href),
                    Err(e) => {
                        web_sys::console::error_1(&format!("cannot prepare the download: {e}").into());
                        None
                    }
                })
            }) else {
                return; // the view that asked is gone
            };
            if let Some(Some(old)) = url.try_get_untracked() {
                // Revoking only frees the blob; a failure leaks it until the page closes.
                let _ = web_sys::Url::revoke_object_url(&old);
            }
            url.try_set(next);
        });
    });
    url
}

fn json_object_url<T: serde::Serialize>(result: &T) -> Result<String, String> {
    let json = serde_json::to_string_pretty(result).map_err(|e| e.to_string())?;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(&json));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(|e| format!("{e:?}"))?;
    web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))
}
