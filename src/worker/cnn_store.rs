//! The kept CNN (Cache Storage, through `web::model_store`): kept after P3 when none is, or
//! held until the visitor chooses; read back for P4 and the playground.

use super::*;

/// Stores a trained CNN in the browser for P4 and later visits.
pub(super) async fn keep_cnn(cnn: &crate::model::cnn::Cnn, result: &crate::experiment::RunResult) -> WorkerOutput {
    match export_cnn(cnn, result).await {
        Ok(bytes) => store_cnn(&bytes).await,
        Err(e) => WorkerOutput::ModelStored { stored: false, description: e.to_string() },
    }
}

/// Keeps a weights file (checked first) as the browser's CNN.
pub(super) async fn store_cnn(bytes: &[u8]) -> WorkerOutput {
    let stored = match inspect(bytes, CNN_MODEL, &cnn_tensor_shapes()) {
        Ok(info) => model_store::save(model_store::CNN_FILE, bytes).await.map(|()| info.describe()),
        Err(e) => Err(e.to_string()),
    };
    match stored {
        Ok(description) => WorkerOutput::ModelStored { stored: true, description },
        Err(reason) => WorkerOutput::ModelStored { stored: false, description: reason },
    }
}

/// P3's trained CNN: kept when no CNN is kept or `replace` says so; otherwise held in the
/// worker while the page asks the visitor (a kept CNN is theirs: a run from a shared link
/// must not replace it silently).
pub(super) async fn keep_or_hold_cnn(worker: &Worker, cnn: &crate::model::cnn::Cnn, result: &crate::experiment::RunResult, replace: bool) -> WorkerOutput {
    let kept = match model_store::load(model_store::CNN_FILE).await {
        Ok(Some(bytes)) => inspect(&bytes, CNN_MODEL, &cnn_tensor_shapes()).ok().map(|info| info.describe()),
        _ => None,
    };
    match kept {
        Some(kept) if !replace => match export_cnn(cnn, result).await {
            Ok(bytes) => {
                let description = inspect(&bytes, CNN_MODEL, &cnn_tensor_shapes()).map(|i| i.describe()).unwrap_or_else(|e| e.to_string());
                *worker.held_cnn.borrow_mut() = Some(bytes);
                WorkerOutput::CnnHeld { description, kept }
            }
            Err(e) => WorkerOutput::ModelStored { stored: false, description: e.to_string() },
        },
        _ => keep_cnn(cnn, result).await,
    }
}

/// The CNN kept by P3 (or uploaded), if there is a usable one; a kept file that cannot be
/// used is named in a status line and P4 runs without 4C.
pub(super) async fn stored_cnn(device: &burn::tensor::Device) -> Option<(crate::model::cnn::Cnn, String)> {
    match model_store::load(model_store::CNN_FILE).await {
        Ok(Some(bytes)) => match import_cnn(&bytes, device) {
            Ok(cnn) => Some(cnn),
            Err(e) => {
                post(&WorkerOutput::Status(format!("the stored CNN cannot be used ({e}); P4 runs without 4C")));
                None
            }
        },
        Ok(None) => None,
        Err(e) => {
            post(&WorkerOutput::Status(format!("{e}; P4 runs without 4C")));
            None
        }
    }
}
