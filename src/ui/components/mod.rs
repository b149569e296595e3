//! Small components and helpers the tabs share.

pub mod controls;
pub mod format;
pub mod later;
pub mod model_table;
pub mod params;
pub mod progress;
pub mod results;
pub mod seed_answer;
pub mod wide;
