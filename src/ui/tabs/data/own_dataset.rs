//! "Bring your own dataset" (Problem 1's tab): four IDX files (raw or .gz: Fashion-MNIST,
//! KMNIST, EMNIST digits…) checked by the same strict parser as MNIST
//! ([`crate::data::uploaded`]), kept in the browser's cache under their hash, and loaded by
//! the page and the workers through `?data=user-data/<hash>`. Every run on them is kept
//! under that dataset's hash, and the seed's figures are not shown beside them.

use leptos::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::DataState;
use crate::ui::lab::Lab;
use crate::data::class_names::{self, ClassNames, ClassNamesError};
use crate::data::uploaded;
use crate::experiment::PageQuery;
use crate::web;

/// The upload, its outcome, and a way back to MNIST.
#[component]
pub fn OwnDataset() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let message = RwSignal::new(None::<String>);
    let reading = RwSignal::new(false);
    let names_text = RwSignal::new(String::new());
    let on_files = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(list) = input.files() else { return };
        let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
        input.set_value("");
        // The names are checked first: a refused list costs no reading of the files.
        let names = match optional_names(&names_text.get_untracked()) {
            Ok(names) => names,
            Err(e) => return message.set(Some(format!("Not loaded: the class names: {e}."))),
        };
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
                Ok((mnist, raw)) => match web::dataset::keep_uploaded(&raw).await {
                    Ok(base) => match &names {
                        Some(names) => web::dataset::keep_class_names(&base, names).await.map(|()| base),
                        None => Ok(base),
                    },
                    Err(e) => Err(e),
                }
                .map(|base| (base, mnist.train.len(), mnist.test.len())),
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
            <ClassNamesField text=names_text />
            <label>"Dataset files: "
                <input type="file" multiple data-testid="dataset-upload" disabled=move || reading.get() || lab.busy_experiment().is_some() on:change=on_files />
            </label>
            {move || message.get().map(|m| view! { <p class="note" role="status" data-testid="dataset-upload-message">{m}</p> })}
        </details>
    }
}

/// The names typed, or `None` for an empty field (the classes keep their numbers).
fn optional_names(text: &str) -> Result<Option<ClassNames>, ClassNamesError> {
    if text.trim().is_empty() { Ok(None) } else { ClassNames::parse(text).map(Some) }
}

/// Optional names for the ten classes: typed, or one of two known sets. Applies to the
/// next upload, and with "Save names" to the uploaded dataset shown now.
#[component]
fn ClassNamesField(
    /// The field's text (shared with the upload, which keeps the names with the files).
    text: RwSignal<String>,
) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let status = RwSignal::new(None::<String>);
    // The shown dataset's base where it is an uploaded one (only those keep names).
    let uploaded_base = || PageQuery::parse(web::query_pairs()).0.data.filter(|d| d.starts_with(web::dataset::USER_DATA_PREFIX));
    let current = move || lab.class_names();
    Effect::new(move || {
        let names = current();
        if !names.is_digits() && text.get_untracked().is_empty() {
            text.set(names.to_text());
        }
    });
    let save = move |_| {
        let Some(base) = uploaded_base() else { return };
        let names = match optional_names(&text.get_untracked()) {
            Ok(names) => names.unwrap_or_default(),
            Err(e) => return status.set(Some(format!("Not saved: {e}."))),
        };
        leptos::task::spawn_local(async move {
            match web::dataset::keep_class_names(&base, &names).await {
                Ok(()) => {
                    lab.data.update(|d| if let DataState::Ready(summary) = d { summary.classes = names });
                    status.set(Some("Saved: the page labels this dataset's classes with them.".into()));
                }
                Err(e) => status.set(Some(format!("Not saved: {e}."))),
            }
        });
    };
    let preset = move |names: [&'static str; crate::data::CLASSES]| move |_| text.set(names.join(", "));
    view! {
        <div class="class-names">
            <label for="class-names">"Class names (optional): ten, separated by commas or one per line"</label>
            <textarea id="class-names" rows="2" data-testid="class-names-input" prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                placeholder="e.g. T-shirt/top, Trouser, Pullover, …"></textarea>
            <div class="buttons">
                <button type="button" on:click=preset(class_names::FASHION_MNIST)>"Fashion-MNIST's names"</button>
                <button type="button" on:click=preset(class_names::KMNIST)>"KMNIST's names"</button>
                {move || (uploaded_base().is_some() && lab.dataset().is_some()).then(|| view! {
                    <button type="button" data-testid="class-names-save" on:click=save>"Save names for the dataset shown"</button>
                })}
            </div>
            {move || status.get().map(|m| view! { <p class="note" role="status" data-testid="class-names-status">{m}</p> })}
        </div>
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
                <button class="link" on:click=move |_| crate::ui::use_builtin_data()>"Use the built-in MNIST again"</button>
            </p>
        </Show>
    }
}
