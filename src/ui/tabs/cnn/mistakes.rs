//! Problem 3: the test digits the trained CNN misclassifies.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::data::mnist::ROWS;
use crate::experiment::result::Mistake;
use crate::ui::charts::canvas::{DIGIT_SCALE, draw_digit};
use crate::ui::components::format;
use crate::ui::export::SaveDigitsPng;

/// The first misclassified test digits, each captioned "true 4 → predicted 9".
#[component]
pub fn MistakeGrid(
    /// The run's mistakes, in test-set order.
    mistakes: Vec<Mistake>,
    /// Misclassified digits in all (the grid shows the first of them).
    total: usize,
) -> impl IntoView {
    let shown = mistakes.len();
    let caption = if shown == 0 {
        "No test digit was misclassified.".to_string()
    } else if total > shown {
        format!("The first {shown} of the {} misclassified test digits, in test-set order.", format::thousands(total))
    } else {
        format!("All {shown} misclassified test digits, in test-set order.")
    };
    let for_png: Vec<(Vec<u8>, String)> = mistakes.iter().map(|m| (m.pixels.clone(), format!("{} → {}", m.label, m.predicted))).collect();
    let digits = Callback::new(move |_| (!for_png.is_empty()).then(|| for_png.clone()));
    let cells = mistakes.into_iter().map(|m| view! { <MistakeDigit mistake=m /> }).collect_view();
    view! {
        <p class="muted small">{caption} " " <SaveDigitsPng digits=digits name="p3-mistakes" label="the misclassified digits" /></p>
        <div class="p3-mistakes" data-testid="mistakes">{cells}</div>
    }
}

/// One misclassified digit and its caption.
#[component]
fn MistakeDigit(mistake: Mistake) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let side = ROWS * DIGIT_SCALE;
    let caption = format!("true {} → predicted {}", mistake.label, mistake.predicted);
    let title = format!("test digit #{}: {caption}", mistake.index);
    let pixels = mistake.pixels;
    Effect::new(move || {
        if let Some(element) = canvas.get()
            && let Err(e) = draw_digit(&element, &pixels)
        {
            web_sys::console::error_1(&format!("cannot draw a misclassified digit: {e:?}").into());
        }
    });
    view! {
        <figure class="p3-mistake" title=title>
            <canvas node_ref=canvas role="img" width=side.to_string() height=side.to_string() aria-label=caption.clone()></canvas>
            <figcaption>{caption}</figcaption>
        </figure>
    }
}
