//! `auto` by measurement: before a run whose backend is `auto` on a page with WebGPU, a few
//! steps of the model about to train on the CPU backend (the worker the run would use:
//! threaded where the page is isolated) and on WebGPU (in a worker of its own), and the
//! faster trains ([`crate::experiment::probe`]). The decision is kept in `localStorage` per
//! adapter and experiment, so later runs go straight to it, and shown with both numbers.
//! `backend=cpu` / `backend=webgpu` skip all of this.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use futures_channel::oneshot;
use js_sys::{Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::worker_client::{WorkerClient, WorkerEvent};
use crate::experiment::probe::{BackendDecision, ProbeOutcome, gpu_budget_ms};
use crate::experiment::{BackendChoice, ExperimentId, RunConfig};
use crate::protocol::{WorkerInput, WorkerOutput};

const STORAGE_KEY: &str = "mnist-lab.backend-decisions";

/// The page's WebGPU adapter as the decision's key names it, and whether it is a software
/// one; `None` when the page has no adapter.
pub async fn page_adapter() -> Option<(String, bool)> {
    let navigator = web_sys::window()?.navigator();
    let gpu = Reflect::get(&navigator, &"gpu".into()).ok().filter(|g| g.is_object())?;
    let request: js_sys::Function = Reflect::get(&gpu, &"requestAdapter".into()).ok()?.dyn_into().ok()?;
    let promise: Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    let adapter = JsFuture::from(promise).await.ok().filter(|a| a.is_object())?;
    let info = Reflect::get(&adapter, &"info".into()).ok().filter(|i| i.is_object());
    let field = |key: &str| info.as_ref().and_then(|i| Reflect::get(i, &key.into()).ok()).and_then(|v| v.as_string()).filter(|s| !s.is_empty());
    let label = [field("vendor"), field("architecture"), field("device")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let fallback = info.as_ref().and_then(|i| Reflect::get(i, &"isFallbackAdapter".into()).ok()).and_then(|v| v.as_bool()).unwrap_or(false);
    let software = fallback || label.to_lowercase().contains("swiftshader");
    Some((if label.is_empty() { "unnamed adapter".into() } else { label }, software))
}

fn key(adapter: &str, experiment: ExperimentId) -> String {
    format!("{adapter}|{}", experiment.as_str())
}

/// Every kept decision; a missing or damaged entry reads as none (measured again).
fn stored() -> BTreeMap<String, BackendDecision> {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// The kept decision for `experiment` on `adapter`, if any.
pub fn kept(adapter: &str, experiment: ExperimentId) -> Option<BackendDecision> {
    stored().remove(&key(adapter, experiment)).filter(|d| d.experiment == experiment)
}

/// Keeps `decision` (a full or refused storage only costs a probe next time).
fn keep(decision: &BackendDecision) {
    let mut all = stored();
    all.insert(key(&decision.adapter, decision.experiment), decision.clone());
    if let (Some(storage), Ok(json)) = (web_sys::window().and_then(|w| w.local_storage().ok().flatten()), serde_json::to_string(&all)) {
        let _ = storage.set_item(STORAGE_KEY, &json);
    }
}

/// Forgets every kept decision (the next `auto` run measures again).
pub fn forget_all() {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.remove_item(STORAGE_KEY);
    }
}

/// The WebGPU probe, in a worker of its own that ends with it: its outcome, or
/// [`ProbeOutcome::TooSlow`] once `budget_ms` has passed.
async fn probe_webgpu(config: &RunConfig, data_url: &str, budget_ms: f64) -> ProbeOutcome {
    let (sender, receiver) = oneshot::channel::<ProbeOutcome>();
    let sender = Rc::new(RefCell::new(Some(sender)));
    let answer = {
        let sender = sender.clone();
        move |outcome: ProbeOutcome| {
            if let Some(sender) = sender.borrow_mut().take() {
                let _ = sender.send(outcome);
            }
        }
    };
    let on_event = {
        let answer = answer.clone();
        move |event: WorkerEvent| match event {
            WorkerEvent::Output(WorkerOutput::Probed { outcome, .. }) => answer(outcome),
            WorkerEvent::Output(WorkerOutput::Error(reason)) | WorkerEvent::Crashed(reason) | WorkerEvent::Failed(reason) => {
                answer(ProbeOutcome::Failed { reason })
            }
            _ => {}
        }
    };
    let client = WorkerClient::new(on_event);
    let input = WorkerInput::Probe { config: config.clone(), backend: BackendChoice::Webgpu, data_url: data_url.into() };
    if let Err(reason) = client.start(input) {
        return ProbeOutcome::Failed { reason };
    }
    let timeout = {
        let answer = answer.clone();
        gloo_timers::callback::Timeout::new(budget_ms as u32, move || answer(ProbeOutcome::TooSlow { budget_ms }))
    };
    let outcome = receiver.await.unwrap_or(ProbeOutcome::Failed { reason: "the probe's worker went away".into() });
    drop(timeout);
    // A WebGPU worker that lost its probe may still be compiling: end it now.
    client.shutdown();
    outcome
}

/// Decides the backend of an `auto` run of `config`: the kept decision for this adapter, or
/// a new measurement. `probe_cpu` times the CPU backend in the run's own worker.
/// Returns the backend and the line to show; `None` when the page has no WebGPU adapter
/// (the CPU backend trains, as `auto` always did there).
///
/// `wanted` says whether the run still wants to start (it was not cancelled meanwhile): a
/// probe of a cancelled run stops after the CPU's and keeps nothing.
pub async fn decide<F>(config: &RunConfig, data_url: &str, probe_cpu: impl FnOnce() -> F, wanted: impl Fn() -> bool) -> Option<(BackendChoice, String)>
where
    F: std::future::Future<Output = (String, ProbeOutcome)>,
{
    let (adapter, software) = page_adapter().await?;
    if let Some(decision) = kept(&adapter, config.experiment) {
        return Some((decision.choice, format!("{} (measured earlier in this browser)", decision.describe())));
    }
    let started = crate::web::now_ms();
    let (cpu_name, cpu) = probe_cpu().await;
    if !wanted() {
        return None;
    }
    let spent = crate::web::now_ms() - started;
    let budget = gpu_budget_ms(software, spent);
    let gpu = probe_webgpu(config, data_url, budget).await;
    let decision = BackendDecision::new(config.experiment, adapter, cpu, cpu_name, gpu, crate::web::now_ms() - started);
    keep(&decision);
    let line = format!("{} (the probe took {:.1} s)", decision.describe(), decision.probe_ms / 1000.0);
    Some((decision.choice, line))
}
