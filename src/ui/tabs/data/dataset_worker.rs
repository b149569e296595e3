//! The page's side of the dataset worker (`web/dataset_worker.rs`): start it, post the one
//! request once it is running, pass its progress on, and hand back the summary.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, MessageEvent, Worker};

use crate::data::DataSummary;
use crate::web::dataset::{DatasetReply, DatasetRequest, DownloadProgress};
use crate::web::messages;

const SCRIPT: &str = "./dataset_worker_loader.js";

type Finish = Box<dyn FnOnce(Result<DataSummary, String>)>;

/// The worker and what is still to be called; emptied when it ends.
struct Pending {
    worker: Worker,
    on_loaded: Option<Finish>,
    fallback: Option<Box<dyn FnOnce()>>,
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    _on_error: Option<Closure<dyn FnMut(Event)>>,
}

/// Ends the worker and frees its closures after the current task (one of them may be the
/// caller).
fn end(pending: &Rc<RefCell<Option<Pending>>>) -> Option<Pending> {
    let ended = pending.borrow_mut().take();
    if let Some(ended) = &ended {
        ended.worker.set_onmessage(None);
        ended.worker.set_onerror(None);
        ended.worker.terminate();
    }
    ended
}

fn drop_later(mut ended: Pending) -> (Option<Finish>, Option<Box<dyn FnOnce()>>) {
    let callbacks = (ended.on_loaded.take(), ended.fallback.take());
    wasm_bindgen_futures::spawn_local(async move { drop(ended) });
    callbacks
}

/// Loads the dataset under `base` in the dataset worker: `on_progress` for each file's
/// bytes, then `on_loaded` once. `fallback` runs instead when the worker cannot start or
/// dies without an answer (the page then loads the dataset itself).
pub fn load(
    base: String,
    on_progress: impl Fn(&DownloadProgress) + 'static,
    on_loaded: impl FnOnce(Result<DataSummary, String>) + 'static,
    fallback: impl FnOnce() + 'static,
) {
    let worker = match Worker::new(SCRIPT) {
        Ok(worker) => worker,
        Err(_) => return fallback(),
    };
    let pending = Rc::new(RefCell::new(Some(Pending {
        worker: worker.clone(),
        on_loaded: Some(Box::new(on_loaded)),
        fallback: Some(Box::new(fallback)),
        _on_message: None,
        _on_error: None,
    })));
    let on_message = {
        let pending = pending.clone();
        let worker = worker.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let reply = match messages::from_js::<DatasetReply>(event.data()) {
                Ok(reply) => reply,
                Err(e) => DatasetReply::Failed(e),
            };
            let result = match reply {
                DatasetReply::Ready => {
                    let request = messages::to_js(&DatasetRequest { base: base.clone() });
                    match request.map(|r| worker.post_message(&r).map_err(|_| "cannot post to the dataset worker".to_string())) {
                        Ok(Ok(())) => return,
                        Ok(Err(e)) | Err(e) => Err(e),
                    }
                }
                DatasetReply::Progress(progress) => return on_progress(&progress),
                DatasetReply::Loaded(summary) => Ok(summary),
                DatasetReply::Failed(message) => Err(message),
            };
            if let Some(ended) = end(&pending)
                && let (Some(on_loaded), _) = drop_later(ended)
            {
                on_loaded(result);
            }
        })
    };
    let on_error = {
        let pending = pending.clone();
        Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            // Its script missing, or the worker died without a word: the page loads instead.
            if let Some(ended) = end(&pending)
                && let (_, Some(fallback)) = drop_later(ended)
            {
                fallback();
            }
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    if let Some(p) = pending.borrow_mut().as_mut() {
        p._on_message = Some(on_message);
        p._on_error = Some(on_error);
    }
}
