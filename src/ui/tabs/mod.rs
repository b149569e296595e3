//! One module per tab of the page, in the tabs' order: [`data`] (Problem 1), [`mlp`] (2),
//! [`sweep`] (2D), [`cnn`] (3), [`denoise`] (4), [`playground`].

pub mod cnn;
pub mod data;
pub mod denoise;
pub mod mlp;
pub mod playground;
pub mod sweep;
