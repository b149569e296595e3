//! The box that holds one of the seed notebook's written answers (DAT405 Assignment 7,
//! group 67), shortened and paraphrased; each tab shows its own beside what the page computes.

use leptos::prelude::*;

/// A titled box holding one of the seed's answers.
#[component]
pub fn SeedAnswer(
    /// The question, e.g. "Answer 1 — preprocessing".
    title: &'static str,
    /// The answer's paragraphs.
    children: Children,
) -> impl IntoView {
    view! {
        <aside class="seed-answer">
            <h4>{title} <span class="muted">" · from the seed notebook"</span></h4>
            {children()}
        </aside>
    }
}
