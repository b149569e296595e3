//! Keras' Adam, on burn's, with its state loadable on the run's device.
//!
//! Why not burn's `AdamConfig::init()` and `load_record` as they are: burn-optim 0.22.1's
//! `ModuleOptimizer::load_record` rebuilds every parameter's state on `Device::default()`
//! (moving it to the gradient's device at the next step). In the WebGPU worker the default
//! device is the GPU's, which a CPU run never starts, and burn panics there ("Service not yet
//! initialized"): a kept P4 checkpoint could not resume on the CPU in a page that is not
//! cross-origin isolated, and Adam's subnormal moments could not be flushed there
//! (`subnormal.rs`). burn has no way to name the load's device, and wasm has no environment
//! for `BURN_DEVICE`; so the optimizer here wraps burn's Adam in a state type whose loading
//! takes the device [`load_state`] names. Its steps and its record are burn's, unchanged (a
//! checkpoint written before this wrapper loads as it did).

use std::cell::RefCell;

use burn::optim::{AdamConfig, LearningRate, ModuleOptimizer, Optimizer, OptimizerRecord, RecordState, StateSink, StateSource};
use burn::tensor::{Device, Tensor};

/// Adam with Keras' defaults: beta_1 0.9, beta_2 0.999, epsilon 1e-7 (burn's default
/// epsilon is 1e-5); the learning rate comes with each step.
pub fn keras_adam() -> ModuleOptimizer {
    ModuleOptimizer::from(OnLoadDevice(AdamConfig::new().with_beta_1(0.9).with_beta_2(0.999).with_epsilon(1e-7).build()))
}

/// `optimizer` with the state of `record`, every tensor of it on `device`. `optimizer` must
/// come from [`keras_adam`] (burn's own would load on its default device).
pub fn load_state(optimizer: ModuleOptimizer, record: OptimizerRecord, device: &Device) -> ModuleOptimizer {
    /// Puts back the load device that was there before, even if loading panics.
    struct Restore(Option<Device>);
    impl Drop for Restore {
        fn drop(&mut self) {
            LOAD_DEVICE.with(|d| *d.borrow_mut() = self.0.take());
        }
    }
    let _restore = Restore(LOAD_DEVICE.with(|d| d.borrow_mut().replace(device.clone())));
    optimizer.load_record(record)
}

thread_local! {
    /// The device [`load_state`] is loading onto. A thread-local, because burn calls a state
    /// type's loading with no optimizer at hand (a static function), only the default device.
    static LOAD_DEVICE: RefCell<Option<Device>> = const { RefCell::new(None) };
}

/// An optimizer whose per-parameter state loads on [`LOAD_DEVICE`]; otherwise `O` itself.
#[derive(Clone)]
struct OnLoadDevice<O>(O);

/// `O`'s state for one parameter, flattened and loaded as `O`'s (the same names).
#[derive(Clone)]
struct LoadedOn<S>(S);

impl<S: RecordState> RecordState for LoadedOn<S> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        self.0.state_flatten(prefix, out);
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, device: &Device) -> Option<Self> {
        let chosen = LOAD_DEVICE.with(|d| d.borrow().clone());
        S::state_unflatten(prefix, src, chosen.as_ref().unwrap_or(device)).map(LoadedOn)
    }
}

impl<O: Optimizer> Optimizer for OnLoadDevice<O> {
    type State<const D: usize> = LoadedOn<O::State<D>>;

    fn step<const D: usize>(&self, lr: LearningRate, tensor: Tensor<D>, grad: Tensor<D>, state: Option<Self::State<D>>) -> (Tensor<D>, Option<Self::State<D>>) {
        let (tensor, state) = self.0.step(lr, tensor, grad, state.map(|s| s.0));
        (tensor, state.map(LoadedOn))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        LoadedOn(O::to_device(state.0, device))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::optim::GradientsParams;
    use rand::SeedableRng;
    use std::collections::BTreeMap;

    /// Adam steps `steps` of a 4 → 3 dense layer, each on its own input; the optimizer and layer.
    fn train(mut optimizer: ModuleOptimizer, mut layer: burn::nn::Linear, steps: std::ops::Range<usize>, device: &Device) -> (ModuleOptimizer, burn::nn::Linear) {
        for i in steps {
            let x = Tensor::<2>::from_floats([[1.0, -2.0, 0.5, i as f32]], device);
            let loss = layer.forward(x).powi_scalar(2).sum();
            let grads = GradientsParams::from_grads(loss.backward(), &layer);
            layer = optimizer.step(1e-2, layer, grads);
        }
        (optimizer, layer)
    }

    fn weights(layer: &burn::nn::Linear) -> Vec<f32> {
        layer.weight.val().into_data().try_into_vec::<f32>().expect("f32 weights")
    }

    /// The state's tensors by name, and its scalars: the record's content, whatever order the
    /// optimizer's hash map wrote it in.
    fn state(optimizer: &ModuleOptimizer) -> (BTreeMap<String, Vec<u8>>, String) {
        let reader = burn_pack::Reader::from_bytes(optimizer.to_record().into_bytes().expect("the state writes")).expect("it reads");
        let scalars = format!("{:?}", reader.scalars());
        let tensors = reader.into_tensors().expect("tensors").into_iter().map(|t| (t.name.clone(), t.to_bytes().expect("bytes").to_vec())).collect();
        (tensors, scalars)
    }

    #[test]
    fn a_loaded_state_goes_on_as_the_uninterrupted_one() {
        let device = Device::flex().autodiff();
        let layer = crate::model::init::dense(&mut rand::rngs::StdRng::seed_from_u64(5), 4, 3, &device);
        let (_, uninterrupted) = train(keras_adam(), layer.clone(), 0..6, &device);

        let (first, half) = train(keras_adam(), layer.clone(), 0..3, &device);
        // The record is burn's Adam's: checkpoints kept before this wrapper load as they did.
        let burns = AdamConfig::new().with_beta_1(0.9).with_beta_2(0.999).with_epsilon(1e-7).init();
        assert_eq!(state(&first), state(&train(burns, layer, 0..3, &device).0));

        let record = OptimizerRecord::from_bytes(first.to_record().into_bytes().expect("writes")).expect("reads");
        let loaded = load_state(keras_adam(), record, &Device::flex());
        assert_eq!(state(&loaded), state(&first));
        assert!(LOAD_DEVICE.with(|d| d.borrow().is_none()), "the load device is put back");
        let (_, resumed) = train(loaded, half, 3..6, &device);
        assert_eq!(weights(&resumed), weights(&uninterrupted));
    }
}
