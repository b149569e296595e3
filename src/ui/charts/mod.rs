//! The charts, drawn with plotters on canvases, and what they share.

pub mod curves;

pub use curves::{AccuracyChart, LossChart, fit_canvas, seed_applies, series_text};
