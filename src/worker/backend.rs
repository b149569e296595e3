//! Choosing and initialising the backend in the worker: WebGPU through burn's wgpu
//! runtime when the browser has an adapter, else burn's CPU backend (burn-flex, SIMD128).
//! The threaded CPU worker (feature `worker-threads`) has no WebGPU: it is started only to
//! train on the CPU backend, on every core.
#![cfg_attr(not(feature = "webgpu"), allow(dead_code, unused_imports))]

use burn::tensor::{Device, Tensor, TensorData};
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;

use crate::experiment::BackendChoice;

/// An initialised backend and how to name it in the page.
pub struct Chosen {
    pub device: Device,
    pub name: String,
    pub fallback_reason: Option<String>,
}

/// burn's WebGPU device and what the page shows of it.
#[derive(Clone)]
pub struct Gpu {
    pub device: Device,
    /// e.g. `webgpu (swiftshader)`.
    pub name: String,
}

thread_local! {
    /// burn registers a wgpu runtime once per worker; later runs reuse it.
    static WEBGPU: std::cell::RefCell<Option<Gpu>> = const { std::cell::RefCell::new(None) };
    /// Why this worker's WebGPU device was lost (its `lost` promise settled), if it was.
    static LOST: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Why the worker's WebGPU device was lost, if it was. burn's wgpu runtime cannot be set up
/// twice in one worker, so a worker whose device is lost is done with WebGPU: the page
/// replaces it (`WorkerOutput::DeviceLost`), and the new worker sets WebGPU up again and
/// checks it before training.
pub fn device_lost() -> Option<String> {
    LOST.with(|l| l.borrow().clone())
}

/// Notes the loss of `gpu_device` when its `lost` promise settles (`destroy()`, a driver
/// reset, the GPU process gone).
fn watch_for_loss(gpu_device: &JsValue) {
    let Some(lost) = Reflect::get(gpu_device, &"lost".into()).ok().filter(|p| p.is_object()) else { return };
    let on_lost = Closure::once_into_js(|info: JsValue| {
        let field = |key: &str| Reflect::get(&info, &key.into()).ok().and_then(|v| v.as_string()).filter(|s| !s.is_empty());
        let why = match (field("reason"), field("message")) {
            (Some(reason), Some(message)) => format!("{reason}: {message}"),
            (reason, message) => reason.or(message).unwrap_or_else(|| "no reason given".into()),
        };
        LOST.with(|l| *l.borrow_mut() = Some(why));
        WEBGPU.with(|w| *w.borrow_mut() = None);
    });
    if let Some(then) = method(&lost, "then") {
        let _ = then.call1(&lost, &on_lost);
    }
}

pub const CPU_NAME: &str = "cpu";

/// Threads the CPU backend trains on: the worker's own and its pool's in the threaded
/// worker (a step's batch split across them, `train::parallel`), else 1.
pub fn cpu_threads() -> usize {
    crate::train::parallel::available_threads()
}

pub async fn select(choice: BackendChoice) -> Result<Chosen, String> {
    let cpu = || Chosen { device: Device::flex(), name: CPU_NAME.into(), fallback_reason: None };
    match choice {
        BackendChoice::Cpu => Ok(cpu()),
        BackendChoice::Webgpu => webgpu().await.map(|gpu| Chosen { device: gpu.device, name: gpu.name, fallback_reason: None }),
        BackendChoice::Auto => match webgpu().await {
            Ok(gpu) => Ok(Chosen { device: gpu.device, name: gpu.name, fallback_reason: None }),
            Err(reason) => Ok(Chosen { fallback_reason: Some(reason), ..cpu() }),
        },
    }
}

/// The worker's WebGPU device, initialised on first use and checked against the CPU
/// backend on a small matmul before any training trusts it.
pub async fn webgpu() -> Result<Gpu, String> {
    #[cfg(not(feature = "webgpu"))]
    return Err("this is the threaded CPU worker, built without WebGPU".into());
    #[cfg(feature = "webgpu")]
    {
        if let Some(why) = device_lost() {
            return Err(format!("this worker's WebGPU device was lost ({why})"));
        }
        if let Some(ready) = WEBGPU.with(|w| w.borrow().clone()) {
            return Ok(ready);
        }
        let gpu = Reflect::get(&js_sys::global(), &"navigator".into())
            .and_then(|n| Reflect::get(&n, &"gpu".into()))
            .unwrap_or(JsValue::UNDEFINED);
        if gpu.is_undefined() || gpu.is_null() {
            return Err("this browser has no WebGPU (navigator.gpu is missing)".into());
        }
        enable_subgroups_on_request_device(&gpu);
        let (device, setup) = Device::wgpu_options()
            .init_with_setup_async()
            .await
            .map_err(|e| format!("no usable WebGPU adapter: {e}"))?;
        let gpu_device: JsValue = setup.device.as_webgpu().map(|d| AsRef::<JsValue>::as_ref(d).clone()).unwrap_or(JsValue::UNDEFINED);
        let name = format!("webgpu ({})", adapter_label(&gpu_device, &setup.adapter.get_info().name));
        self_check(&device).await?;
        watch_for_loss(&gpu_device);
        let gpu = Gpu { device, name };
        WEBGPU.with(|w| *w.borrow_mut() = Some(gpu.clone()));
        Ok(gpu)
    }
}

/// burn's matmul kernels (cubecl 0.11) read subgroup builtins and so begin with
/// `enable subgroups;`, but wgpu 30 cannot request the `subgroups` feature from a browser
/// (its WebGPU feature table has no entry for it), so Chromium rejects those shaders and
/// the kernels silently do nothing. Until wgpu maps the feature, ask for it where wgpu makes
/// its device: `navigator.gpu.requestAdapter` is wrapped so that each adapter it hands out
/// gets its own `requestDevice` that adds `subgroups` when the adapter offers it.
///
/// Written with `Reflect` and closures rather than a JavaScript snippet: the page's Content
/// Security Policy forbids `eval` (and so `Function::new`). wgpu calls both methods as
/// plain property lookups, so own properties on the two objects take precedence over the
/// prototypes' methods. Failure leaves everything as it was; the self-check then decides.
fn enable_subgroups_on_request_device(gpu: &JsValue) {
    const MARK: &str = "__mnistLabSubgroups";
    if Reflect::has(gpu, &MARK.into()).unwrap_or(true) {
        return;
    }
    let Some(request_adapter) = method(gpu, "requestAdapter") else { return };
    let receiver = gpu.clone();
    let wrapped = Closure::<dyn Fn(JsValue) -> JsValue>::new(move |options: JsValue| -> JsValue {
        let adapter = match request_adapter.call1(&receiver, &options) {
            Ok(promise) => promise,
            Err(error) => return Promise::reject(&error).into(),
        };
        let with_subgroups = Closure::once_into_js(|adapter: JsValue| -> JsValue {
            ask_for_subgroups(&adapter);
            adapter
        });
        match method(&adapter, "then").map(|then| then.call1(&adapter, &with_subgroups)) {
            Some(Ok(chained)) => chained,
            _ => adapter,
        }
    });
    // One wrapper per worker, for its lifetime: handing it to JavaScript leaks it on purpose.
    if Reflect::set(gpu, &"requestAdapter".into(), &wrapped.into_js_value()).unwrap_or(false) {
        let _ = Reflect::set(gpu, &MARK.into(), &JsValue::TRUE);
    }
}

/// Gives `adapter` (a `GPUAdapter`, or null) a `requestDevice` that adds `subgroups` to the
/// required features when the adapter offers them.
fn ask_for_subgroups(adapter: &JsValue) {
    let offers = Reflect::get(adapter, &"features".into())
        .ok()
        .and_then(|features| method(&features, "has").and_then(|has| has.call1(&features, &"subgroups".into()).ok()))
        .is_some_and(|v| v.is_truthy());
    let Some(request_device) = method(adapter, "requestDevice").filter(|_| offers) else { return };
    let receiver = adapter.clone();
    let wrapped = Closure::<dyn Fn(JsValue) -> JsValue>::new(move |descriptor: JsValue| -> JsValue {
        let copy = Object::new();
        if descriptor.is_object() {
            let _ = Object::assign(&copy, &descriptor.clone().unchecked_into());
        }
        let required = Reflect::get(&copy, &"requiredFeatures".into()).ok().filter(|v| !v.is_undefined() && !v.is_null());
        let required = required.map_or_else(Array::new, |list| Array::from(&list));
        if !required.includes(&"subgroups".into(), 0) {
            required.push(&"subgroups".into());
        }
        let _ = Reflect::set(&copy, &"requiredFeatures".into(), &required);
        request_device.call1(&receiver, &copy).unwrap_or_else(|error| Promise::reject(&error).into())
    });
    let _ = Reflect::set(adapter, &"requestDevice".into(), &wrapped.into_js_value());
}

/// `object[name]` if it is a function.
fn method(object: &JsValue, name: &str) -> Option<Function> {
    Reflect::get(object, &name.into()).ok()?.dyn_into::<Function>().ok()
}

/// `swiftshader`, `nvidia ampere`, ... from `GPUDevice.adapterInfo`, else wgpu's name.
fn adapter_label(gpu_device: &JsValue, fallback: &str) -> String {
    let info = Reflect::get(gpu_device, &"adapterInfo".into()).unwrap_or(JsValue::UNDEFINED);
    let field = |key: &str| Reflect::get(&info, &key.into()).ok().and_then(|v| v.as_string()).filter(|s| !s.is_empty());
    let label = match (field("vendor"), field("architecture")) {
        (_, Some(arch)) if arch == "swiftshader" => arch,
        (Some(vendor), Some(arch)) => format!("{vendor} {arch}"),
        (Some(vendor), None) => vendor,
        (None, Some(arch)) => arch,
        (None, None) => field("description").unwrap_or_else(|| fallback.to_string()),
    };
    if label.is_empty() { "unknown adapter".into() } else { label }
}

/// Multiplies two fixed matrices on the GPU and on the CPU backend; a kernel that failed
/// to compile leaves zeros or stale memory, which this catches before training starts.
async fn self_check(device: &Device) -> Result<(), String> {
    let (m, k, n) = (37, 784, 64);
    let a: Vec<f32> = (0..m * k).map(|i| ((i * 7919) % 97) as f32 / 97.0 - 0.5).collect();
    let b: Vec<f32> = (0..k * n).map(|i| ((i * 104729) % 89) as f32 / 89.0 - 0.5).collect();
    let product = |device: &Device| {
        let a = Tensor::<2>::from_data(TensorData::new(a.clone(), [m, k]), device);
        let b = Tensor::<2>::from_data(TensorData::new(b.clone(), [k, n]), device);
        a.matmul(b)
    };
    let expected = product(&Device::flex()).into_data_async().await.map_err(|e| e.to_string())?;
    let found = product(device).into_data_async().await.map_err(|e| format!("WebGPU readback failed: {e}"))?;
    let (expected, found) = match (expected.try_into_vec::<f32>(), found.try_into_vec::<f32>()) {
        (Ok(e), Ok(f)) => (e, f),
        _ => return Err("WebGPU self-check: unexpected element type".into()),
    };
    let worst = expected.iter().zip(&found).map(|(e, f)| (e - f).abs()).fold(0.0f32, f32::max);
    if worst > 1e-3 || found.len() != expected.len() {
        return Err(format!("WebGPU gives wrong results on this adapter (matmul off by {worst}); using the CPU backend"));
    }
    Ok(())
}
