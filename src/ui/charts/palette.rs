//! The charts' colours: matplotlib's default cycle (`tab10`), as in the seed notebook's
//! plots, and what each colour stands for across the page.

use plotters::style::RGBColor;

/// matplotlib's C0, `tab:blue`.
pub const BLUE: RGBColor = RGBColor(31, 119, 180);
/// matplotlib's C1, `tab:orange`.
pub const ORANGE: RGBColor = RGBColor(255, 127, 14);
/// matplotlib's C2, `tab:green`.
pub const GREEN: RGBColor = RGBColor(44, 160, 44);
/// matplotlib's C3, `tab:red`.
pub const RED: RGBColor = RGBColor(214, 39, 40);
/// A mid grey.
pub const GREY: RGBColor = RGBColor(120, 120, 120);

/// Training curves (the seed's first series).
pub const TRAIN: RGBColor = BLUE;
/// Validation curves (its second).
pub const VALIDATION: RGBColor = ORANGE;
/// LeCun's reference line (P2D).
pub const LECUN: RGBColor = RED;
/// The seed notebook's own reference line and series (P2D).
pub const SEED: RGBColor = GREY;
