//! Data: the IDX format, MNIST and its preprocessing. Plain Rust, no burn, no browser:
//! the page, the worker and the native runner all read the dataset through this.
pub mod idx;
pub mod mnist;

pub use mnist::{CLASSES, DataError, Mnist, MnistFile, MnistSplit, PIXELS};
