//! Experiments of the assignment: configs in, serde results out. Config and result types
//! are plain data (the page uses them without burn); running needs the `ml` feature.
pub mod config;
pub mod p2d;
pub mod p4;
pub mod probe;
pub mod record;
pub mod report;
pub mod schedule;
pub mod seed;
pub mod result;

#[cfg(feature = "ml")]
pub mod reader;
#[cfg(feature = "ml")]
pub mod run;

pub use config::{BackendChoice, ExperimentId, ModelConfig, OptimizerConfig, PageQuery, ParamError, RunConfig};
pub use result::{EpochMetrics, RunResult};
