//! Models of the assignment. Summaries are plain data (shown by the page without burn);
//! the burn modules themselves need the `ml` feature.
pub mod summary;

#[cfg(feature = "ml")]
pub mod cnn;
#[cfg(feature = "ml")]
pub mod init;
#[cfg(feature = "ml")]
pub mod mlp;

pub use summary::{LayerSummary, ModelSummary};
