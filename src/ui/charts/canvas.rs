//! Drawing on a plain canvas (no plotters): its 2d context, and one 28 × 28 digit, dark ink
//! on white, as the misclassified (P3) and generated (P4) digits are shown.

use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use crate::data::mnist::{COLS, ROWS};

/// Each pixel of a digit drawn by [`draw_digit`] becomes a `DIGIT_SCALE`² square.
pub const DIGIT_SCALE: usize = 2;

/// The canvas's 2d context.
pub fn context_2d(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, JsValue> {
    canvas.get_context("2d")?.ok_or_else(|| JsValue::from_str("no 2d context"))?.dyn_into().map_err(JsValue::from)
}

/// Dark ink on white, as the P1 digits are drawn (a short pixel list draws as blank).
pub fn draw_digit(canvas: &HtmlCanvasElement, pixels: &[u8]) -> Result<(), JsValue> {
    let context = context_2d(canvas)?;
    let side = ROWS * DIGIT_SCALE;
    let mut rgba = vec![0u8; side * side * 4];
    for (j, px) in rgba.chunks_exact_mut(4).enumerate() {
        let (row, col) = (j / side / DIGIT_SCALE, (j % side) / DIGIT_SCALE);
        let v = 255 - pixels.get(row * COLS + col).copied().unwrap_or(0);
        px.copy_from_slice(&[v, v, v, 255]);
    }
    let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), side as u32, side as u32)?;
    context.put_image_data(&image, 0.0, 0.0)
}
