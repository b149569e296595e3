//! The dataset worker: fetches, checks, decompresses and parses the four files off the
//! page's main thread (10 MB of gzip: a few hundred milliseconds of work that would freeze
//! the page), caches them for the training worker and hands the page only its
//! [`DataSummary`](crate::data::DataSummary). One request, then the page terminates it.

use std::cell::Cell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::dataset::{self, DatasetReply, DatasetRequest};
use super::messages;
use crate::data::DataSummary;

/// Progress is posted at most this often per file (the last report of each always).
const PROGRESS_INTERVAL_MS: f64 = 50.0;

fn post(reply: &DatasetReply) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let value = messages::to_js(reply).or_else(|e| messages::to_js(&DatasetReply::Failed(e)));
    if let Ok(value) = value {
        // serde's output is always cloneable.
        let _ = scope.post_message(&value);
    }
}

/// Entry point of the dataset worker binary.
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        post(&DatasetReply::Failed(format!("the dataset worker crashed: {info}")));
    }));
    let busy = Cell::new(false);
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let request = match messages::from_js::<DatasetRequest>(event.data()) {
            Ok(request) => request,
            Err(e) => return post(&DatasetReply::Failed(e)),
        };
        if busy.replace(true) {
            return post(&DatasetReply::Failed("the dataset worker takes one request".into()));
        }
        wasm_bindgen_futures::spawn_local(async move {
            let mut last = [f64::NEG_INFINITY; 4];
            let loaded = dataset::load_mnist(&request.base, |progress| {
                let index = crate::data::MnistFile::ALL.iter().position(|f| *f == progress.file).unwrap_or(0);
                let now = super::now_ms();
                if progress.done || now - last[index] >= PROGRESS_INTERVAL_MS {
                    last[index] = now;
                    post(&DatasetReply::Progress(progress.clone()));
                }
            })
            .await;
            post(&match loaded {
                Ok((mnist, id)) => DatasetReply::Loaded(DataSummary::of(&mnist, id)),
                Err(e) => DatasetReply::Failed(e.to_string()),
            });
        });
    });
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    scope.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    handler.forget();
    post(&DatasetReply::Ready);
}
