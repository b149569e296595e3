//! "Bring your own dataset" (Problem 1's tab): four IDX files (raw or .gz: Fashion-MNIST,
//! KMNIST, EMNIST digits…) checked by the same strict parser as MNIST
//! ([`crate::data::uploaded`]), kept in the browser's cache under their hash, and loaded by
//! the page and the workers through `?data=user-data/<hash>`. Every run on them is kept
//! under that dataset's hash, and the seed's figures are not shown beside them.

use leptos::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::lab::Lab;
use crate::data::uploaded;
use crate::experiment::PageQuery;
use crate::web;

/// The upload, its outcome, and a way back to MNIST.
#[component]
pub fn OwnDataset() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let message = RwSignal::new(None::<String>);
    let reading = RwSignal::new(false);
    let on_files = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(list) = input.files() else { return };
        let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
        input.set_value("");
        reading.set(true);
        message.set(None);
        leptos::task::spawn_local(async move {
            let mut named = Vec::with_capacity(files.len());
            for file in files {
                match JsFuture::from(file.array_buffer()).await {
                    Ok(buffer) => named.push((file.name(), js_sys::Uint8Array::new(&buffer).to_vec())),
                    Err(_) => {
                        reading.set(false);
                        return message.set(Some(format!("could not read {}", file.name())));
                    }
                }
            }
            let outcome = match uploaded::read(named) {
                Ok((mnist, raw)) => web::dataset::keep_uploaded(&raw).await.map(|base| (base, mnist.train.len(), mnist.test.len())),
                Err(e) => Err(format!("Not loaded: {e}.")),
            };
            reading.set(false);
            match outcome {
                Ok((base, train, test)) => {
                    message.set(Some(format!("{train} training and {test} test digits read; loading them…")));
                    let (query, _) = PageQuery::parse(web::query_pairs());
                    let query = PageQuery { data: Some(base), autostart: false, ..query };
                    if let Some(window) = web_sys::window() {
                        let _ = window.location().set_search(&query.to_query_string());
                    }
                }
                Err(e) => message.set(Some(e)),
            }
        });
    };
    view! {
        <details class="own-dataset" data-testid="own-dataset">
            <summary>"Bring your own dataset"</summary>
            <p>
                "Choose four IDX files at once (raw or .gz), named as MNIST's are: training and test images and labels, e.g. Fashion-MNIST, KMNIST or EMNIST digits. "
                "They are checked as MNIST is (28×28 images of bytes, labels 0 to 9, as many labels as images) and stay in this browser; every experiment then trains on them. "
                "Results are kept per dataset, and the results tables and training curves show the seed notebook's figures only beside MNIST runs."
            </p>
            <label>"Dataset files: "
                <input type="file" multiple data-testid="dataset-upload" disabled=move || reading.get() || lab.busy_experiment().is_some() on:change=on_files />
            </label>
            {move || message.get().map(|m| view! { <p class="note" role="status" data-testid="dataset-upload-message">{m}</p> })}
        </details>
    }
}

/// Above every tab while the page trains on a dataset other than MNIST: which one, and the
/// way back.
#[component]
pub fn DatasetBanner() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let not_mnist = move || lab.dataset().is_some_and(|d| !d.is_embedded_mnist());
    view! {
        <Show when=not_mnist>
            <p class="banner" data-testid="own-dataset-shown">
                {move || format!("Training on {}, not MNIST: the seed notebook's figures do not apply, so the results tables and training curves leave them out. ", lab.dataset().map(|d| d.name).unwrap_or_default())}
                <button class="link" on:click=move |_| super::use_builtin_data()>"Use the built-in MNIST again"</button>
            </p>
        </Show>
    }
}
