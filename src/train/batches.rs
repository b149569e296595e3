//! Mini-batches: per-epoch shuffles (seeded, identical on every platform) and the gather
//! of a batch into tensors.

use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::data::{MnistSplit, PIXELS};

/// Index batches of a fresh permutation every epoch, as Keras' `fit(shuffle=True)`.
pub struct ShuffledBatches {
    order: Vec<usize>,
    batch_size: usize,
    rng: StdRng,
}

impl ShuffledBatches {
    pub fn new(len: usize, batch_size: usize, seed: u64) -> Self {
        Self { order: (0..len).collect(), batch_size: batch_size.max(1), rng: StdRng::seed_from_u64(seed) }
    }

    pub fn steps_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }

    /// The next epoch's batches; the last one may be smaller.
    pub fn next_epoch(&mut self) -> Vec<Vec<usize>> {
        self.order.shuffle(&mut self.rng);
        self.order.chunks(self.batch_size).map(<[usize]>::to_vec).collect()
    }
}

/// Batches of consecutive examples (evaluation).
pub fn in_order(split: &MnistSplit, batch_size: usize) -> impl Iterator<Item = Batch> + '_ {
    let batch_size = batch_size.max(1);
    (0..split.len()).step_by(batch_size).map(move |start| {
        let indices: Vec<usize> = (start..(start + batch_size).min(split.len())).collect();
        Batch::gather(split, &indices)
    })
}

/// A batch on the host: pixels scaled to [0, 1] and labels.
pub struct Batch {
    pub pixels: Vec<f32>,
    pub labels: Vec<i64>,
}

impl Batch {
    pub fn gather(split: &MnistSplit, indices: &[usize]) -> Self {
        let mut pixels = Vec::with_capacity(indices.len() * PIXELS);
        for &i in indices {
            pixels.extend(split.image(i).iter().map(|&p| f32::from(p) / 255.0));
        }
        Self { pixels, labels: indices.iter().map(|&i| i64::from(split.labels[i])).collect() }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Images `[batch, 784]` and labels `[batch]` on `device`.
    pub fn into_tensors(self, device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
        let n = self.len();
        (
            Tensor::from_data(TensorData::new(self.pixels, [n, PIXELS]), device),
            Tensor::from_data(TensorData::new(self.labels, [n]), device),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_once_per_epoch_in_a_new_order() {
        let mut batches = ShuffledBatches::new(300, 128, 5);
        assert_eq!(batches.steps_per_epoch(), 3);
        let first = batches.next_epoch();
        assert_eq!(first.iter().map(Vec::len).collect::<Vec<_>>(), vec![128, 128, 44]);
        let mut seen: Vec<usize> = first.concat();
        seen.sort_unstable();
        assert_eq!(seen, (0..300).collect::<Vec<_>>());
        let second = batches.next_epoch();
        assert_ne!(first, second);
        // Seeded: the same seed replays the same epochs.
        assert_eq!(ShuffledBatches::new(300, 128, 5).next_epoch(), first);
    }

    #[test]
    fn gather_scales_and_keeps_labels() {
        let mut images = vec![0u8; 3 * PIXELS];
        images[PIXELS] = 255;
        let split = MnistSplit { images, labels: vec![4, 7, 1] };
        let batch = Batch::gather(&split, &[1, 2]);
        assert_eq!(batch.labels, vec![7, 1]);
        assert_eq!(batch.pixels.len(), 2 * PIXELS);
        assert_eq!(batch.pixels[0], 1.0);
        assert_eq!(in_order(&split, 2).map(|b| b.len()).collect::<Vec<_>>(), vec![2, 1]);
    }
}
