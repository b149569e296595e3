//! Adam's moments kept free of subnormal floats on the CPU backend.
//!
//! Why: a weight whose gradient is exactly zero (a dead ReLU unit's, say) keeps its moments
//! decaying, `m ← 0.9 m`, `v ← 0.999 v`, into the subnormal range, and there they stick:
//! rounding to nearest, `0.9 × k` ulps rounds back to `k` for k ≤ 4 (for `v`, up to 500).
//! Every later step then multiplies subnormals, which x86 CPUs run about 100 times slower
//! (a microcode assist per element) — natively P4's second epoch took 4.1 s against 2.0 s
//! with the CPU's flush-to-zero on, and `perf` put 38% of P4's samples in Adam's
//! `mul_scalar` (bench/results/profile-p4.txt, 2026-12-03). wasm has no flush-to-zero mode
//! (its floats are IEEE-exact), so the page cannot switch them off; we flush the moments.
//!
//! Keras' semantics are kept: TensorFlow runs its CPU kernels with flush-to-zero and
//! denormals-are-zero set, so Keras' own Adam never holds a subnormal moment either. A
//! flushed moment is below 1.2e-38; its share of an update is nil next to Adam's epsilon.
//!
//! How: burn's Adam keeps its state to itself; its public record (burnpack bytes) is read,
//! the f32 tensors' subnormals set to zero, and the record loaded back — a host round trip
//! of the moments (2 × 226,416 floats for P4), done every [`FLUSH_EVERY`] steps.

use burn::optim::ModuleOptimizer;
use burn::optim::OptimizerRecord;
use burn::tensor::{Bytes, DType, Device};

/// Steps between flushes. A moment takes hundreds of steps to decay into the subnormal
/// range, so flushing every 100 steps leaves few subnormal steps at a host round trip of
/// the state per 100 steps (a few milliseconds for P4's 1.8 MB).
pub const FLUSH_EVERY: usize = 100;

/// Sets every subnormal f32 of `optimizer`'s state to zero, the state reloaded on `device`;
/// returns how many there were. `optimizer` comes from [`super::adam::keras_adam`].
pub fn flush(optimizer: &mut ModuleOptimizer, device: &Device) -> Result<usize, String> {
    let bytes = optimizer.to_record().into_bytes().map_err(|e| e.to_string())?;
    let reader = burn_pack::Reader::from_bytes(bytes).map_err(|e| e.to_string())?;
    let scalars = reader.scalars().clone();
    let metadata = reader.metadata().clone();
    let mut flushed = 0;
    let mut tensors = Vec::new();
    for tensor in reader.into_tensors().map_err(|e| e.to_string())? {
        let (name, dtype, shape, param_id, bytes) = tensor.into_parts().map_err(|e| e.to_string())?;
        let bytes = if dtype == DType::F32 {
            let mut data = bytes.to_vec();
            for value in data.chunks_exact_mut(4) {
                let x = f32::from_le_bytes([value[0], value[1], value[2], value[3]]);
                if x.is_subnormal() {
                    value.copy_from_slice(&0f32.to_le_bytes());
                    flushed += 1;
                }
            }
            Bytes::from_bytes_vec(data)
        } else {
            bytes
        };
        tensors.push(burn_pack::Tensor::new(name, dtype, shape, param_id, bytes));
    }
    if flushed == 0 {
        return Ok(0); // nothing to change: no reload of the state
    }
    let record = OptimizerRecord::from_bytes(rebuild(tensors, &scalars, &metadata)?).map_err(|e| e.to_string())?;
    // A clone shares the state's tensors (reference-counted); the loaded record replaces them.
    *optimizer = super::adam::load_state(optimizer.clone(), record, device);
    Ok(flushed)
}

fn rebuild(
    tensors: Vec<burn_pack::Tensor>,
    scalars: &std::collections::BTreeMap<String, burn_pack::Scalar>,
    metadata: &std::collections::BTreeMap<String, String>,
) -> Result<Bytes, String> {
    let mut writer = burn_pack::Writer::new(tensors);
    for (key, value) in scalars {
        writer = writer.with_scalar(key, *value);
    }
    for (key, value) in metadata {
        writer = writer.with_metadata(key, value);
    }
    writer.into_bytes().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::optim::GradientsParams;
    use burn::tensor::Tensor;
    use rand::SeedableRng;

    /// The subnormal f32s in `optimizer`'s state.
    fn subnormals(optimizer: &ModuleOptimizer) -> usize {
        let bytes = optimizer.to_record().into_bytes().expect("the state writes");
        let tensors = burn_pack::Reader::from_bytes(bytes).expect("it reads").into_tensors().expect("tensors");
        tensors
            .into_iter()
            .filter(|t| t.dtype == DType::F32)
            .map(|t| t.to_bytes().expect("bytes").chunks_exact(4).filter(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]).is_subnormal()).count())
            .sum()
    }

    /// One Adam step of a 4 → 2 dense layer on a loss scaled by `scale`, so every gradient
    /// is `scale` times a normal number; returns the optimizer and the trained layer.
    fn adam_step(scale: f32) -> (ModuleOptimizer, burn::nn::Linear) {
        let device = Device::flex().autodiff();
        let layer = crate::model::init::dense(&mut rand::rngs::StdRng::seed_from_u64(3), 4, 2, &device);
        let x = Tensor::<2>::ones([1, 4], &device);
        let loss = (layer.forward(x) * scale).sum();
        let grads = GradientsParams::from_grads(loss.backward(), &layer);
        let mut optimizer = crate::train::adam::keras_adam();
        let layer = optimizer.step(1e-3, layer, grads);
        (optimizer, layer)
    }

    #[test]
    fn subnormal_moments_are_set_to_zero_and_the_rest_kept() {
        // Gradients of 1e-39 (subnormal): the first moment 0.1 g is subnormal for all 10 weights.
        let (mut optimizer, _) = adam_step(1e-39);
        assert_eq!(subnormals(&optimizer), 10);
        assert_eq!(flush(&mut optimizer, &Device::flex()), Ok(10));
        assert_eq!(subnormals(&optimizer), 0);
        assert_eq!(flush(&mut optimizer, &Device::flex()), Ok(0));

        // Normal moments: nothing flushed, the state byte for byte as it was, and it still steps.
        let (mut optimizer, layer) = adam_step(1.0);
        let before = optimizer.to_record().into_bytes().expect("writes").to_vec();
        assert_eq!(flush(&mut optimizer, &Device::flex()), Ok(0));
        assert_eq!(optimizer.to_record().into_bytes().expect("writes").to_vec(), before);
        let device = Device::flex().autodiff();
        let loss = layer.forward(Tensor::<2>::ones([1, 4], &device)).sum();
        let grads = GradientsParams::from_grads(loss.backward(), &layer);
        let _ = optimizer.step(1e-3, layer, grads);
    }

    /// A flushed state reloads into a working optimizer: the next step from the flushed state
    /// gives the weights the unflushed one gives (the flushed moments are below 1.2e-38).
    #[test]
    fn a_flushed_state_steps_like_the_original() {
        let (original, layer) = adam_step(1e-39);
        let mut flushed = original.clone();
        assert_eq!(flush(&mut flushed, &Device::flex()), Ok(10));
        let device = Device::flex().autodiff();
        let step = |mut optimizer: ModuleOptimizer, layer: burn::nn::Linear| {
            let loss = layer.forward(Tensor::<2>::ones([1, 4], &device)).sum();
            let grads = GradientsParams::from_grads(loss.backward(), &layer);
            optimizer.step(1e-3, layer, grads).weight.val().into_data().try_into_vec::<f32>().expect("f32")
        };
        assert_eq!(step(original, layer.clone()), step(flushed, layer));
    }
}
