//! A weights file the visitor uploads (safetensors): its header read for the model's name
//! and metadata, and checked against the CNN's tensors, as the page does before any import.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mnist_lab::model::weights::{CNN_MODEL, cnn_tensor_shapes, inspect, read_info};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(info) = read_info(bytes) {
        // The description the page shows is built from untrusted metadata too.
        let _ = info.describe();
    }
    if let Ok(info) = inspect(bytes, CNN_MODEL, &cnn_tensor_shapes()) {
        assert_eq!(info.params, cnn_tensor_shapes().iter().map(|(_, s)| s.iter().product::<usize>()).sum::<usize>());
    }
});
