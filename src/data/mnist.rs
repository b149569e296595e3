//! MNIST as the app uses it: the four gzip'd IDX files, checked and decoded into a typed
//! dataset, and the seed's preprocessing (scale to [0, 1], one-hot labels).

use std::io::Read;

use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::idx::{self, IdxError};

pub const ROWS: usize = 28;
pub const COLS: usize = 28;
pub const PIXELS: usize = ROWS * COLS;
pub const CLASSES: usize = 10;

/// One of the four files of the dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MnistFile {
    TrainImages,
    TrainLabels,
    TestImages,
    TestLabels,
}

impl MnistFile {
    pub const ALL: [MnistFile; 4] =
        [Self::TrainImages, Self::TrainLabels, Self::TestImages, Self::TestLabels];

    /// The file name, as published and as committed under `assets/mnist/`.
    pub fn gz_name(self) -> &'static str {
        match self {
            Self::TrainImages => "train-images-idx3-ubyte.gz",
            Self::TrainLabels => "train-labels-idx1-ubyte.gz",
            Self::TestImages => "t10k-images-idx3-ubyte.gz",
            Self::TestLabels => "t10k-labels-idx1-ubyte.gz",
        }
    }

    /// SHA-256 of the committed .gz file (from `assets/mnist/SHA256SUMS`).
    pub fn expected_gz_sha256(self) -> Option<&'static str> {
        SHA256SUMS
            .lines()
            .filter_map(|line| line.split_once("  "))
            .find(|(_, name)| *name == self.gz_name())
            .map(|(sum, _)| sum)
    }

    /// The largest this file may be, decompressed (or downloaded): room for datasets
    /// larger than MNIST (EMNIST digits has 240,000 training images), while four files
    /// together stay under about 330 MiB whatever a server sends — a gzip bomb in a label
    /// file stops at 1 MiB.
    pub fn max_raw_len(self) -> usize {
        match self {
            Self::TrainImages => idx::MAX_PAYLOAD_BYTES,
            Self::TestImages => idx::MAX_PAYLOAD_BYTES / 4,
            Self::TrainLabels | Self::TestLabels => 8 + (1 << 20),
        }
    }

    /// Size of the decompressed MNIST file (the initial buffer size).
    pub fn expected_raw_len(self) -> usize {
        match self {
            Self::TrainImages => 16 + 60_000 * PIXELS,
            Self::TrainLabels => 8 + 60_000,
            Self::TestImages => 16 + 10_000 * PIXELS,
            Self::TestLabels => 8 + 10_000,
        }
    }
}

const SHA256SUMS: &str = include_str!("../../assets/mnist/SHA256SUMS");

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DataError {
    #[error("{file}: not a valid gzip stream ({reason})")]
    Gzip { file: &'static str, reason: String },
    #[error("{file}: decompresses to more than {limit} bytes; not an MNIST file")]
    TooLarge { file: &'static str, limit: usize },
    #[error("{file}: checksum {found} does not match the published {expected}")]
    Checksum { file: &'static str, expected: String, found: String },
    #[error("{file}: {source}")]
    Idx { file: &'static str, source: IdxError },
    #[error("{images} images but {labels} labels")]
    CountMismatch { images: usize, labels: usize },
    #[error("label {label} at index {index} is not a digit 0-9")]
    BadLabel { index: usize, label: u8 },
    #[error("{0}")]
    Missing(String),
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a downloaded .gz file against the committed checksum.
pub fn verify_gz(file: MnistFile, gz: &[u8]) -> Result<(), DataError> {
    let Some(expected) = file.expected_gz_sha256() else {
        return Err(DataError::Missing(format!("no checksum known for {}", file.gz_name())));
    };
    let found = sha256_hex(gz);
    if found != expected {
        return Err(DataError::Checksum {
            file: file.gz_name(),
            expected: expected.to_string(),
            found,
        });
    }
    Ok(())
}

/// Decompresses one file as a stream, refusing to produce more than
/// [`MnistFile::max_raw_len`] (a gzip bomb stops there, nothing larger is held).
pub fn gunzip(file: MnistFile, gz: &[u8]) -> Result<Vec<u8>, DataError> {
    let limit = file.max_raw_len();
    let mut out = Vec::with_capacity(file.expected_raw_len());
    GzDecoder::new(gz)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| DataError::Gzip { file: file.gz_name(), reason: e.to_string() })?;
    if out.len() > limit {
        return Err(DataError::TooLarge { file: file.gz_name(), limit });
    }
    Ok(out)
}

/// Images and labels of one split, as stored: `u8` pixels, row-major, 784 per image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MnistSplit {
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
}

impl MnistSplit {
    /// Builds a split from decompressed IDX files, checking shapes and labels.
    pub fn from_idx(images_idx: &[u8], labels_idx: &[u8], images_file: MnistFile, labels_file: MnistFile) -> Result<Self, DataError> {
        let images = idx::parse_u8(images_idx, 3)
            .map_err(|source| DataError::Idx { file: images_file.gz_name(), source })?;
        for (index, expected) in [(1, ROWS), (2, COLS)] {
            if images.dims[index] != expected {
                return Err(DataError::Idx {
                    file: images_file.gz_name(),
                    source: IdxError::WrongDimension { index, expected, found: images.dims[index] },
                });
            }
        }
        let labels = idx::parse_u8(labels_idx, 1)
            .map_err(|source| DataError::Idx { file: labels_file.gz_name(), source })?;
        if images.dims[0] != labels.dims[0] {
            return Err(DataError::CountMismatch { images: images.dims[0], labels: labels.dims[0] });
        }
        if let Some((index, &label)) = labels.data.iter().enumerate().find(|(_, l)| **l as usize >= CLASSES) {
            return Err(DataError::BadLabel { index, label });
        }
        Ok(Self { images: images.data, labels: labels.data })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * PIXELS..(i + 1) * PIXELS]
    }

    /// The first `n` examples (the URL's `train_size`); `n` larger than the split keeps all.
    pub fn take(&self, n: usize) -> Self {
        let n = n.min(self.len());
        Self { images: self.images[..n * PIXELS].to_vec(), labels: self.labels[..n].to_vec() }
    }
}

/// The whole dataset: 60,000 training and 10,000 test digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mnist {
    pub train: MnistSplit,
    pub test: MnistSplit,
}

impl Mnist {
    /// The MNIST committed under `assets/mnist` (tests that train on real digits).
    #[cfg(test)]
    pub(crate) fn committed() -> Self {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mnist");
        Self::load_dir(&dir, false).expect("committed MNIST")
    }

    /// Decodes the four decompressed IDX files.
    pub fn from_idx_files(train_images: &[u8], train_labels: &[u8], test_images: &[u8], test_labels: &[u8]) -> Result<Self, DataError> {
        Ok(Self {
            train: MnistSplit::from_idx(train_images, train_labels, MnistFile::TrainImages, MnistFile::TrainLabels)?,
            test: MnistSplit::from_idx(test_images, test_labels, MnistFile::TestImages, MnistFile::TestLabels)?,
        })
    }

    /// Reads the four .gz files from a directory (the native runner and tests), checking
    /// each against the committed checksums when `verify` is set.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_dir(dir: &std::path::Path, verify: bool) -> Result<Self, DataError> {
        let mut raw = Vec::with_capacity(4);
        for file in MnistFile::ALL {
            let path = dir.join(file.gz_name());
            let gz = std::fs::read(&path)
                .map_err(|e| DataError::Missing(format!("cannot read {}: {e}", path.display())))?;
            if verify {
                verify_gz(file, &gz)?;
            }
            raw.push(gunzip(file, &gz)?);
        }
        Self::from_idx_files(&raw[0], &raw[1], &raw[2], &raw[3])
    }
}

/// The seed's `x.astype('float32') / 255`.
pub fn scale_to_unit(pixels: &[u8]) -> Vec<f32> {
    pixels.iter().map(|&p| f32::from(p) / 255.0).collect()
}

/// The seed's `to_categorical(labels, 10)`: one row of ten per label.
pub fn one_hot(labels: &[u8]) -> Vec<f32> {
    let mut out = vec![0.0; labels.len() * CLASSES];
    for (row, &label) in labels.iter().enumerate() {
        out[row * CLASSES + label as usize] = 1.0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::idx::encode_u8;

    /// A gzip bomb (2 MiB of zeros in ~2 KB) as a label file is refused at its cap.
    #[test]
    fn a_gzip_bomb_stops_at_the_file_cap() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&vec![0u8; 2 << 20]).expect("compress");
        let bomb = encoder.finish().expect("compress");
        assert!(bomb.len() < 10_000, "{} bytes", bomb.len());
        assert_eq!(gunzip(MnistFile::TrainLabels, &bomb), Err(DataError::TooLarge { file: MnistFile::TrainLabels.gz_name(), limit: MnistFile::TrainLabels.max_raw_len() }));
        // The four caps together stay bounded.
        let total: usize = MnistFile::ALL.iter().map(|f| f.max_raw_len()).sum();
        assert!(total < 340 << 20, "{total}");
    }

    #[test]
    fn scaling_maps_bytes_to_unit_interval() {
        assert_eq!(scale_to_unit(&[0, 51, 255]), vec![0.0, 0.2, 1.0]);
    }

    #[test]
    fn one_hot_has_a_single_one_per_row() {
        let encoded = one_hot(&[3, 0, 9]);
        assert_eq!(encoded.len(), 30);
        assert_eq!(encoded[3], 1.0);
        assert_eq!(encoded[10], 1.0);
        assert_eq!(encoded[29], 1.0);
        assert_eq!(encoded.iter().sum::<f32>(), 3.0);
    }

    #[test]
    fn split_checks_shapes_and_labels() {
        let images = encode_u8(&[2, 28, 28], &[7; 2 * PIXELS]);
        let labels = encode_u8(&[2], &[1, 9]);
        let split = MnistSplit::from_idx(&images, &labels, MnistFile::TestImages, MnistFile::TestLabels).expect("valid");
        assert_eq!(split.len(), 2);
        assert_eq!(split.image(1).len(), PIXELS);

        let bad_labels = encode_u8(&[2], &[1, 10]);
        assert_eq!(
            MnistSplit::from_idx(&images, &bad_labels, MnistFile::TestImages, MnistFile::TestLabels),
            Err(DataError::BadLabel { index: 1, label: 10 })
        );
        let three_labels = encode_u8(&[3], &[1, 2, 3]);
        assert_eq!(
            MnistSplit::from_idx(&images, &three_labels, MnistFile::TestImages, MnistFile::TestLabels),
            Err(DataError::CountMismatch { images: 2, labels: 3 })
        );
        let wide = encode_u8(&[1, 28, 27], &[0; 28 * 27]);
        assert!(matches!(
            MnistSplit::from_idx(&wide, &encode_u8(&[1], &[0]), MnistFile::TestImages, MnistFile::TestLabels),
            Err(DataError::Idx { source: IdxError::WrongDimension { index: 2, expected: 28, found: 27 }, .. })
        ));
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        let err = gunzip(MnistFile::TestLabels, b"\x1f\x8b\x08\x00garbage").unwrap_err();
        assert!(matches!(err, DataError::Gzip { .. }), "{err}");
    }

    #[test]
    fn checksums_are_known_for_every_file() {
        for file in MnistFile::ALL {
            assert_eq!(file.expected_gz_sha256().map(str::len), Some(64), "{}", file.gz_name());
        }
        assert!(matches!(verify_gz(MnistFile::TestLabels, b"not it"), Err(DataError::Checksum { .. })));
    }

    /// The committed dataset itself: checksums, counts, first labels and pixel ranges.
    #[test]
    fn committed_dataset_loads_and_matches_published_facts() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mnist");
        let mnist = Mnist::load_dir(&dir, true).expect("committed MNIST loads");
        assert_eq!(mnist.train.len(), 60_000);
        assert_eq!(mnist.test.len(), 10_000);
        // Well-known first labels of each split.
        assert_eq!(&mnist.train.labels[..8], &[5, 0, 4, 1, 9, 2, 1, 3]);
        assert_eq!(&mnist.test.labels[..8], &[7, 2, 1, 0, 4, 1, 4, 9]);
        let mut counts = [0usize; CLASSES];
        mnist.train.labels.iter().for_each(|&l| counts[l as usize] += 1);
        assert_eq!(counts[1], 6742); // the most frequent digit in the training set
        let scaled = scale_to_unit(mnist.test.image(0));
        assert!(scaled.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert_eq!(scaled.iter().cloned().fold(0.0, f32::max), 1.0);
    }
}
