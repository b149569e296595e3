//! A digit drawn in the page, made into an MNIST digit the way NIST's were (LeCun et al.):
//! the ink's bounding box is scaled to fit a 20×20 box with its aspect ratio kept
//! (anti-aliased, so the edges become grey levels), then placed in the 28×28 field so that
//! its centre of mass lies at the field's centre. A classifier trained on MNIST reads a
//! drawing well only after exactly this; a drawing merely shrunk to 28×28 is read badly.
//!
//! Plain Rust, no browser: the page runs it on every stroke (well under a millisecond for a
//! 280×280 canvas), and it is tested natively.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use thiserror::Error;

use super::PIXELS;

/// MNIST's field and the box the digit is scaled into.
pub const FIELD: usize = 28;
pub const BOX: usize = 20;

#[derive(Debug, Error, PartialEq)]
pub enum DrawingError {
    #[error("the drawing is {width}×{height} but holds {len} values")]
    Size { width: usize, height: usize, len: usize },
    #[error("resizing the drawing failed: {0}")]
    Resize(String),
}

/// The 784 pixels (0 = paper, 255 = full ink) MNIST's preprocessing makes of `ink`, a
/// `width × height` drawing with one value per pixel (0 = no ink). `Ok(None)` for an empty
/// drawing: there is nothing to read, and a classifier's answer would be a guess.
pub fn to_mnist(ink: &[u8], width: usize, height: usize) -> Result<Option<Vec<u8>>, DrawingError> {
    if ink.len() != width * height {
        return Err(DrawingError::Size { width, height, len: ink.len() });
    }
    let Some((left, top, right, bottom)) = ink_bounds(ink, width) else { return Ok(None) };
    let (w, h) = (right - left + 1, bottom - top + 1);
    // The longer side becomes 20 pixels; the shorter keeps the ratio (at least 1 pixel).
    let scale = BOX as f64 / w.max(h) as f64;
    let fit = |side: usize| ((side as f64 * scale).round() as usize).clamp(1, BOX);
    let (fw, fh) = (fit(w), fit(h));
    let fitted = resize(ink, width, height, (left, top, w, h), fw, fh)?;

    // Centre of mass of the fitted digit, pixel centres at i + 0.5.
    let (mut mass, mut mx, mut my) = (0.0f64, 0.0f64, 0.0f64);
    for y in 0..fh {
        for x in 0..fw {
            let v = f64::from(fitted[y * fw + x]);
            mass += v;
            mx += v * (x as f64 + 0.5);
            my += v * (y as f64 + 0.5);
        }
    }
    let centre = FIELD as f64 / 2.0;
    // A faint drawing can resize to all zeros; centre its box then.
    let (cx, cy) = if mass > 0.0 { (mx / mass, my / mass) } else { (fw as f64 / 2.0, fh as f64 / 2.0) };
    // Translated by whole pixels, and never out of the field.
    let offset = |c: f64, side: usize| ((centre - c).round().max(0.0) as usize).min(FIELD - side);
    let (ox, oy) = (offset(cx, fw), offset(cy, fh));
    let mut digit = vec![0u8; PIXELS];
    for y in 0..fh {
        digit[(oy + y) * FIELD + ox..(oy + y) * FIELD + ox + fw].copy_from_slice(&fitted[y * fw..(y + 1) * fw]);
    }
    Ok(Some(digit))
}

/// `(left, top, right, bottom)` (inclusive) of the pixels with ink, if any.
fn ink_bounds(ink: &[u8], width: usize) -> Option<(usize, usize, usize, usize)> {
    let mut bounds: Option<(usize, usize, usize, usize)> = None;
    for (i, _) in ink.iter().enumerate().filter(|(_, v)| **v > 0) {
        let (x, y) = (i % width, i / width);
        bounds = Some(match bounds {
            None => (x, y, x, y),
            Some((l, t, r, b)) => (l.min(x), t.min(y), r.max(x), b.max(y)),
        });
    }
    bounds
}

/// The `crop` (left, top, width, height) of `ink` resized to `to_w × to_h` with an
/// area-averaging (box) filter: each output pixel is the mean ink under it, which is the
/// anti-aliasing that turns a sharp stroke into MNIST's grey edges.
fn resize(ink: &[u8], width: usize, height: usize, crop: (usize, usize, usize, usize), to_w: usize, to_h: usize) -> Result<Vec<u8>, DrawingError> {
    let err = |e: &dyn std::fmt::Display| DrawingError::Resize(e.to_string());
    let src = ImageRef::new(width as u32, height as u32, ink, PixelType::U8).map_err(|e| err(&e))?;
    let mut dst = Image::new(to_w as u32, to_h as u32, PixelType::U8);
    let (left, top, w, h) = crop;
    let options = ResizeOptions::new()
        .crop(left as f64, top as f64, w as f64, h as f64)
        .resize_alg(ResizeAlg::Convolution(FilterType::Box));
    Resizer::new().resize(&src, &mut dst, &options).map_err(|e| err(&e))?;
    Ok(dst.into_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `size × size` canvas with a filled rectangle.
    fn canvas(size: usize, rect: (usize, usize, usize, usize)) -> Vec<u8> {
        let (left, top, w, h) = rect;
        let mut ink = vec![0u8; size * size];
        for y in top..top + h {
            for x in left..left + w {
                ink[y * size + x] = 255;
            }
        }
        ink
    }

    /// `(left, top, width, height)` of the digit's ink in the 28×28 field.
    fn box_of(digit: &[u8]) -> (usize, usize, usize, usize) {
        let (l, t, r, b) = ink_bounds(digit, FIELD).expect("ink");
        (l, t, r - l + 1, b - t + 1)
    }

    fn centre_of_mass(digit: &[u8]) -> (f64, f64) {
        let (mut m, mut x, mut y) = (0.0, 0.0, 0.0);
        for (i, &v) in digit.iter().enumerate() {
            let v = f64::from(v);
            m += v;
            x += v * ((i % FIELD) as f64 + 0.5);
            y += v * ((i / FIELD) as f64 + 0.5);
        }
        (x / m, y / m)
    }

    #[test]
    fn an_empty_drawing_gives_no_digit() {
        assert_eq!(to_mnist(&vec![0; 280 * 280], 280, 280), Ok(None));
    }

    #[test]
    fn a_square_in_a_corner_ends_centred_by_mass_in_the_20_box() {
        let digit = to_mnist(&canvas(280, (0, 0, 60, 60)), 280, 280).expect("resize").expect("a digit");
        assert_eq!(digit.len(), PIXELS);
        assert_eq!(box_of(&digit), (4, 4, 20, 20));
        let (cx, cy) = centre_of_mass(&digit);
        assert!((cx - 14.0).abs() < 0.51 && (cy - 14.0).abs() < 0.51, "{cx} {cy}");
        // A filled square stays full ink inside.
        assert_eq!(digit[14 * FIELD + 14], 255);
    }

    #[test]
    fn the_aspect_ratio_is_kept() {
        // A tall stroke 200 high, 50 wide, bottom right: 20 high, 5 wide.
        let digit = to_mnist(&canvas(280, (220, 70, 50, 200)), 280, 280).expect("resize").expect("a digit");
        let (_, top, w, h) = box_of(&digit);
        assert_eq!((w, h, top), (5, 20, 4));
        // A wide one: 20 wide, 10 high.
        let digit = to_mnist(&canvas(280, (10, 10, 160, 80)), 280, 280).expect("resize").expect("a digit");
        let (left, _, w, h) = box_of(&digit);
        assert_eq!((w, h, left), (20, 10, 4));
    }

    #[test]
    fn edges_are_anti_aliased_and_mass_decides_the_place() {
        // An L: a long bar and a foot; its mass is not at its box's centre.
        let mut ink = canvas(100, (10, 10, 13, 80));
        for y in 78..90 {
            for x in 10..60 {
                ink[y * 100 + x] = 255;
            }
        }
        // An odd-sized box cannot resize to whole pixels: its edges become grey.
        let digit = to_mnist(&ink, 100, 100).expect("resize").expect("a digit");
        assert!(digit.iter().any(|&v| v > 0 && v < 255), "no grey levels");
        let (cx, cy) = centre_of_mass(&digit);
        assert!((cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5, "{cx} {cy}");
        let (left, _, w, _) = box_of(&digit);
        // The box is shifted right of the centred position (4) to put the mass mid-field.
        assert!(w < 20 && left >= (FIELD - w) / 2 + 2, "{left} {w}");
    }

    #[test]
    fn a_single_dot_and_a_full_canvas_work() {
        let mut ink = vec![0u8; 50 * 50];
        ink[25 * 50 + 3] = 200;
        let digit = to_mnist(&ink, 50, 50).expect("resize").expect("a digit");
        assert_eq!(box_of(&digit), (4, 4, 20, 20));
        let digit = to_mnist(&vec![255; 28 * 28], 28, 28).expect("resize").expect("a digit");
        assert_eq!(box_of(&digit), (4, 4, 20, 20));
    }

    #[test]
    fn a_wrong_size_is_an_error() {
        assert!(matches!(to_mnist(&[0; 10], 4, 4), Err(DrawingError::Size { .. })));
    }
}
