//! The playground tab's panel: the pad, the 28×28 input, the readings, and an upload.

use leptos::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::pad::DrawingPad;
use super::denoise::DenoiseFigure;
use super::inside::LookInside;
use super::readings::{InputPreview, ReadingBars};
use crate::ui::tabs::data::DataState;
use crate::experiment::BackendChoice;
use crate::ui::lab::Lab;

/// Where the classifiers read: a select (auto, WebGPU, CPU) and what the worker chose.
#[component]
fn ReaderBackend() -> impl IntoView {
    let play = expect_context::<Lab>().playground;
    const OPTIONS: [(BackendChoice, &str); 3] = [(BackendChoice::Auto, "auto (the faster, measured)"), (BackendChoice::Webgpu, "WebGPU"), (BackendChoice::Cpu, "CPU")];
    view! {
        <p class="reader-backend">
            <label>"Read on "
                <select data-testid="playground-backend" on:change=move |ev| {
                    let value = event_target_value(&ev);
                    if let Some((choice, _)) = OPTIONS.iter().find(|(c, _)| c.as_str() == value) {
                        play.backend.set(*choice);
                    }
                }>
                    {OPTIONS.iter().map(|(choice, label)| view! {
                        <option value=choice.as_str() selected=move || play.backend.get() == *choice>{*label}</option>
                    }).collect_view()}
                </select>
            </label>
            {move || play.placement.get().map(|(backend, note)| view! {
                " " <span data-testid="playground-placed">{format!("reading on {backend}")}</span>
                {note.map(|n| view! { <span class="muted small" data-testid="playground-placed-note">{format!(" ({n})")}</span> })}
            })}
        </p>
    }
}

/// The playground. Its worker starts when the panel is shown and goes when it is hidden.
#[component]
pub fn PlaygroundPanel() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let play = lab.playground;
    let wanted = Memo::new(move |_| {
        let dataset = lab.dataset();
        play.wanted(&lab.kept, &lab.p3.stored, dataset.as_ref())
    });
    let nothing_kept = move || wanted.with(|w| w.kept.is_empty() && w.cnn.is_none() && w.uploaded.is_empty());
    // Readings come first: the autoencoder alone has nothing to show.
    Effect::new(move || {
        let wanted = wanted.get();
        if lab.kept.is_loaded() && lab.p3.stored.checked.get() && !nothing_kept() {
            play.load(lab.kept, wanted);
        }
    });
    on_cleanup(move || play.shut_down());
    let test_digits = Signal::derive(move || lab.data.with(|d| match d {
        DataState::Ready(summary) => summary.test_samples.clone(),
        _ => Vec::new(),
    }));
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        input.set_value("");
        let name = format!("Uploaded · {}", file.name());
        leptos::task::spawn_local(async move {
            match JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => play.upload(lab.kept, name, js_sys::Uint8Array::new(&buffer).to_vec(), wanted.get_untracked()),
                Err(_) => play.message.set(Some(format!("could not read {name}"))),
            }
        });
    };
    let restart = move |_| {
        play.message.set(None);
        play.load(lab.kept, wanted.get_untracked());
    };
    view! {
        <h2>"Playground — draw a digit"</h2>
        <p class="lede">
            "Draw one digit (0 to 9) in the box with your mouse, finger or pen. Every network you have trained and kept reads it as you draw: "
            "P2's MLP, P2D's best network and P3's CNN (and P4's autoencoder denoises it). Or press "<strong>"Random test digit"</strong>"."
        </p>
        <Show when=nothing_kept>
            <p class="banner" data-testid="playground-empty">
                "No trained network is kept in this browser yet. Train P2 (a few minutes), P2D or P3 in their tabs, or upload a model file below; they will read your drawing here."
            </p>
        </Show>
        {move || play.message.get().map(|m| view! {
            <div class="banner warning" role="alert" data-testid="playground-message">
                <p>{m}</p>
                <button type="button" data-testid="playground-restart" on:click=restart>"Start the playground again"</button>
            </div>
        })}
        {move || play.failed.get().into_iter().map(|f| view! {
            <p class="banner warning" data-testid="playground-refused">{format!("Not loaded: {f}")}</p>
        }).collect_view()}
        <div class="playground">
            <div class="playground-draw">
                <DrawingPad test_digits=test_digits on_digit=Callback::new(move |digit| play.set_digit(digit)) />
                <InputPreview digit=play.digit.into() />
            </div>
            // While the latest strokes' reading is on its way the bars are the previous
            // strokes': dimmed if that lasts (the style's delay), so a fast reading never flickers.
            <div class="playground-read" class:stale=move || !play.current.get() data-testid="playground-readers"
                data-current=move || play.current.get().to_string() aria-busy=move || (!play.current.get()).to_string()>
                {move || play.loading.get().then(|| view! { <p class="hint" role="status">"Loading the trained networks…"</p> })}
                <ReadingBars readers=play.readers.into() readings=play.readings.into() />
                <ReaderBackend />
                {move || play.latency_ms.get().filter(|_| play.readings.with(|r| !r.is_empty())).map(|ms| {
                    let backend = play.placement.with(|p| p.as_ref().map_or_else(|| "?".to_string(), |(name, _)| name.clone()));
                    let each = play.readings.with(|r| r.iter().map(|r| format!("{} {:.1} ms", r.name, r.ms)).collect::<Vec<_>>().join(" · "));
                    view! {
                        <p class="hint" data-testid="playground-latency" data-ms=format!("{ms:.1}") data-backend=backend.clone()>
                            {format!("Read by {} network(s) in {ms:.0} ms, in a worker on {backend} ({each}).", play.readings.with(Vec::len))}
                        </p>
                    }
                })}
                <LookInside digit=play.digit.into() insight=play.insight.into() />
                <DenoiseFigure denoiser=play.denoiser.into() level=play.noise_level.into() denoised=play.denoised.into()
                    on_level=Callback::new(move |level| play.set_noise_level(level)) />
            </div>
        </div>
        <details class="playground-upload">
            <summary>"Read with a model file"</summary>
            <p>"A .safetensors file this page saved (P2's MLP, a P2D network or P3's CNN: the Save model buttons beside each kept run) reads your drawing without training; P4's autoencoder denoises it. It is checked first: a file of another model, or damaged, is refused with the reason."</p>
            <label>"Model file: "<input type="file" accept=".safetensors" data-testid="playground-upload" on:change=on_file /></label>
        </details>
    }
}
