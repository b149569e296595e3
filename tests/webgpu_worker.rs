//! Browser test, in a dedicated worker as the app trains: the same P2 training steps on
//! burn's WebGPU backend (SwiftShader in headless Chromium) and on its CPU backend, from
//! the same weights and batches, give the same losses and accuracies.
//!
//! Run (see .ci/test): `cargo test --profile web --target wasm32-unknown-unknown
//! --no-default-features --features worker --test webgpu_worker`.
#![cfg(target_arch = "wasm32")]

use mnist_lab::burn::tensor::Device;
use mnist_lab::data::{Mnist, MnistFile, MnistSplit, mnist};
use mnist_lab::experiment::{RunConfig, run};
use mnist_lab::train::Silent;
use mnist_lab::worker::backend;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Real MNIST digits: the committed test split, embedded in the test binary.
fn real_digits() -> MnistSplit {
    let images = mnist::gunzip(MnistFile::TestImages, include_bytes!("../assets/mnist/t10k-images-idx3-ubyte.gz")).expect("gunzip");
    let labels = mnist::gunzip(MnistFile::TestLabels, include_bytes!("../assets/mnist/t10k-labels-idx1-ubyte.gz")).expect("gunzip");
    MnistSplit::from_idx(&images, &labels, MnistFile::TestImages, MnistFile::TestLabels).expect("parse")
}

#[wasm_bindgen_test]
async fn webgpu_training_agrees_with_cpu() {
    let digits = real_digits();
    let data = Mnist {
        train: digits.take(1024),
        test: MnistSplit { images: digits.images[1024 * 784..2048 * 784].to_vec(), labels: digits.labels[1024..2048].to_vec() },
    };
    // 2 epochs x 16 steps of 64, validation on 1,024 other digits after each epoch.
    let config = RunConfig::p2().with_epochs(2).with_batch_size(64).with_train_size(1024);

    let gpu = backend::webgpu().await.expect("headless Chromium with --enable-unsafe-webgpu offers WebGPU");
    assert!(gpu.name.starts_with("webgpu ("), "{}", gpu.name);
    let on_cpu = run::run(&config, &data, &Device::flex(), "cpu", &mut Silent).await.expect("cpu run");
    let on_gpu = run::run(&config, &data, &gpu.device, &gpu.name, &mut Silent).await.expect("webgpu run");

    for (c, g) in on_cpu.history.iter().zip(&on_gpu.history) {
        // Same arithmetic up to float summation order: losses within 1e-3, and at most 4 of
        // the 1,024 validation digits classified differently.
        assert!((c.loss - g.loss).abs() < 1e-3, "epoch {} train loss: cpu {} webgpu {}", c.epoch, c.loss, g.loss);
        assert!((c.val_loss - g.val_loss).abs() < 1e-3, "epoch {} val loss: cpu {} webgpu {}", c.epoch, c.val_loss, g.val_loss);
        assert!((c.val_accuracy - g.val_accuracy).abs() <= 4.0 / 1024.0, "epoch {} val acc: cpu {} webgpu {}", c.epoch, c.val_accuracy, g.val_accuracy);
    }
    // And it learned: 2 epochs on 1,024 digits are well above chance.
    assert!(on_gpu.test_accuracy > 0.6, "webgpu accuracy {}", on_gpu.test_accuracy);
    assert!(on_gpu.history[1].loss < on_gpu.history[0].loss);
}

/// The self-check that guards training also catches a broken matmul: the device it
/// returns computes a product equal to the CPU's.
#[wasm_bindgen_test]
async fn webgpu_device_is_reused_within_a_worker() {
    let first = backend::webgpu().await.expect("webgpu");
    let second = backend::webgpu().await.expect("webgpu again");
    assert_eq!(first.name, second.name);
}

/// Pixel arrays cross to the page as one `Uint8Array` each (a plain `Vec<u8>` would become
/// a JS array built one number at a time: seconds for a P4 result), and decode back equal.
#[wasm_bindgen_test]
fn pixel_arrays_cross_as_uint8_arrays() {
    use mnist_lab::experiment::p4::{Generated, GeneratedDigit, Generation};
    use mnist_lab::protocol::WorkerOutput;
    use mnist_lab::web::messages::{from_js, to_js};
    use wasm_bindgen::JsCast;

    let pixels: Vec<u8> = (0..784).map(|i| (i % 256) as u8).collect();
    let message = WorkerOutput::Generated(Generated {
        how: Generation::Sampled { seed: 3 },
        digits: vec![GeneratedDigit { pixels: pixels.clone(), label: Some(7), confidence: Some(0.5) }],
    });
    let encoded = to_js(&message).expect("encode");
    let get = |value: &wasm_bindgen::JsValue, key: &str| js_sys::Reflect::get(value, &key.into()).expect(key);
    let first = get(&get(&get(&encoded, "Generated"), "digits"), "0");
    let encoded_pixels = get(&first, "pixels");
    let bytes = encoded_pixels.dyn_ref::<js_sys::Uint8Array>().expect("pixels encoded as a Uint8Array");
    assert_eq!(bytes.to_vec(), pixels);
    assert_eq!(from_js::<WorkerOutput>(encoded).expect("decode"), message);
}
