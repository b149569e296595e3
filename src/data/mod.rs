//! Data: the IDX format, MNIST, its preprocessing, a drawn digit made into an MNIST one, and P4's salt-and-pepper noise. Plain Rust, no burn, no browser:
//! the page, the worker and the native runner all read the dataset through this.
pub mod class_names;
pub mod dataset_id;
pub mod drawn_digit;
pub mod idx;
pub mod mnist;
pub mod noise;
pub mod summary;
pub mod uploaded;

pub use class_names::ClassNames;
pub use dataset_id::DatasetId;
pub use summary::{DataSummary, Sample};
pub use mnist::{CLASSES, DataError, Mnist, MnistFile, MnistSplit, PIXELS};
