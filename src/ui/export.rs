//! Saving what the page shows: a table as CSV (its cells as shown), a canvas as PNG (its
//! pixels at the size it is drawn). Both leave the page as a download, made here from a
//! blob or data URL: no server is involved.
//!
//! The CSV is written by the `csv` crate (quoting and escaping as RFC 4180 asks); only the
//! walk over the table's rows is this page's.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Starts a download of `href` named `name`.
fn download(href: &str, name: &str) -> Result<(), String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement = document.create_element("a").map_err(|e| format!("{e:?}"))?.unchecked_into();
    anchor.set_href(href);
    anchor.set_download(name);
    anchor.click();
    Ok(())
}

/// Downloads `text` as a file of type `mime`.
pub fn save_text(name: &str, mime: &str, text: &str) -> Result<(), String> {
    save_bytes(name, mime, text.as_bytes())
}

/// Downloads `bytes` as a file of type `mime` (a trained model, a bundle).
pub fn save_bytes(name: &str, mime: &str, bytes: &[u8]) -> Result<(), String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(|e| format!("{e:?}"))?;
    let href = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    let result = download(&href, name);
    // Revoked once the download has surely read it (revoking at once can cancel it).
    set_timeout(move || { let _ = web_sys::Url::revoke_object_url(&href); }, std::time::Duration::from_secs(30));
    result
}

/// The table's rows (header, body and footer, in order) as CSV: one record per row, one
/// field per cell's text.
pub fn table_csv(table: &web_sys::HtmlTableElement) -> Result<String, String> {
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    let rows = table.rows();
    for i in 0..rows.length() {
        let Some(row) = rows.item(i).and_then(|r| r.dyn_into::<web_sys::HtmlTableRowElement>().ok()) else { continue };
        let cells = row.cells();
        let fields: Vec<String> = (0..cells.length())
            .filter_map(|j| cells.item(j))
            .map(|cell| cell.text_content().unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        writer.write_record(&fields).map_err(|e| e.to_string())?;
    }
    let bytes = writer.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// "Save CSV" for the first table inside `container`.
#[component]
pub fn SaveCsv(
    /// The element that holds the table.
    container: NodeRef<html::Div>,
    /// The file name, without `.csv`.
    name: &'static str,
    /// What the table is, for the button's accessible name.
    label: &'static str,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let save = move |_| {
        let table = container.get_untracked().and_then(|div| div.query_selector("table").ok().flatten()).and_then(|t| t.dyn_into::<web_sys::HtmlTableElement>().ok());
        let result = table.ok_or_else(|| "the table is not shown".to_string()).and_then(|t| table_csv(&t)).and_then(|csv| save_text(&format!("mnist-lab-{name}.csv"), "text/csv", &csv));
        error.set(result.err());
    };
    view! {
        <button class="link export" data-testid=format!("csv-{name}") aria-label=format!("Save {label} as CSV") on:click=save>"Save CSV"</button>
        {move || error.get().map(|e| view! { <span class="warning small">{format!(" could not save: {e}")}</span> })}
    }
}

/// "Save PNG" for a canvas: its pixels at the size they are drawn.
#[component]
pub fn SavePng(
    canvas: NodeRef<html::Canvas>,
    /// The file name, without `.png`.
    name: &'static str,
    /// What the figure is, for the button's accessible name.
    label: &'static str,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let save = move |_| {
        let result = canvas
            .get_untracked()
            .ok_or_else(|| "the figure is not shown".to_string())
            .and_then(|c| c.to_data_url_with_type("image/png").map_err(|e| format!("{e:?}")))
            .and_then(|href| download(&href, &format!("mnist-lab-{name}.png")));
        error.set(result.err());
    };
    view! {
        <button class="link export" data-testid=format!("png-{name}") aria-label=format!("Save {label} as PNG") on:click=save>"Save PNG"</button>
        {move || error.get().map(|e| view! { <span class="warning small">{format!(" could not save: {e}")}</span> })}
    }
}

/// Rows of a serde type as CSV, with a header of its field names.
pub fn rows_csv<T: serde::Serialize>(rows: &[T]) -> Result<String, String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.serialize(row).map_err(|e| e.to_string())?;
    }
    let bytes = writer.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// "Save CSV" for data the page holds (not a table on screen): `make` gives the CSV text.
#[component]
pub fn SaveDataCsv(
    /// Makes the CSV text; `None` while there is nothing to save.
    make: Callback<(), Option<Result<String, String>>>,
    /// The file name, without `.csv`.
    name: &'static str,
    /// What is saved, for the button's accessible name.
    label: &'static str,
    /// The button's text.
    text: &'static str,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let save = move |_| {
        let result = make.run(()).unwrap_or_else(|| Err("nothing to save yet".into())).and_then(|csv| save_text(&format!("mnist-lab-{name}.csv"), "text/csv", &csv));
        error.set(result.err());
    };
    view! {
        <button class="link export" data-testid=format!("csv-{name}") aria-label=format!("Save {label} as CSV") on:click=save>{text}</button>
        {move || error.get().map(|e| view! { <span class="warning small">{format!(" could not save: {e}")}</span> })}
    }
}

/// Draws a count matrix (rows × columns, e.g. the confusion matrix: true × predicted) as
/// a picture and downloads it as `mnist-lab-<name>.png`: each cell shaded by its share of
/// its row, with its count; the diagonal in green, the rest in red.
pub fn save_matrix_png(name: &str, matrix: &[Vec<u32>]) -> Result<(), String> {
    const CELL: f64 = 44.0;
    const MARGIN: f64 = 36.0;
    let rows = matrix.len();
    let columns = matrix.iter().map(Vec::len).max().unwrap_or(0);
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let canvas: web_sys::HtmlCanvasElement = document.create_element("canvas").map_err(|e| format!("{e:?}"))?.unchecked_into();
    canvas.set_width((MARGIN + CELL * columns as f64 + 8.0) as u32);
    canvas.set_height((MARGIN + CELL * rows as f64 + 8.0) as u32);
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(|e| format!("{e:?}"))?
        .ok_or("no 2d context")?
        .unchecked_into();
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, f64::from(canvas.width()), f64::from(canvas.height()));
    ctx.set_font("13px sans-serif");
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    for (i, label) in (0..rows.max(columns)).enumerate() {
        ctx.set_fill_style_str("#333333");
        if i < columns {
            let _ = ctx.fill_text(&label.to_string(), MARGIN + CELL * (i as f64 + 0.5), MARGIN / 2.0);
        }
        if i < rows {
            let _ = ctx.fill_text(&label.to_string(), MARGIN / 2.0, MARGIN + CELL * (i as f64 + 0.5));
        }
    }
    for (r, row) in matrix.iter().enumerate() {
        let total = row.iter().sum::<u32>().max(1);
        for (c, &count) in row.iter().enumerate() {
            let share = f64::from(count) / f64::from(total);
            let (x, y) = (MARGIN + CELL * c as f64, MARGIN + CELL * r as f64);
            let alpha = if count == 0 { 0.0 } else { 0.15 + 0.85 * share.sqrt() };
            ctx.set_fill_style_str(&if r == c { format!("rgba(30, 130, 60, {alpha:.3})") } else { format!("rgba(200, 40, 40, {alpha:.3})") });
            ctx.fill_rect(x + 1.0, y + 1.0, CELL - 2.0, CELL - 2.0);
            ctx.set_fill_style_str(if alpha > 0.6 { "#ffffff" } else { "#111111" });
            let _ = ctx.fill_text(&count.to_string(), x + CELL / 2.0, y + CELL / 2.0);
        }
    }
    let href = canvas.to_data_url_with_type("image/png").map_err(|e| format!("{e:?}"))?;
    download(&href, &format!("mnist-lab-{name}.png"))
}

/// Draws 28 × 28 digits in a grid, each with its caption under it, and downloads the
/// picture as `mnist-lab-<name>.png` (the misclassified digits, 4D's generated ones).
pub fn save_digits_png(name: &str, digits: &[(Vec<u8>, String)]) -> Result<(), String> {
    const SCALE: usize = 3;
    const SIDE: usize = 28 * SCALE;
    const CELL_W: usize = SIDE + 40;
    const CELL_H: usize = SIDE + 22;
    const COLUMNS: usize = 8;
    let rows = digits.len().div_ceil(COLUMNS).max(1);
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let canvas: web_sys::HtmlCanvasElement = document.create_element("canvas").map_err(|e| format!("{e:?}"))?.unchecked_into();
    canvas.set_width((COLUMNS.min(digits.len().max(1)) * CELL_W) as u32);
    canvas.set_height((rows * CELL_H) as u32);
    let ctx: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").map_err(|e| format!("{e:?}"))?.ok_or("no 2d context")?.unchecked_into();
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, f64::from(canvas.width()), f64::from(canvas.height()));
    ctx.set_font("11px sans-serif");
    ctx.set_text_align("center");
    for (i, (pixels, caption)) in digits.iter().enumerate() {
        let (x0, y0) = ((i % COLUMNS) * CELL_W + 20, (i / COLUMNS) * CELL_H + 2);
        for (p, &value) in pixels.iter().take(28 * 28).enumerate() {
            // Ink dark on white, as the page draws digits.
            let grey = 255 - u32::from(value);
            ctx.set_fill_style_str(&format!("rgb({grey},{grey},{grey})"));
            ctx.fill_rect((x0 + (p % 28) * SCALE) as f64, (y0 + (p / 28) * SCALE) as f64, SCALE as f64, SCALE as f64);
        }
        ctx.set_fill_style_str("#222222");
        let _ = ctx.fill_text(caption, (x0 + SIDE / 2) as f64, (y0 + SIDE + 14) as f64);
    }
    let href = canvas.to_data_url_with_type("image/png").map_err(|e| format!("{e:?}"))?;
    download(&href, &format!("mnist-lab-{name}.png"))
}

/// "Save PNG" for a set of digits the page holds.
#[component]
pub fn SaveDigitsPng(
    /// The digits and their captions; `None` while there are none.
    digits: Callback<(), Option<Vec<(Vec<u8>, String)>>>,
    /// The file name, without `.png`.
    name: &'static str,
    /// What the digits are, for the button's accessible name.
    label: &'static str,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let save = move |_| {
        let result = digits.run(()).ok_or_else(|| "nothing to save yet".to_string()).and_then(|d| save_digits_png(name, &d));
        error.set(result.err());
    };
    view! {
        <button class="link export" data-testid=format!("png-{name}") aria-label=format!("Save {label} as PNG") on:click=save>"Save PNG"</button>
        {move || error.get().map(|e| view! { <span class="warning small">{format!(" could not save: {e}")}</span> })}
    }
}
