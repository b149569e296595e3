//! Problem 1's tab and its data: the dataset download with a progress bar per file, and
//! what the page keeps of it (counts and a few samples; the worker reads the full set from
//! the cache); [`own_dataset`] (another dataset in MNIST's format), the sample [`digits`]
//! and their preprocessing, the seed's answer 1.

mod dataset_worker;
pub mod digits;
pub mod own_dataset;

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use digits::{DigitGrid, Preprocessing};
use crate::ui::components::format;
use crate::ui::components::seed_answer::SeedAnswer;
use crate::ui::kept_view::KeptPanel;
use crate::ui::lab::Lab;
use crate::data::{DatasetId, MnistFile};
use crate::web::{self, dataset::{DownloadProgress, Source}};

pub use crate::data::summary::{DataSummary, Sample, SAMPLES, TEST_SAMPLES};

/// The dataset's state as tests read it from `data-testid="data-status"`.
#[derive(Debug, Clone, PartialEq)]
pub enum DataState {
    Loading,
    Ready(DataSummary),
    Error(String),
}

impl DataState {
    pub fn label(&self) -> String {
        match self {
            Self::Loading => "loading".into(),
            Self::Ready(_) => "ready".into(),
            Self::Error(message) => format!("error: {message}"),
        }
    }

    pub fn is_ready(&self) -> bool {
        matches!(self, Self::Ready(_))
    }

    /// The loaded dataset's identity.
    pub fn dataset(&self) -> Option<DatasetId> {
        match self {
            Self::Ready(summary) => Some(summary.id.clone()),
            _ => None,
        }
    }
}

/// Per-file progress, in [`MnistFile::ALL`] order.
pub type FileProgress = [Option<DownloadProgress>; 4];

/// Byte updates of one file are shown at most this often (completion always shows).
const FILE_PROGRESS_INTERVAL_MS: f64 = 100.0;

/// Starts loading the dataset from `base` in the background, reporting into `files` and
/// `state`; `on_ready` runs once it has loaded. The dataset worker does the work (the page
/// keeps only the summary); where it cannot start, the page loads the dataset itself.
///
/// `same_origin`: `base` is this site's. Another origin's data (which the visitor agreed
/// to) loads on the page, whose policy alone allows that origin: workers run under the
/// header's policy, which never names another site.
pub fn start_loading(base: String, same_origin: bool, files: RwSignal<FileProgress>, state: RwSignal<DataState>, on_ready: impl FnOnce() + 'static) {
    let on_ready: Rc<RefCell<Option<Box<dyn FnOnce()>>>> = Rc::new(RefCell::new(Some(Box::new(on_ready))));
    let names_base = base.clone();
    let loaded = move |summary: Result<DataSummary, String>| {
        let on_ready = on_ready.clone();
        let base = names_base.clone();
        spawn_local(async move {
            match summary {
                Ok(summary) => {
                    let classes = web::dataset::class_names(&base).await;
                    state.set(DataState::Ready(DataSummary { classes, ..summary }));
                    if let Some(on_ready) = on_ready.borrow_mut().take() {
                        on_ready();
                    }
                }
                Err(e) => state.set(DataState::Error(e)),
            }
        });
    };
    let throttle = Rc::new(RefCell::new([f64::NEG_INFINITY; 4]));
    let on_progress = move |progress: &DownloadProgress| {
        let Some(index) = MnistFile::ALL.iter().position(|f| *f == progress.file) else { return };
        let now = web::now_ms();
        let mut last = throttle.borrow_mut();
        if progress.done || now - last[index] >= FILE_PROGRESS_INTERVAL_MS {
            last[index] = now;
            files.update(|f| f[index] = Some(progress.clone()));
        }
    };
    let on_page = {
        let (base, on_progress, loaded) = (base.clone(), on_progress.clone(), loaded.clone());
        move || {
            spawn_local(async move {
                let result = web::dataset::load_mnist(&base, |p| on_progress(p)).await;
                loaded(result.map(|(mnist, id)| DataSummary::of(&mnist, id)).map_err(|e| e.to_string()));
            });
        }
    };
    if same_origin {
        // No worker (its files missing, or a browser that refuses it): the page's own thread.
        dataset_worker::load(base, on_progress, loaded, on_page);
    } else {
        on_page();
    }
}

/// The dataset's one-line status for the lab bar (always on screen): loading with one
/// bar for all four files, ready with the counts and where the files came from, or the
/// error.
#[component]
pub fn DataStatus(
    /// Progress of each of the four files.
    #[prop(into)]
    files: Signal<FileProgress>,
    /// Loading, ready with counts, or the error.
    #[prop(into)]
    state: Signal<DataState>,
) -> impl IntoView {
    let loaded = move || files.with(|f| f.iter().flatten().map(|p| p.loaded).sum::<u64>());
    let total = move || files.with(|f| f.iter().map(|p| p.as_ref().and_then(|p| p.total)).sum::<Option<u64>>());
    let source = move || {
        files.with(|f| {
            if f.iter().all(|p| p.as_ref().is_some_and(|p| p.source == Source::Cache)) { "from cache" } else { "downloaded" }
        })
    };
    view! {
        <p class="data-status">
            "MNIST: "
            <strong data-testid="data-status" class:error=move || state.with(|s| matches!(s, DataState::Error(_)))>
                {move || state.with(DataState::label)}
            </strong>
            {move || state.with(|s| match s {
                DataState::Ready(summary) => view! {
                    " · "
                    <span data-testid="train-count">{format::thousands(summary.train)}</span>
                    " training, "
                    <span data-testid="test-count">{format::thousands(summary.test)}</span>
                    " test images ("
                    {source()}
                    ")"
                }.into_any(),
                DataState::Loading => view! {
                    " "
                    <progress aria-label="dataset download" max=move || total().map(|t| t.max(1).to_string())
                        value=move || total().map(|_| loaded().to_string())></progress>
                    " " {move || format::bytes(loaded())}
                }.into_any(),
                DataState::Error(_) => ().into_any(),
            })}
        </p>
    }
}

/// Where the dataset came from, one progress bar per file, and a way to forget the cache
/// (Problem 1's tab).
#[component]
pub fn DataPanel(
    /// Base URL the files are fetched from (shown to the reader).
    #[prop(into)]
    base: String,
    /// Progress of each of the four files.
    #[prop(into)]
    files: Signal<FileProgress>,
) -> impl IntoView {
    let rows = MnistFile::ALL
        .iter()
        .enumerate()
        .map(|(index, file)| view! { <FileRow name=file.gz_name() progress=Signal::derive(move || files.with(|f| f[index].clone())) /> })
        .collect_view();
    view! {
        <div class="data-panel">
            <p class="muted">"Source: " <code>{base}</code> " (decompressed and kept in the browser's Cache Storage for the next visit and for the training worker)"</p>
            <div class="scroll-x">
                <table class="downloads">
                    <caption class="visually-hidden">"The four MNIST files"</caption>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <ClearCache />
        </div>
    }
}

/// A button that forgets the cached dataset (it is fetched again on the next visit).
#[component]
fn ClearCache() -> impl IntoView {
    let outcome = RwSignal::new(None::<&'static str>);
    let clear = move |_| {
        spawn_local(async move {
            let cleared = web::dataset::clear_cache().await;
            outcome.set(Some(if cleared { "cache cleared: the next visit downloads the files again" } else { "nothing was cached" }));
        });
    };
    view! {
        <p class="muted small">
            <button class="link" on:click=clear>"Forget the cached dataset"</button>
            " " {move || outcome.get()}
        </p>
    }
}

/// One file's download progress.
#[component]
fn FileRow(
    /// The published file name.
    name: &'static str,
    /// Its latest progress report; `None` before the first.
    #[prop(into)]
    progress: Signal<Option<DownloadProgress>>,
) -> impl IntoView {
    let max = move || progress.with(|p| p.as_ref().and_then(|p| p.total).map(|t| t.max(1).to_string()));
    let value = move || progress.with(|p| p.as_ref().filter(|p| p.total.is_some()).map(|p| p.loaded.to_string()));
    let text = move || {
        progress.with(|p| match p {
            None => "waiting".to_string(),
            Some(p) if p.source == Source::Cache => format!("from cache ({})", format::bytes(p.loaded)),
            Some(p) if p.done => format!("downloaded ({})", format::bytes(p.loaded)),
            Some(p) => match p.total {
                Some(total) => format!("{} / {}", format::bytes(p.loaded), format::bytes(total)),
                None => format!("{} / ?", format::bytes(p.loaded)),
            },
        })
    };
    view! {
        <tr>
            <td><code>{name}</code></td>
            <td class="bar"><progress aria-label=format!("{name} download") max=max value=value></progress></td>
            <td class="bytes">{text}</td>
        </tr>
    }
}

/// Problem 1's tab: the download, sample digits, the seed's preprocessing, its answer.
#[component]
pub fn DataTab(data_url: String, files: RwSignal<FileProgress>) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let samples_view = move || {
        lab.data.with(|d| match d {
            DataState::Ready(summary) => {
                let first = summary.samples.first().cloned();
                Some(view! {
                    <div class="two-col even">
                        <div>
                            <h3>"Sample training digits"</h3>
                            <DigitGrid samples=summary.samples.clone() />
                        </div>
                        <div>
                            <h3>"Preprocessing of the first digit"</h3>
                            {first.map(|sample| view! { <Preprocessing sample=sample /> })}
                        </div>
                    </div>
                })
            }
            _ => None,
        })
    };
    view! {
        <h2>"Problem 1 — the data and its preprocessing"</h2>
        <DataPanel base=data_url files=files />
        <own_dataset::OwnDataset />
        <KeptPanel />
        {samples_view}
        <Answer1 />
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
