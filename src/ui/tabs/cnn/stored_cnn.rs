//! The trained CNN kept in this browser (P3 stores it when it finishes; P4 uses it for 4C
//! and 4D): what it is, a download of it as a safetensors file, an upload of one (checked
//! before it is kept), and a way to forget it.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::model::weights::{CNN_MODEL, WeightsInfo, cnn_tensor_shapes, inspect};
use crate::web::model_store;

/// The stored CNN as the page knows it. `Copy`: P3's and P4's tabs share one.
#[derive(Clone, Copy)]
pub struct StoredCnn {
    /// `None` when no CNN is stored (or not yet checked).
    pub info: RwSignal<Option<WeightsInfo>>,
    /// Whether the store has been read at least once.
    pub checked: RwSignal<bool>,
    /// The last upload/forget outcome or failure, for the reader.
    pub message: RwSignal<Option<String>>,
    /// An object URL of the stored file, for the download link.
    download: RwSignal<Option<String>>,
}

impl StoredCnn {
    /// Reads the store once now.
    pub fn new() -> Self {
        let stored = Self { info: RwSignal::new(None), checked: RwSignal::new(false), message: RwSignal::new(None), download: RwSignal::new(None) };
        stored.refresh();
        stored
    }

    /// Re-reads the store (after P3 stored a CNN, or an upload).
    pub fn refresh(&self) {
        let this = *self;
        wasm_bindgen_futures::spawn_local(async move {
            let loaded = model_store::load(model_store::CNN_FILE).await;
            this.checked.set(true);
            let bytes = match loaded {
                Ok(Some(bytes)) => bytes,
                Ok(None) => return this.clear(),
                Err(e) => {
                    this.message.set(Some(e));
                    return this.clear();
                }
            };
            match inspect(&bytes, CNN_MODEL, &cnn_tensor_shapes()) {
                Ok(info) => {
                    this.set_download(Some(&bytes));
                    this.info.set(Some(info));
                }
                Err(e) => {
                    this.message.set(Some(format!("the stored CNN is unusable: {e}")));
                    this.clear();
                }
            }
        });
    }

    fn clear(&self) {
        self.info.set(None);
        self.set_download(None);
    }

    fn set_download(&self, bytes: Option<&[u8]>) {
        if let Some(old) = self.download.get_untracked() {
            // Revoking only frees the blob; a failure leaks it until the page closes.
            let _ = web_sys::Url::revoke_object_url(&old);
        }
        let url = bytes.and_then(|bytes| {
            let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
            let options = web_sys::BlobPropertyBag::new();
            options.set_type("application/octet-stream");
            let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
            web_sys::Url::create_object_url_with_blob(&blob).ok()
        });
        self.download.set(url);
    }

    /// Checks an uploaded file and keeps it in place of the stored CNN.
    fn upload(&self, file: web_sys::File) {
        let this = *self;
        wasm_bindgen_futures::spawn_local(async move {
            let name = file.name();
            let bytes = match JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
                Err(_) => return this.message.set(Some(format!("could not read {name}"))),
            };
            match inspect(&bytes, CNN_MODEL, &cnn_tensor_shapes()) {
                Err(e) => this.message.set(Some(format!("{name} was not kept: {e}"))),
                Ok(info) => match model_store::save(model_store::CNN_FILE, &bytes).await {
                    Ok(()) => {
                        this.message.set(Some(format!("{name} kept: {}", info.describe())));
                        this.refresh();
                    }
                    Err(e) => this.message.set(Some(e)),
                },
            }
        });
    }

    fn forget(&self) {
        let this = *self;
        wasm_bindgen_futures::spawn_local(async move {
            match model_store::remove(model_store::CNN_FILE).await {
                Ok(()) => this.message.set(Some("the stored CNN was forgotten".into())),
                Err(e) => this.message.set(Some(e)),
            }
            this.refresh();
        });
    }
}

impl Default for StoredCnn {
    fn default() -> Self {
        Self::new()
    }
}

/// What is stored, with download, upload and forget.
#[component]
pub fn StoredCnnCard(
    /// The stored CNN.
    stored: StoredCnn,
    /// Disables upload and forget (while a run that reads or writes the store is going).
    #[prop(into)]
    busy: Signal<bool>,
) -> impl IntoView {
    let on_file = move |ev: leptos::ev::Event| {
        let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(file) = input.as_ref().and_then(|i| i.files()).and_then(|files| files.get(0)) {
            stored.upload(file);
        }
        if let Some(input) = input {
            // The same file chosen again must fire `change` again.
            input.set_value("");
        }
    };
    view! {
        <div class="stored-model">
            <p>
                "Trained CNN kept in this browser: "
                <strong data-testid="stored-cnn">
                    {move || match (stored.checked.get(), stored.info.get()) {
                        (false, _) => "checking…".to_string(),
                        (true, None) => "none".to_string(),
                        (true, Some(info)) => info.describe(),
                    }}
                </strong>
            </p>
            <div class="buttons">
                {move || stored.download.get().map(|href| view! {
                    <a class="button" href=href download="mnist-lab-p3-cnn.safetensors" data-testid="cnn-download">"Download (safetensors)"</a>
                })}
                <label class="button file-button">
                    "Upload a CNN…"
                    <input type="file" accept=".safetensors" data-testid="cnn-upload" disabled=busy on:change=on_file />
                </label>
                <button type="button" data-testid="cnn-forget" disabled=move || busy.get() || stored.info.with(Option::is_none)
                    on:click=move |_| stored.forget()>"Forget it"</button>
            </div>
            {move || stored.message.get().map(|m| view! { <p class="note" data-testid="cnn-store-message">{m}</p> })}
            <p class="muted small">
                "The file holds the ten weight tensors (burn's layouts: dense kernels [in, out] as in Keras, conv kernels "
                "[out, in, 3, 3]) and how it was trained; an uploaded file is checked tensor by tensor before it is kept."
            </p>
        </div>
    }
}
