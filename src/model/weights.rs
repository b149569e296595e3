//! Trained weights as a [safetensors](https://github.com/huggingface/safetensors) file: the
//! format the page keeps a trained model in (Cache Storage), offers for download, and takes
//! back on upload. Tensors are named by their path in the burn module (`conv1.weight`,
//! `fc1.bias`), stored as little-endian f32 in burn's layouts (dense kernels `[in, out]`,
//! the same as Keras'; conv kernels `[out, in, 3, 3]`); the file's `__metadata__` says which
//! model it holds and how it was trained.
//!
//! Reading the header needs no burn, so the page checks an upload before handing it on;
//! exporting and importing a burn module need the `ml` feature. burn's own recorders read
//! tensors synchronously, which panics on WebGPU in a browser, so the export here reads all
//! parameters in one asynchronous transaction instead.

use std::collections::BTreeMap;
#[cfg(feature = "ml")]
use std::collections::HashMap;

use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// `__metadata__` key naming the model a file holds.
pub const MODEL_KEY: &str = "model";
/// `__metadata__` keys `param_id.<tensor>` of a checkpoint: each parameter's burn id, which
/// the optimizer's state (Adam's moments) is keyed by; restored on import so the state
/// finds its parameters again in a fresh process.
pub const PARAM_ID_PREFIX: &str = "param_id.";
/// The P3 CNN's model name.
pub const CNN_MODEL: &str = "mnist-lab/p3-cnn";

/// The model name a weights file of `experiment`'s network carries in its header.
pub fn model_name(experiment: crate::experiment::ExperimentId) -> &'static str {
    use crate::experiment::ExperimentId;
    match experiment {
        ExperimentId::P2 => "mnist-lab/p2-mlp",
        ExperimentId::P2d => "mnist-lab/p2d-mlp",
        ExperimentId::P3 => CNN_MODEL,
        ExperimentId::P4 => "mnist-lab/p4-autoencoder",
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum WeightsError {
    #[error("not a safetensors weights file ({0})")]
    Format(String),
    #[error("this file holds {found}, not {expected}")]
    WrongModel { expected: String, found: String },
    #[error("tensor `{name}` has shape {found:?}, the model needs {expected:?}")]
    WrongShape { name: String, expected: Vec<usize>, found: Vec<usize> },
    #[error("tensor `{0}` is missing from the file")]
    Missing(String),
    #[error("the file has tensors the model does not: {0}")]
    Unexpected(String),
    #[error("tensor `{0}` is not f32")]
    WrongType(String),
    #[error("reading the weights from the device failed: {0}")]
    Backend(String),
    #[error("tensor `{0}` holds values that are not finite (NaN or infinite): the network it came from diverged")]
    NotFinite(String),
}

/// What a weights file says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightsInfo {
    pub model: String,
    /// Number of scalar parameters in the file.
    pub params: usize,
    /// The rest of `__metadata__` (training figures, configuration).
    pub metadata: BTreeMap<String, String>,
}

impl WeightsInfo {
    /// "P3's CNN: 40 epoch(s) on 60000 digits, test accuracy 0.9919 (cpu)", from the header
    /// [`crate::experiment::run::export_trained`] writes.
    pub fn describe(&self) -> String {
        let get = |k: &str| self.metadata.get(k).map_or("?", String::as_str);
        if self.model == model_name(crate::experiment::ExperimentId::P4) {
            return format!("P4's autoencoder: {} epoch(s) on {} digits, val loss {} ({})", get("epochs"), get("train_size"), get("val_loss"), get("backend"));
        }
        let name = match self.model.as_str() {
            CNN_MODEL => "P3's CNN".to_string(),
            m if m == model_name(crate::experiment::ExperimentId::P2) => "P2's MLP".to_string(),
            m if m == model_name(crate::experiment::ExperimentId::P2d) => format!("the P2D network with l2 {}", get("config.l2")),
            other => other.to_string(),
        };
        format!("{name}: {} epoch(s) on {} digits, test accuracy {} ({})", get("epochs"), get("train_size"), get("test_accuracy"), get("backend"))
    }
}

/// What a safetensors file's header says (the model it holds, its metadata), without
/// checking its tensors against a model (importing does that).
pub fn read_info(bytes: &[u8]) -> Result<WeightsInfo, WeightsError> {
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
    let mut metadata: BTreeMap<String, String> = header.metadata().clone().unwrap_or_default().into_iter().collect();
    let model = metadata.remove(MODEL_KEY).unwrap_or_else(|| "an unnamed model".into());
    let params = header.tensors().values().map(|t| t.shape.iter().product::<usize>()).sum();
    Ok(WeightsInfo { model, params, metadata })
}

/// The P3 CNN's tensors and their shapes.
pub fn cnn_tensor_shapes() -> Vec<(&'static str, Vec<usize>)> {
    vec![
        ("conv1.weight", vec![32, 1, 3, 3]),
        ("conv1.bias", vec![32]),
        ("conv2.weight", vec![64, 32, 3, 3]),
        ("conv2.bias", vec![64]),
        ("fc1.weight", vec![1600, 200]),
        ("fc1.bias", vec![200]),
        ("fc2.weight", vec![200, 128]),
        ("fc2.bias", vec![128]),
        ("out.weight", vec![128, 10]),
        ("out.bias", vec![10]),
    ]
}

fn parse(bytes: &[u8]) -> Result<SafeTensors<'_>, WeightsError> {
    SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Format(e.to_string()))
}

/// Every f32 of `file` finite, else the first tensor (by name) that is not.
fn check_finite(file: &SafeTensors<'_>) -> Result<(), WeightsError> {
    let mut names = file.names();
    names.sort_unstable();
    for name in names {
        let Ok(tensor) = file.tensor(name) else { continue };
        if tensor.dtype() == Dtype::F32 && tensor.data().chunks_exact(4).any(|b| !f32::from_le_bytes([b[0], b[1], b[2], b[3]]).is_finite()) {
            return Err(WeightsError::NotFinite(name.to_string()));
        }
    }
    Ok(())
}

/// Reads the header of `bytes` and checks it holds `model` with exactly the `expected`
/// f32 tensors.
pub fn inspect(bytes: &[u8], model: &str, expected: &[(&str, Vec<usize>)]) -> Result<WeightsInfo, WeightsError> {
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
    let mut metadata: BTreeMap<String, String> = header.metadata().clone().unwrap_or_default().into_iter().collect();
    let found = metadata.remove(MODEL_KEY).unwrap_or_else(|| "an unnamed model".into());
    if found != model {
        return Err(WeightsError::WrongModel { expected: model.into(), found });
    }
    let tensors = header.tensors();
    for (name, shape) in expected {
        let info = tensors.get(*name).ok_or_else(|| WeightsError::Missing((*name).into()))?;
        if info.dtype != Dtype::F32 {
            return Err(WeightsError::WrongType((*name).into()));
        }
        if &info.shape != shape {
            return Err(WeightsError::WrongShape { name: (*name).into(), expected: shape.clone(), found: info.shape.clone() });
        }
    }
    let mut extra: Vec<&str> = tensors.keys().map(String::as_str).filter(|k| !expected.iter().any(|(n, _)| n == k)).collect();
    if !extra.is_empty() {
        extra.sort_unstable();
        return Err(WeightsError::Unexpected(extra.join(", ")));
    }
    // The header alone does not prove the data is all there: parse the whole file, and
    // check every weight (a diverged network's file reads fine and computes NaN).
    check_finite(&parse(bytes)?)?;
    let params = expected.iter().map(|(_, s)| s.iter().product::<usize>()).sum();
    Ok(WeightsInfo { model: found, params, metadata })
}

#[cfg(feature = "ml")]
pub use module_io::{export, export_checkpoint, import};

#[cfg(feature = "ml")]
mod module_io {
    use super::*;
    use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
    use burn::tensor::{Tensor, TensorData, Transaction};

    /// Collects every float parameter with its path, into one read transaction.
    #[derive(Default)]
    struct Collector {
        path: Vec<String>,
        names: Vec<String>,
        ids: Vec<u64>,
        transaction: Transaction,
    }

    impl ModuleVisitor for Collector {
        fn enter_module(&mut self, name: &str, _: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.names.push(self.path.join("."));
            self.ids.push(param.id.val());
            self.transaction = std::mem::take(&mut self.transaction).register(param.val());
        }
    }

    /// The module's float parameters as a safetensors file, `model` and `metadata` in its
    /// header. Reads the device once, asynchronously (works on WebGPU in a browser).
    pub async fn export<M: Module>(module: &M, model: &str, metadata: BTreeMap<String, String>) -> Result<Vec<u8>, WeightsError> {
        write(module, model, metadata, false).await
    }

    /// [`export`] for a checkpoint: the header also keeps each parameter's id
    /// ([`PARAM_ID_PREFIX`]), which [`import`] restores.
    pub async fn export_checkpoint<M: Module>(module: &M, model: &str) -> Result<Vec<u8>, WeightsError> {
        write(module, model, BTreeMap::new(), true).await
    }

    async fn write<M: Module>(module: &M, model: &str, mut metadata: BTreeMap<String, String>, with_ids: bool) -> Result<Vec<u8>, WeightsError> {
        let mut collector = Collector::default();
        module.visit(&mut collector);
        if with_ids {
            metadata.extend(collector.names.iter().zip(&collector.ids).map(|(name, id)| (format!("{PARAM_ID_PREFIX}{name}"), id.to_string())));
        }
        let data = collector.transaction.execute_async().await.map_err(|e| WeightsError::Backend(e.to_string()))?;
        let mut buffers = Vec::with_capacity(data.len());
        for (name, tensor) in collector.names.iter().zip(data) {
            let shape = tensor.shape().to_vec();
            let tensor = tensor.convert::<f32>();
            buffers.push((name.clone(), shape, tensor.as_bytes().to_vec()));
        }
        let mut views = Vec::with_capacity(buffers.len());
        for (name, shape, bytes) in &buffers {
            let view = safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), bytes)
                .map_err(|e| WeightsError::Format(e.to_string()))?;
            views.push((name.clone(), view));
        }
        let mut header: HashMap<String, String> = metadata.into_iter().collect();
        header.insert(MODEL_KEY.into(), model.into());
        safetensors::serialize(views, Some(header)).map_err(|e| WeightsError::Format(e.to_string()))
    }

    /// Replaces every float parameter by the file's tensor of the same path.
    struct Loader<'a> {
        path: Vec<String>,
        file: &'a SafeTensors<'a>,
        /// Parameter ids a checkpoint keeps, by tensor name.
        ids: BTreeMap<String, u64>,
        used: usize,
        error: Option<WeightsError>,
    }

    impl Loader<'_> {
        fn tensor_data(&self, name: &str, expected: &[usize]) -> Result<TensorData, WeightsError> {
            let view = self.file.tensor(name).map_err(|_| WeightsError::Missing(name.into()))?;
            if view.dtype() != Dtype::F32 {
                return Err(WeightsError::WrongType(name.into()));
            }
            if view.shape() != expected {
                return Err(WeightsError::WrongShape { name: name.into(), expected: expected.to_vec(), found: view.shape().to_vec() });
            }
            let values: Vec<f32> = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            Ok(TensorData::new(values, expected.to_vec()))
        }
    }

    impl ModuleMapper for Loader<'_> {
        fn enter_module(&mut self, name: &str, _: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.pop();
        }
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            if self.error.is_some() {
                return param;
            }
            let name = self.path.join(".");
            let shape = param.lazy_shape().to_vec();
            match self.tensor_data(&name, &shape) {
                Ok(data) => {
                    self.used += 1;
                    // On an autodiff device the loaded weights train as the old ones did.
                    let mut param = param.map(|old| Tensor::from_data(data, &old.device()).set_require_grad(old.is_require_grad()));
                    if let Some(&id) = self.ids.get(&name) {
                        param.id = burn::module::ParamId::from(id);
                    }
                    param
                }
                Err(e) => {
                    self.error = Some(e);
                    param
                }
            }
        }
    }

    /// `module` with its float parameters read from `bytes`, which must hold `model` with
    /// exactly the module's tensors.
    pub fn import<M: Module>(module: M, bytes: &[u8], model: &str) -> Result<M, WeightsError> {
        let file = parse(bytes)?;
        check_finite(&file)?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
        let found = header.metadata().as_ref().and_then(|m| m.get(MODEL_KEY).cloned()).unwrap_or_else(|| "an unnamed model".into());
        if found != model {
            return Err(WeightsError::WrongModel { expected: model.into(), found });
        }
        let ids = header
            .metadata()
            .iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.strip_prefix(PARAM_ID_PREFIX)?.to_string(), v.parse::<u64>().ok()?)))
            .collect();
        let mut loader = Loader { path: Vec::new(), file: &file, ids, used: 0, error: None };
        let module = module.map(&mut loader);
        if let Some(e) = loader.error {
            return Err(e);
        }
        if loader.used != file.len() {
            return Err(WeightsError::Unexpected(format!("{} tensor(s) unused", file.len() - loader.used)));
        }
        Ok(module)
    }
}

#[cfg(all(test, feature = "ml"))]
mod tests {
    use super::*;
    use crate::model::cnn::Cnn;
    use crate::train::Classifier;
    use burn::tensor::{Device, Tensor};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn cnn(seed: u64) -> Cnn {
        Cnn::new(&mut StdRng::seed_from_u64(seed), &Device::flex())
    }

    fn logits(model: &Cnn) -> Vec<f32> {
        let x = Tensor::<2>::from_data(burn::tensor::TensorData::new((0..2 * 784).map(|i| (i % 17) as f32 / 17.0).collect::<Vec<_>>(), [2, 784]), &Device::flex());
        model.logits(x).into_data().try_into_vec::<f32>().expect("f32")
    }

    /// Export, inspect, import into a differently initialised CNN: same outputs.
    #[test]
    fn cnn_round_trip() {
        let trained = cnn(1);
        let meta = BTreeMap::from([("test_accuracy".to_string(), "0.99".to_string())]);
        let bytes = pollster::block_on(export(&trained, CNN_MODEL, meta)).expect("export");
        let info = inspect(&bytes, CNN_MODEL, &cnn_tensor_shapes()).expect("inspect");
        assert_eq!(info.params, 366_034);
        assert_eq!(info.metadata.get("test_accuracy").map(String::as_str), Some("0.99"));
        // f32 data plus a small header.
        assert!(bytes.len() > 366_034 * 4 && bytes.len() < 366_034 * 4 + 4096, "{}", bytes.len());
        let other = cnn(2);
        assert_ne!(logits(&trained), logits(&other));
        let loaded = import(other, &bytes, CNN_MODEL).expect("import");
        assert_eq!(logits(&trained), logits(&loaded));
    }

    #[test]
    fn refuses_other_files() {
        let bytes = pollster::block_on(export(&cnn(1), CNN_MODEL, BTreeMap::new())).expect("export");
        assert!(matches!(inspect(b"not a model", CNN_MODEL, &cnn_tensor_shapes()), Err(WeightsError::Format(_))));
        assert!(matches!(inspect(&bytes[..bytes.len() - 10], CNN_MODEL, &cnn_tensor_shapes()), Err(WeightsError::Format(_))));
        assert!(matches!(import(cnn(2), &bytes[..bytes.len() - 10], CNN_MODEL), Err(WeightsError::Format(_))));
        assert!(matches!(inspect(&bytes, "mnist-lab/other", &cnn_tensor_shapes()), Err(WeightsError::WrongModel { .. })));
        let mut shapes = cnn_tensor_shapes();
        shapes[4].1 = vec![1600, 100];
        assert!(matches!(inspect(&bytes, CNN_MODEL, &shapes), Err(WeightsError::WrongShape { .. })));
        // An MLP's weights are not a CNN.
        let mlp = crate::model::mlp::Mlp::p2(&mut StdRng::seed_from_u64(1), &Device::flex());
        let mlp_bytes = pollster::block_on(export(&mlp, CNN_MODEL, BTreeMap::new())).expect("export");
        assert!(import(cnn(1), &mlp_bytes, CNN_MODEL).is_err());
        assert!(inspect(&mlp_bytes, CNN_MODEL, &cnn_tensor_shapes()).is_err());
    }

    /// A diverged network's file parses but holds NaN: refused by name, on inspect and import.
    #[test]
    fn refuses_weights_that_are_not_finite() {
        let mut bytes = pollster::block_on(export(&cnn(1), CNN_MODEL, BTreeMap::new())).expect("export");
        // The last four bytes are the last f32 of the data (of some tensor).
        let end = bytes.len();
        bytes[end - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(matches!(inspect(&bytes, CNN_MODEL, &cnn_tensor_shapes()), Err(WeightsError::NotFinite(_))));
        assert!(matches!(import(cnn(2), &bytes, CNN_MODEL), Err(WeightsError::NotFinite(_))));
        bytes[end - 4..].copy_from_slice(&f32::INFINITY.to_le_bytes());
        assert!(matches!(inspect(&bytes, CNN_MODEL, &cnn_tensor_shapes()), Err(WeightsError::NotFinite(_))));
    }
}
