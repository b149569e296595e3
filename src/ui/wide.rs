//! A wide table (or figure) that scrolls sideways inside its box on a narrow screen, with a
//! visible hint there, and reachable by keyboard (a focusable, labelled region).

use leptos::prelude::*;

/// Wraps `children` in a horizontally scrolling, focusable region named `label`.
#[component]
pub fn Wide(
    /// The region's name for assistive technology (e.g. "confusion matrix").
    label: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <p class="scroll-hint" aria-hidden="true">"← the table scrolls sideways →"</p>
        <div class="scroll-x" tabindex="0" role="region" aria-label=label>{children()}</div>
    }
}
