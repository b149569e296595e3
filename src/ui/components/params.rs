//! The URL's refused parameters, shown rather than silently replaced.

use leptos::prelude::*;

use crate::experiment::ParamError;

/// A banner listing every URL parameter the page refused (nothing when all were valid).
#[component]
pub fn ParamErrors(
    /// The errors `PageQuery::parse` reported for the page's URL.
    errors: Vec<ParamError>,
) -> impl IntoView {
    (!errors.is_empty()).then(|| {
        let items = errors.iter().map(|e| view! { <li>{e.to_string()}</li> }).collect_view();
        view! {
            <div class="banner param-errors" role="alert" data-testid="param-errors">
                <strong>"Some URL parameters were not used:"</strong>
                <ul>{items}</ul>
                <p>"The page uses the values shown in the controls below instead, and does not start training by itself: press Train when they are right."</p>
            </div>
        }
    })
}
