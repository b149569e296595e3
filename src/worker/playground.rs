//! The playground's requests: the kept classifiers loaded as digit readers (each on the
//! backend that reads the probe digits as the CPU backend does, and is faster), a drawing
//! read, looked inside, and denoised by P4's autoencoder.

use std::rc::Rc;

use super::*;
/// Loads the playground's classifiers, replacing the earlier ones: on the CPU backend first
/// (the reference), then moved to WebGPU where `backend` asks for it and it passes the
/// check ([`place_readers`]). P4's autoencoder stays on the CPU backend.
pub(super) async fn load_readers(worker: &Worker, models: Vec<NamedWeights>, kept_cnn: bool, uploaded: Vec<NamedWeights>, denoiser: Option<NamedWeights>, backend: BackendChoice) -> WorkerOutput {
    let device = burn::tensor::Device::flex();
    let mut named: Vec<(String, Vec<u8>)> = models.into_iter().map(|m| (m.name, m.weights)).collect();
    let mut failed = Vec::new();
    if kept_cnn {
        match model_store::load(model_store::CNN_FILE).await {
            Ok(Some(bytes)) => named.push(("P3 CNN (kept)".into(), bytes)),
            Ok(None) => {}
            Err(e) => failed.push(format!("P3 CNN (kept): {e}")),
        }
    }
    // An uploaded P4 autoencoder is the denoiser (the kept one's place), not a reader.
    let mut denoiser = denoiser;
    for model in uploaded {
        if read_info(&model.weights).is_ok_and(|info| info.model == model_name(ExperimentId::P4)) {
            denoiser = Some(model);
        } else {
            named.push((model.name, model.weights));
        }
    }
    let mut readers = Vec::new();
    for (name, bytes) in named {
        match DigitReader::load(&bytes, &device) {
            Ok(reader) => readers.push((name, bytes, Rc::new(reader))),
            Err(e) => failed.push(format!("{name}: {e}")),
        }
    }
    let (readers, backend, note) = place_readers(readers, backend).await;
    let loaded = readers
        .iter()
        .map(|(name, r)| ReaderInfo { name: name.clone(), description: r.info.describe(), looks_inside: r.experiment == ExperimentId::P3 })
        .collect();
    *worker.readers.borrow_mut() = readers;
    let denoiser = denoiser.and_then(|m| match DrawingDenoiser::load(&m.weights, &device) {
        Ok(d) => Some((m.name, Rc::new(d))),
        Err(e) => {
            failed.push(format!("{}: {e}", m.name));
            None
        }
    });
    let denoiser_info = denoiser.as_ref().map(|(name, d)| ReaderInfo { name: name.clone(), description: d.info.describe(), looks_inside: false });
    *worker.denoiser.borrow_mut() = denoiser.map(|(_, d)| d);
    WorkerOutput::ReadersLoaded { loaded, denoiser: denoiser_info, failed, backend, note }
}

/// Where the playground's readers read: the CPU backend unless WebGPU is asked for (or
/// `auto`) and every reader, loaded there, reads the probe digits as on the CPU backend;
/// for `auto`, WebGPU only where a probe reading by all of them is faster there. Returns
/// the readers, the backend's name, and a note for the page.
async fn place_readers(on_cpu: Vec<(String, Vec<u8>, Rc<DigitReader>)>, choice: BackendChoice) -> (Vec<(String, Rc<DigitReader>)>, String, Option<String>) {
    let cpu_readers = || on_cpu.iter().map(|(name, _, r)| (name.clone(), r.clone())).collect::<Vec<_>>();
    let stay = |note: Option<String>| (cpu_readers(), backend::CPU_NAME.to_string(), note);
    if choice == BackendChoice::Cpu || on_cpu.is_empty() {
        return stay(None);
    }
    let gpu = match backend::webgpu().await {
        Ok(gpu) => gpu,
        Err(e) => return stay(Some(format!("WebGPU is not available ({e}), so the CPU backend reads"))),
    };
    let mut on_gpu = Vec::with_capacity(on_cpu.len());
    for (name, bytes, cpu_reader) in &on_cpu {
        let reader = match DigitReader::load(bytes, &gpu.device) {
            Ok(reader) => reader,
            Err(e) => return stay(Some(format!("{name} could not be loaded on WebGPU ({e}); the CPU backend reads"))),
        };
        match reader::max_difference(cpu_reader, &reader).await {
            Ok(d) if d <= reader::DEVICE_TOLERANCE => on_gpu.push((name.clone(), Rc::new(reader))),
            Ok(d) => return stay(Some(format!("{name} reads the check digits differently on WebGPU (by {d:.1e}); the CPU backend reads"))),
            Err(e) => return stay(Some(format!("{name} failed on WebGPU ({e}); the CPU backend reads"))),
        }
    }
    if choice == BackendChoice::Auto {
        // The check above warmed both devices' kernels; now one probe reading by all of them.
        let (cpu_ms, gpu_ms) = (probe_ms(&cpu_readers()).await, probe_ms(&on_gpu).await);
        let measured = format!("a reading by all of them took {cpu_ms:.1} ms on the CPU backend, {gpu_ms:.1} ms on {}", gpu.name);
        if cpu_ms <= gpu_ms {
            return stay(Some(format!("auto: {measured}")));
        }
        return (on_gpu, gpu.name, Some(format!("auto: {measured}")));
    }
    (on_gpu, gpu.name, None)
}

/// Milliseconds for `readers` to read the first probe digit (the median of three).
async fn probe_ms(readers: &[(String, Rc<DigitReader>)]) -> f64 {
    let digit = reader::probe_digits().swap_remove(0);
    let mut times = Vec::with_capacity(3);
    for _ in 0..3 {
        let start = crate::web::now_ms();
        for (_, reader) in readers {
            let _ = reader.probabilities(&digit).await;
        }
        times.push(crate::web::now_ms() - start);
    }
    times.sort_by(f64::total_cmp);
    times[1]
}

/// The digit noised and denoised, and the first CNN's reading of both.
pub(super) async fn denoise(worker: &Worker, pixels: &[u8], level: f64, seed: u64) -> WorkerOutput {
    let Some(denoiser) = worker.denoiser.borrow().clone() else {
        return WorkerOutput::RequestFailed("no autoencoder is loaded: train P4 first".into());
    };
    let (noised, denoised) = match denoiser.noise_and_denoise(pixels, level, seed).await {
        Ok(pair) => pair,
        Err(e) => return WorkerOutput::RequestFailed(format!("the autoencoder could not denoise the drawing: {e}")),
    };
    let cnn = worker.readers.borrow().iter().find(|(_, r)| r.experiment == ExperimentId::P3).cloned();
    let read = |image: Vec<u8>| {
        let cnn = cnn.clone();
        async move {
            let (name, reader) = cnn?;
            let start = crate::web::now_ms();
            reader.probabilities(&image).await.ok().map(|probabilities| Reading { name, probabilities, ms: crate::web::now_ms() - start })
        }
    };
    let noised_reading = read(noised.clone()).await;
    let denoised_reading = read(denoised.clone()).await;
    WorkerOutput::Denoised(Box::new(DenoisedDrawing { level, noised, denoised, noised_reading, denoised_reading }))
}

/// What the first loaded CNN looks at in one digit.
pub(super) async fn look_inside(worker: &Worker, pixels: &[u8]) -> WorkerOutput {
    let cnn = worker.readers.borrow().iter().find(|(_, r)| r.experiment == ExperimentId::P3).map(|(_, r)| r.clone());
    let Some(cnn) = cnn else { return WorkerOutput::Insight(None) };
    match cnn.look_inside(pixels).await {
        Ok(insight) => WorkerOutput::Insight(insight),
        Err(e) => WorkerOutput::RequestFailed(format!("the CNN could not look inside the digit: {e}")),
    }
}

/// Every loaded classifier's reading of one digit.
pub(super) async fn read_digit(worker: &Worker, pixels: &[u8]) -> WorkerOutput {
    let readers = worker.readers.borrow().clone();
    let mut readings = Vec::with_capacity(readers.len());
    for (name, reader) in readers {
        let start = crate::web::now_ms();
        match reader.probabilities(pixels).await {
            Ok(probabilities) => readings.push(Reading { name, probabilities, ms: crate::web::now_ms() - start }),
            Err(e) => return WorkerOutput::RequestFailed(format!("{name} could not read the digit: {e}")),
        }
    }
    WorkerOutput::Read(readings)
}
