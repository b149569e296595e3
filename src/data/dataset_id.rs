//! Which dataset a run was trained on, by content: results are kept and shown per dataset,
//! so a run on another set of files never passes for an MNIST one.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::mnist::MnistFile;

/// A dataset's name (for people) and its SHA-256 (for keys and checks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetId {
    /// "MNIST" for the embedded copy; otherwise where the files came from.
    pub name: String,
    /// 64 hex digits.
    pub sha256: String,
}

impl DatasetId {
    /// The app's own MNIST: the hash of its four committed .gz files' SHA-256 sums (in
    /// [`MnistFile::ALL`]'s order), which the page checks every file against when it
    /// downloads it; nothing needs hashing at load.
    pub fn embedded_mnist() -> Self {
        let mut hasher = Sha256::new();
        for file in MnistFile::ALL {
            hasher.update(file.expected_gz_sha256().unwrap_or_default().as_bytes());
            hasher.update(b"\n");
        }
        Self { name: "MNIST".into(), sha256: format!("{:x}", hasher.finalize()) }
    }

    /// Any other dataset: the hash of its four decompressed IDX files, in
    /// [`MnistFile::ALL`]'s order, each prefixed by its length (so no two sets of files
    /// share a hash by moving bytes from one file to the next).
    pub fn of_files(name: &str, files: &[&[u8]; 4]) -> Self {
        let mut hasher = Sha256::new();
        for bytes in files {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        }
        Self { name: name.into(), sha256: format!("{:x}", hasher.finalize()) }
    }

    /// The first 16 hex digits: enough to keep datasets apart in a key.
    pub fn short(&self) -> &str {
        self.sha256.get(..16).unwrap_or(&self.sha256)
    }

    pub fn is_embedded_mnist(&self) -> bool {
        *self == Self::embedded_mnist()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_separate_datasets() {
        let mnist = DatasetId::embedded_mnist();
        assert_eq!(mnist.sha256.len(), 64);
        assert_eq!(mnist.short().len(), 16);
        assert!(mnist.is_embedded_mnist());
        let a = DatasetId::of_files("a", &[b"ab", b"c", b"", b""]);
        let b = DatasetId::of_files("a", &[b"a", b"bc", b"", b""]);
        assert_ne!(a.sha256, b.sha256);
        assert_eq!(a, DatasetId::of_files("a", &[b"ab", b"c", b"", b""]));
        assert!(!a.is_embedded_mnist());
    }
}
