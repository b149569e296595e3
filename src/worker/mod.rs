//! The training worker: a thin edge around the ML core. It receives [`WorkerInput`]s,
//! loads the dataset (from the cache the page filled), picks the backend, trains, and
//! posts [`WorkerOutput`]s. All burn code of the web app runs here, off the page's thread.

pub mod backend;
mod cnn_store;
mod playground;
#[cfg(feature = "worker-threads")]
pub mod pool_guard;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::data::Mnist;
use crate::experiment::p4::{CnnInput, P4Session, run_p4_pipeline};
use crate::experiment::result::Checkpoint;
use crate::experiment::reader::{self, DigitReader, DrawingDenoiser};
use crate::experiment::run::{export_cnn, import_cnn, run_mlp_from, run_p3_from};
use crate::experiment::{EpochMetrics, ExperimentId, RunConfig};
use crate::model::weights::{CNN_MODEL, cnn_tensor_shapes, inspect, model_name, read_info};
use crate::web::model_store;
use crate::protocol::{CnnStage, DenoisedDrawing, NamedWeights, PROTOCOL_VERSION, ReaderInfo, Reading, Reply, Request, WorkerInput, WorkerOutput};
use crate::train::{StepProgress, TrainError, TrainObserver};
use crate::web::{dataset, messages, now_ms};
use crate::experiment::BackendChoice;
use crate::experiment::probe::ProbeOutcome;

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts one message about request `id` to the page. A message that cannot be encoded is
/// reported instead.
pub fn post_reply(id: Option<u64>, message: &WorkerOutput) {
    let reply = Reply { id, output: message.clone() };
    let encoded = messages::to_js(&reply).or_else(|e| messages::to_js(&Reply { id, output: WorkerOutput::Error(e) }));
    if let Ok(value) = encoded {
        // postMessage only fails for uncloneable values; serde output is always cloneable.
        let _ = scope().post_message(&value);
    }
}

thread_local! {
    /// The request the worker's run serves (its messages carry its id).
    static RUN_ID: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Posts one message about the current run.
pub fn post(message: &WorkerOutput) {
    post_reply(RUN_ID.with(Cell::get), message);
}

/// State shared by the message handler and the running task.
#[derive(Default)]
struct Worker {
    cancel: Cell<bool>,
    running: Cell<bool>,
    /// Set by `Pause`: the run waits between two steps until `Resume` or `Cancel`.
    paused: Cell<bool>,
    /// Resolves the promise the paused run awaits.
    wake: RefCell<Option<js_sys::Function>>,
    /// The dataset, loaded once per base URL.
    data: RefCell<Option<(String, Rc<Mnist>)>>,
    /// The last P4 run's models, for 4B/4D requests.
    p4: RefCell<Option<Rc<P4Session>>>,
    /// P3's last trained CNN as a weights file, when it was not kept (another is).
    held_cnn: RefCell<Option<Vec<u8>>>,
    /// The playground's classifiers, with the names the page gave them.
    readers: RefCell<Vec<(String, Rc<DigitReader>)>>,
    /// The playground's autoencoder.
    denoiser: RefCell<Option<Rc<DrawingDenoiser>>>,
}

/// Entry point of the worker binary.
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        // A thread of the CPU pool cannot post to the page: it tells it on the pool's channel.
        #[cfg(feature = "worker-threads")]
        if pool_guard::panicked_on_pool_thread(&info.to_string()) {
            return;
        }
        // The wasm instance traps right after this; tell the page why first.
        post(&WorkerOutput::Error(format!("the training worker crashed: {info}")));
    }));
    let worker = Rc::new(Worker::default());
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let (id, input) = match messages::from_js::<Request>(event.data()) {
            Ok(Request { id, input }) => (Some(id), Ok(input)),
            Err(e) => (None, Err(e)),
        };
        match input {
            Ok(WorkerInput::Start { config, backend, data_url, cnn, replace_kept_cnn, resume }) => {
                if worker.running.replace(true) {
                    post_reply(id, &WorkerOutput::Error("a run is already in progress".into()));
                    return;
                }
                RUN_ID.with(|r| r.set(id));
                worker.cancel.set(false);
                worker.paused.set(false);
                let worker = worker.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let outcome = run(&worker, &config, backend, &data_url, cnn, replace_kept_cnn, resume).await;
                    worker.running.set(false);
                    worker.paused.set(false);
                    post(&outcome);
                });
            }
            Ok(WorkerInput::Probe { config, backend, data_url }) => {
                if worker.running.replace(true) {
                    post_reply(id, &WorkerOutput::Error("a run is already in progress".into()));
                    return;
                }
                worker.cancel.set(false);
                let worker = worker.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let output = probe(&worker, &config, backend, &data_url).await;
                    worker.running.set(false);
                    post_reply(id, &output);
                });
            }
            Ok(WorkerInput::Cancel) => {
                worker.cancel.set(true);
                worker.wake();
            }
            Ok(WorkerInput::KeepHeldCnn) => {
                let held = worker.held_cnn.borrow_mut().take();
                wasm_bindgen_futures::spawn_local(async move {
                    let output = match held {
                        Some(bytes) => cnn_store::store_cnn(&bytes).await,
                        None => WorkerOutput::ModelStored { stored: false, description: "this worker holds no trained CNN any more".into() },
                    };
                    post_reply(id, &output);
                });
            }
            Ok(WorkerInput::Pause) => {
                if worker.running.get() {
                    worker.paused.set(true);
                }
            }
            Ok(WorkerInput::Resume) => {
                worker.paused.set(false);
                worker.wake();
            }
            Ok(request @ (WorkerInput::NoiseGrid { .. } | WorkerInput::Sample { .. } | WorkerInput::Interpolate { .. })) => {
                let worker = worker.clone();
                wasm_bindgen_futures::spawn_local(async move { post_reply(id, &serve_p4(&worker, request).await) });
            }
            Ok(WorkerInput::LoadReaders { models, kept_cnn, uploaded, denoiser, backend }) => {
                let worker = worker.clone();
                wasm_bindgen_futures::spawn_local(async move { post_reply(id, &playground::load_readers(&worker, models, kept_cnn, uploaded, denoiser, backend).await) });
            }
            Ok(WorkerInput::Denoise { pixels, level, seed }) => {
                let worker = worker.clone();
                wasm_bindgen_futures::spawn_local(async move { post_reply(id, &playground::denoise(&worker, &pixels, level, seed).await) });
            }
            Ok(WorkerInput::LookInside { pixels }) => {
                let worker = worker.clone();
                wasm_bindgen_futures::spawn_local(async move { post_reply(id, &playground::look_inside(&worker, &pixels).await) });
            }
            Ok(WorkerInput::ReadDigit { pixels }) => {
                let worker = worker.clone();
                wasm_bindgen_futures::spawn_local(async move { post_reply(id, &playground::read_digit(&worker, &pixels).await) });
            }
            Err(e) => post_reply(id, &WorkerOutput::Error(e)),
        }
    });
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // The handler lives as long as the worker does.
    handler.forget();
    post_reply(None, &WorkerOutput::Ready { protocol: PROTOCOL_VERSION });
}

impl Worker {
    /// Lets a paused run go on (to its next step, or to notice a cancel).
    fn wake(&self) {
        if let Some(resolve) = self.wake.borrow_mut().take() {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    }

    /// Waits, without using the CPU, while the run is paused.
    async fn wait_while_paused(&self) {
        if !self.paused.get() || self.cancel.get() {
            return;
        }
        post(&WorkerOutput::Paused(true));
        while self.paused.get() && !self.cancel.get() {
            let promise = js_sys::Promise::new(&mut |resolve, _reject| {
                *self.wake.borrow_mut() = Some(resolve);
            });
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        }
        post(&WorkerOutput::Paused(false));
    }
}

async fn load_data(worker: &Worker, data_url: &str) -> Result<Rc<Mnist>, String> {
    if let Some((url, data)) = worker.data.borrow().as_ref() {
        if url == data_url {
            return Ok(data.clone());
        }
    }
    post(&WorkerOutput::Status("loading MNIST".into()));
    let data = Rc::new(dataset::load_mnist(data_url, |_| {}).await.map_err(|e| e.to_string())?.0);
    *worker.data.borrow_mut() = Some((data_url.to_string(), data.clone()));
    Ok(data)
}

#[allow(clippy::too_many_arguments)]
async fn run(worker: &Worker, config: &RunConfig, backend: BackendChoice, data_url: &str, cnn_stage: Option<CnnStage>, replace_kept_cnn: bool, resume: Option<Checkpoint>) -> WorkerOutput {
    worker.held_cnn.borrow_mut().take();
    let data = match load_data(worker, data_url).await {
        Ok(data) => data,
        Err(e) => return WorkerOutput::Error(e),
    };
    let chosen = match backend::select(backend).await {
        Ok(chosen) => chosen,
        Err(e) => return WorkerOutput::Error(e),
    };
    post(&WorkerOutput::Backend { name: chosen.name.clone(), fallback_reason: chosen.fallback_reason.clone(), threads: backend::cpu_threads() });
    post(&WorkerOutput::Status(format!("training on {}", chosen.name)));
    // P2, P3 and P4 keep a checkpoint at every epoch's end; P2D's networks are short and
    // kept whole. P4's checkpoint holds Adam's state, which burn reads synchronously: on the
    // CPU backend only, and not while P4 trains its own CNN first (a resume would not redo it).
    let resumable = match config.experiment {
        ExperimentId::P2 | ExperimentId::P3 => true,
        ExperimentId::P4 => chosen.name == backend::CPU_NAME && cnn_stage.is_none(),
        ExperimentId::P2d => false,
    };
    let checkpointed = resumable.then(|| config.clone());
    let mut observer = Poster { worker, last_pause_ms: now_ms(), checkpointed };
    let outcome = match config.experiment {
        ExperimentId::P3 => match run_p3_from(config, &data, &chosen.device, &chosen.name, &mut observer, resume.as_ref()).await {
            Ok((result, cnn)) => {
                post(&cnn_store::keep_or_hold_cnn(worker, &cnn, &result, replace_kept_cnn).await);
                Ok(WorkerOutput::Done { result, weights: None })
            }
            Err(e) => Err(e),
        },
        ExperimentId::P4 => {
            let keep = cnn_stage.as_ref().is_some_and(|stage| stage.keep);
            let cnn = match cnn_stage {
                Some(stage) => CnnInput::Train(stage.config),
                None => match cnn_store::stored_cnn(&chosen.device).await {
                    Some((cnn, source)) => CnnInput::Given(cnn, source),
                    None => CnnInput::None,
                },
            };
            let resume = resume.as_ref().filter(|_| resumable);
            match run_p4_pipeline(config, &data, cnn, &chosen.device, &chosen.name, &mut observer, resume).await {
                Ok((result, session, trained)) => {
                    // A CNN trained as P4's first stage is kept only when the visitor asked.
                    if let (true, Some((cnn_result, cnn))) = (keep, trained) {
                        post(&cnn_store::keep_cnn(&cnn, &cnn_result).await);
                    }
                    // The autoencoder is kept with the result (the playground denoises with it);
                    // a failed export costs only that.
                    let weights = crate::experiment::p4::export_autoencoder(&session, &result).await.ok().map(serde_bytes::ByteBuf::from);
                    *worker.p4.borrow_mut() = Some(Rc::new(session));
                    Ok(WorkerOutput::P4Done { result: Box::new(result), weights })
                }
                Err(e) => Err(e),
            }
        }
        _ => run_mlp_from(config, &data, &chosen.device, &chosen.name, &mut observer, resume.as_ref())
            .await
            .map(|(result, weights)| WorkerOutput::Done { result, weights: Some(serde_bytes::ByteBuf::from(weights)) }),
    };
    match outcome {
        Ok(output) => output,
        Err(TrainError::Cancelled { completed }) => WorkerOutput::Cancelled { completed },
        Err(e) if chosen.name != backend::CPU_NAME => match lost_device_after_failure().await {
            Some(why) => WorkerOutput::DeviceLost(format!(
                "the GPU device was lost during the run ({why}); the failure was: {e}. The next run starts a fresh worker, \
                 which sets WebGPU up again and checks it before training; or choose the CPU backend"
            )),
            None => WorkerOutput::Error(e.to_string()),
        },
        Err(e) => WorkerOutput::Error(e.to_string()),
    }
}

/// `auto`'s probe on `backend`: a few steps of `config`'s model, timed.
async fn probe(worker: &Worker, config: &RunConfig, backend: BackendChoice, data_url: &str) -> WorkerOutput {
    let failed = |name: &str, reason: String| WorkerOutput::Probed { name: name.into(), outcome: ProbeOutcome::Failed { reason } };
    let data = match load_data(worker, data_url).await {
        Ok(data) => data,
        Err(e) => return failed(backend.as_str(), e),
    };
    let chosen = match backend::select(backend).await {
        Ok(chosen) => chosen,
        Err(e) => return failed(backend.as_str(), e),
    };
    let name = match (chosen.name == backend::CPU_NAME, backend::cpu_threads()) {
        (true, 1) => "cpu, 1 thread".to_string(),
        (true, n) => format!("cpu, {n} threads"),
        (false, _) => chosen.name.clone(),
    };
    post(&WorkerOutput::Status(format!("auto: timing a few steps on {name}")));
    let outcome = match crate::experiment::probe::probe(config, &data, &chosen.device, &chosen.name, &|| worker.cancel.get()).await {
        Ok(ms_per_step) => ProbeOutcome::Measured { ms_per_step },
        Err(e) => ProbeOutcome::Failed { reason: e.to_string() },
    };
    WorkerOutput::Probed { name, outcome }
}

/// Whether a WebGPU run failed because its device was lost: the device's `lost` promise
/// may settle just after the failed readback it caused, so give it a moment.
async fn lost_device_after_failure() -> Option<String> {
    for _ in 0..10 {
        if let Some(why) = backend::device_lost() {
            return Some(why);
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    backend::device_lost()
}

/// Serves a 4B/4D request from the last P4 run's session.
async fn serve_p4(worker: &Worker, request: WorkerInput) -> WorkerOutput {
    let Some(session) = worker.p4.borrow().clone() else {
        return WorkerOutput::RequestFailed("train P4 first: this worker holds no autoencoder".into());
    };
    let data = match worker.data.borrow().as_ref() {
        Some((_, data)) => data.clone(),
        None => return WorkerOutput::RequestFailed("the dataset is not loaded".into()),
    };
    let outcome = match request {
        WorkerInput::NoiseGrid { digits, seed } => session.noise_grid(&data.train, &digits, seed).await.map(WorkerOutput::NoiseGrid),
        WorkerInput::Sample { count, seed } => session.sample(count, seed).await.map(WorkerOutput::Generated),
        WorkerInput::Interpolate { from, to, steps } => session.interpolate(&data.train, from, to, steps).await.map(WorkerOutput::Generated),
        _ => return WorkerOutput::RequestFailed("not a P4 request".into()),
    };
    outcome.unwrap_or_else(|e| WorkerOutput::RequestFailed(e.to_string()))
}

/// Forwards the loop's reports to the page and lets cancellation in.
struct Poster<'a> {
    worker: &'a Worker,
    last_pause_ms: f64,
    /// The run whose epochs are checkpointed (P2, P3), if any.
    checkpointed: Option<RunConfig>,
}

/// Longest stretch of training without returning to the event loop: a `Cancel` waits at
/// most this long on the CPU backend (on WebGPU the loop awaits readbacks anyway).
const MAX_BUSY_MS: f64 = 50.0;

impl TrainObserver for Poster<'_> {
    fn progress(&mut self, p: &StepProgress) {
        post(&WorkerOutput::Progress(p.clone()));
    }

    fn validation(&mut self, epoch: usize, done: usize, total: usize) {
        post(&WorkerOutput::Validating { epoch, done, total });
    }

    fn epoch_end(&mut self, metrics: &EpochMetrics) {
        post(&WorkerOutput::EpochEnd(metrics.clone()));
    }

    fn wants_checkpoints(&self) -> bool {
        self.checkpointed.is_some()
    }

    fn checkpoint(&mut self, history: &[EpochMetrics], weights: Vec<u8>, optimizer: Option<Vec<u8>>) {
        if let Some(config) = &self.checkpointed {
            post(&WorkerOutput::Checkpoint(Checkpoint { config: config.clone(), history: history.to_vec(), weights, optimizer }));
        }
    }

    fn phase(&mut self, description: &str) {
        post(&WorkerOutput::Status(description.to_string()));
    }

    fn stage(&mut self, index: usize, count: usize, name: &str, config: &RunConfig) {
        post(&WorkerOutput::Stage { index, count, name: name.to_string(), config: config.clone() });
    }

    fn should_stop(&self) -> bool {
        self.worker.cancel.get()
    }

    async fn pause(&mut self) {
        if now_ms() - self.last_pause_ms > MAX_BUSY_MS {
            yield_to_event_loop().await;
            self.worker.wait_while_paused().await;
            self.last_pause_ms = now_ms();
        }
    }
}

thread_local! {
    /// One channel for every yield: a message to ourselves is a new task.
    static YIELD_CHANNEL: Option<web_sys::MessageChannel> = web_sys::MessageChannel::new().ok();
}

/// Lets the worker's event loop run once (so a `Cancel` message is delivered). A message
/// through a `MessageChannel` is queued as a task at once, whereas chained `setTimeout(0)`s
/// are clamped to 4 ms each after five levels of nesting (the HTML spec) — 8% of the CPU
/// backend's training time at one yield per 50 ms. Falls back to `setTimeout` without a
/// channel.
async fn yield_to_event_loop() {
    let promise = YIELD_CHANNEL.with(|channel| {
        let channel = channel.as_ref()?;
        let port = channel.port1();
        let sender = channel.port2();
        Some(js_sys::Promise::new(&mut |resolve, _reject| {
            port.set_onmessage(Some(&resolve));
            // Posting `null` to our own channel cannot fail in practice; if it did, the
            // `setTimeout` below keeps the loop going.
            if sender.post_message(&wasm_bindgen::JsValue::NULL).is_err() {
                let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            }
        }))
    });
    match promise {
        Some(promise) => {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        }
        None => gloo_timers::future::TimeoutFuture::new(0).await,
    }
}
