//! A panel's lower part, mounted a frame after the rest.

use leptos::prelude::*;

use crate::ui::after_next_frame;

/// Mounts its children in a task of their own after the next frame
/// ([`after_next_frame`]). A tab's panel mounts its controls and progress first and its
/// figures, tables and answers here: the whole P2 panel at once was one main-thread task of
/// 64–83 ms in a Chromium trace of a load (2026-12-04), its two halves apart 40 and 28 ms; a
/// task that long delays the visitor's first click.
#[component]
pub fn AfterNextFrame(children: ChildrenFn) -> impl IntoView {
    let shown = RwSignal::new(false);
    // A panel left before its frame came drops the signal: setting a disposed signal does nothing.
    after_next_frame(move || shown.set(true));
    move || shown.get().then(|| children())
}
