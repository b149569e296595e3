//! A wide table (or figure) that scrolls sideways inside its box on a narrow screen, with a
//! visible hint there, and reachable by keyboard (a focusable, labelled region).

use leptos::prelude::*;

/// Wraps `children` in a horizontally scrolling, focusable region named `label`; with
/// `csv`, a "Save CSV" button saves the table inside as `mnist-lab-<csv>.csv`.
#[component]
pub fn Wide(
    /// The region's name for assistive technology (e.g. "confusion matrix").
    label: &'static str,
    /// The CSV file's name (without `.csv`), if the table can be saved.
    #[prop(optional)]
    csv: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let region = NodeRef::<leptos::html::Div>::new();
    view! {
        <p class="scroll-hint" aria-hidden="true">"← the table scrolls sideways →"</p>
        <div class="scroll-x" tabindex="0" role="region" aria-label=label node_ref=region>{children()}</div>
        {csv.map(|name| view! { <p class="exports"><crate::ui::export::SaveCsv container=region name=name label=label /></p> })}
    }
}
