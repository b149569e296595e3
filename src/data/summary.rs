//! What the page keeps of a loaded dataset: its counts, a few digits to show and its
//! identity. The dataset worker makes it (the page never holds the full set: the training
//! worker reads that from the cache), so it crosses `postMessage` and derives serde.

use serde::{Deserialize, Serialize};

use super::{ClassNames, DatasetId, Mnist, MnistSplit};

/// How many training digits the page keeps to show.
pub const SAMPLES: usize = 16;
/// Test digits the page keeps (78 KB), for the playground.
pub const TEST_SAMPLES: usize = 100;

/// One digit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// 784 `u8` pixels, row-major, 0 = background (one `Uint8Array` across `postMessage`).
    #[serde(with = "serde_bytes")]
    pub pixels: Vec<u8>,
    pub label: u8,
}

/// What the page keeps of the loaded dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    pub train: usize,
    pub test: usize,
    /// The first [`SAMPLES`] training digits.
    pub samples: Vec<Sample>,
    /// The first [`TEST_SAMPLES`] test digits (the playground's "random test digit").
    pub test_samples: Vec<Sample>,
    /// Which dataset it is: results are kept and looked up per dataset.
    pub id: DatasetId,
    /// Its classes' names (MNIST's digits unless the visitor named an uploaded set's).
    pub classes: ClassNames,
}

impl DataSummary {
    /// The summary of `mnist`, with MNIST's digit names (the page replaces them with an
    /// uploaded set's names where the visitor gave some).
    pub fn of(mnist: &Mnist, id: DatasetId) -> Self {
        Self {
            train: mnist.train.len(),
            test: mnist.test.len(),
            samples: first(&mnist.train, SAMPLES),
            test_samples: first(&mnist.test, TEST_SAMPLES),
            id,
            classes: ClassNames::digits(),
        }
    }
}

fn first(split: &MnistSplit, n: usize) -> Vec<Sample> {
    (0..n.min(split.len())).map(|i| Sample { pixels: split.image(i).to_vec(), label: split.labels[i] }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::PIXELS;

    #[test]
    fn a_summary_keeps_the_first_digits_and_survives_serde() {
        let images: Vec<u8> = (0..20 * PIXELS).map(|i| (i / PIXELS) as u8).collect();
        let labels: Vec<u8> = (0..20).map(|i| (i % 10) as u8).collect();
        let split = MnistSplit { images, labels };
        let mnist = Mnist { train: split.clone(), test: MnistSplit { images: split.images[..3 * PIXELS].to_vec(), labels: split.labels[..3].to_vec() } };
        let summary = DataSummary::of(&mnist, DatasetId::embedded_mnist());
        assert_eq!((summary.train, summary.test), (20, 3));
        assert_eq!(summary.samples.len(), SAMPLES);
        assert_eq!(summary.test_samples.len(), 3, "at most the split's digits");
        assert_eq!(summary.samples[5].pixels, vec![5u8; PIXELS]);
        assert_eq!(summary.samples[5].label, 5);
        let json = serde_json::to_string(&summary).expect("encodes");
        let back: DataSummary = serde_json::from_str(&json).expect("decodes");
        assert_eq!(back, summary);
    }
}
