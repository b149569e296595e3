//! A dataset the visitor brings: four IDX files (raw or gzip), named as MNIST's and its
//! look-alikes' are (Fashion-MNIST, KMNIST, EMNIST digits: `train-images…`, `t10k-labels…`,
//! `emnist-digits-test-images…`), checked by the same strict parser as MNIST itself: 28×28
//! `u8` images, labels 0–9, as many labels as images, within the same size caps.

use thiserror::Error;

use super::mnist::{DataError, Mnist, MnistFile, gunzip};

#[derive(Debug, Error, PartialEq)]
pub enum UploadError {
    #[error("“{0}” is not one of the four files: its name must say train or test (or t10k), and images or labels")]
    Unnamed(String),
    #[error("two files are the {0}: “{1}” and “{2}”")]
    Twice(&'static str, String, String),
    #[error("the {0} file is missing (four files are needed: training and test images and labels)")]
    Missing(&'static str),
    #[error("“{name}”: {source}")]
    Data { name: String, source: DataError },
}

/// What each of the four files is, for people.
pub fn describe(file: MnistFile) -> &'static str {
    match file {
        MnistFile::TrainImages => "training images",
        MnistFile::TrainLabels => "training labels",
        MnistFile::TestImages => "test images",
        MnistFile::TestLabels => "test labels",
    }
}

/// Which of the four files `name` is, from its name.
pub fn file_of_name(name: &str) -> Option<MnistFile> {
    let name = name.to_ascii_lowercase();
    let images = name.contains("images") || name.contains("idx3");
    let labels = name.contains("labels") || name.contains("idx1");
    let train = name.contains("train");
    let test = name.contains("t10k") || name.contains("test");
    match (images, labels, train, test) {
        (true, false, true, false) => Some(MnistFile::TrainImages),
        (false, true, true, false) => Some(MnistFile::TrainLabels),
        (true, false, false, true) => Some(MnistFile::TestImages),
        (false, true, false, true) => Some(MnistFile::TestLabels),
        _ => None,
    }
}

/// The dataset in `files` (`(name, bytes)`, in any order), and its four decompressed IDX
/// files in [`MnistFile::ALL`]'s order (to be cached for the worker and hashed). A gzip
/// file (by its magic bytes) is decompressed within MNIST's caps for that file.
pub fn read(files: Vec<(String, Vec<u8>)>) -> Result<(Mnist, [Vec<u8>; 4]), UploadError> {
    let mut slots: [Option<(String, Vec<u8>)>; 4] = Default::default();
    for (name, bytes) in files {
        let file = file_of_name(&name).ok_or_else(|| UploadError::Unnamed(name.clone()))?;
        let slot = &mut slots[MnistFile::ALL.iter().position(|f| *f == file).unwrap_or(0)];
        if let Some((other, _)) = slot {
            return Err(UploadError::Twice(describe(file), other.clone(), name));
        }
        let raw = if bytes.starts_with(&[0x1f, 0x8b]) { gunzip(file, &bytes).map_err(|source| UploadError::Data { name: name.clone(), source })? } else { bytes };
        if raw.len() > file.max_raw_len() + 16 {
            let source = DataError::TooLarge { file: file.gz_name(), limit: file.max_raw_len() };
            return Err(UploadError::Data { name, source });
        }
        *slot = Some((name, raw));
    }
    let mut named = Vec::with_capacity(4);
    for (file, slot) in MnistFile::ALL.iter().zip(slots) {
        named.push(slot.ok_or(UploadError::Missing(describe(*file)))?);
    }
    let [train_images, train_labels, test_images, test_labels]: [(String, Vec<u8>); 4] = named.try_into().map_err(|_| UploadError::Missing("training images"))?;
    // The images file's name for a problem with the images or the counts, the labels'
    // for a bad label.
    let blame = |e: DataError, images: &str, labels: &str| {
        let name = match &e {
            DataError::BadLabel { .. } => labels,
            DataError::Idx { file, .. } if file.contains("labels") => labels,
            _ => images,
        };
        UploadError::Data { name: name.to_string(), source: e }
    };
    let train = super::MnistSplit::from_idx(&train_images.1, &train_labels.1, MnistFile::TrainImages, MnistFile::TrainLabels)
        .map_err(|e| blame(e, &train_images.0, &train_labels.0))?;
    let test = super::MnistSplit::from_idx(&test_images.1, &test_labels.1, MnistFile::TestImages, MnistFile::TestLabels)
        .map_err(|e| blame(e, &test_images.0, &test_labels.0))?;
    Ok((Mnist { train, test }, [train_images.1, train_labels.1, test_images.1, test_labels.1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(n: usize, side: u32) -> Vec<u8> {
        let mut bytes = vec![0, 0, 8, 3];
        for d in [n as u32, side, side] {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend((0..n * (side * side) as usize).map(|i| (i % 251) as u8));
        bytes
    }

    fn labels(values: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, 8, 1];
        bytes.extend_from_slice(&(values.len() as u32).to_be_bytes());
        bytes.extend_from_slice(values);
        bytes
    }

    fn gz(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).expect("gzip");
        e.finish().expect("gzip")
    }

    fn set(test_labels: &[u8], side: u32) -> Vec<(String, Vec<u8>)> {
        vec![
            ("t10k-labels-idx1-ubyte".into(), labels(test_labels)),
            ("fashion-train-images-idx3-ubyte.gz".into(), gz(&images(4, 28))),
            ("train-labels-idx1-ubyte.gz".into(), gz(&labels(&[0, 1, 2, 9]))),
            ("test-images.idx3-ubyte".into(), images(test_labels.len(), side)),
        ]
    }

    #[test]
    fn names_say_which_file() {
        assert_eq!(file_of_name("emnist-digits-train-images-idx3-ubyte.gz"), Some(MnistFile::TrainImages));
        assert_eq!(file_of_name("t10k-labels-idx1-ubyte"), Some(MnistFile::TestLabels));
        assert_eq!(file_of_name("TEST-images.IDX3"), Some(MnistFile::TestImages));
        assert_eq!(file_of_name("labels.bin"), None);
        assert_eq!(file_of_name("train-test-images"), None);
    }

    #[test]
    fn four_files_raw_or_gzip_in_any_order() {
        let (mnist, raw) = read(set(&[3, 4], 28)).expect("a dataset");
        assert_eq!((mnist.train.len(), mnist.test.len()), (4, 2));
        assert_eq!(mnist.test.labels, vec![3, 4]);
        assert_eq!(raw[0], images(4, 28), "decompressed, in MnistFile::ALL's order");
    }

    #[test]
    fn wrong_dimensions_a_bad_label_and_missing_files_are_refused_with_the_reason() {
        let e = read(set(&[3, 4], 20)).expect_err("20x20");
        assert_eq!(e.to_string(), "“test-images.idx3-ubyte”: t10k-images-idx3-ubyte.gz: dimension 1 is 20, expected 28");
        let e = read(set(&[3, 11], 28)).expect_err("label 11");
        assert_eq!(e.to_string(), "“t10k-labels-idx1-ubyte”: label 11 at index 1 is not a digit 0-9");
        let mut three = set(&[3, 4], 28);
        three.pop();
        assert_eq!(read(three), Err(UploadError::Missing("test images")));
        let mut twice = set(&[3, 4], 28);
        twice.push(("more-test-images".into(), images(2, 28)));
        assert!(matches!(read(twice), Err(UploadError::Twice("test images", _, _))));
        let mut odd = set(&[3, 4], 28);
        odd.push(("notes.txt".into(), vec![1, 2]));
        assert!(matches!(read(odd), Err(UploadError::Unnamed(_))));
        // A gzip bomb stops at the labels file's cap.
        let mut bomb = set(&[3, 4], 28);
        bomb[2].1 = gz(&vec![0u8; 3 << 20]);
        assert!(matches!(read(bomb), Err(UploadError::Data { source: DataError::TooLarge { .. }, .. })));
    }
}
