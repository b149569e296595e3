//! Models of the assignment. Summaries and the weights-file format are plain data (the page
//! uses them without burn); the burn modules themselves need the `ml` feature.
pub mod summary;
pub mod weights;

#[cfg(feature = "ml")]
pub mod autoencoder;
#[cfg(feature = "ml")]
pub mod cnn;
#[cfg(feature = "ml")]
pub mod init;
#[cfg(feature = "ml")]
pub mod max_pool;
#[cfg(feature = "ml")]
pub mod mlp;

pub use summary::{LayerSummary, ModelSummary};
