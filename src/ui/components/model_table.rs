//! Problem 2's model as Keras' `model.summary()` prints it.

use leptos::prelude::*;

use super::format;
use crate::model::ModelSummary;

/// The Keras-style summary table: `Layer (type) | Output Shape | Param #`, then the totals.
#[component]
pub fn ModelSummaryTable(
    /// The model to describe (P2: `mlp_summary(&[64, 64])`).
    summary: ModelSummary,
) -> impl IntoView {
    let total = summary.total_params();
    let rows = summary
        .layers
        .into_iter()
        .map(|layer| {
            let activation = layer.activation.map(|a| view! { <span class="muted">" · " {a}</span> });
            view! {
                <tr>
                    <td><code>{format!("{} ({})", layer.name, layer.kind)}</code> {activation}</td>
                    <td><code>{layer.output_shape}</code></td>
                    <td class="num">{format::thousands(layer.params)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <super::wide::Wide label="model summary"><table class="summary">
            <caption>"Model: \"sequential\""</caption>
            <thead>
                <tr><th>"Layer (type)"</th><th>"Output Shape"</th><th class="num">"Param #"</th></tr>
            </thead>
            <tbody>{rows}</tbody>
            <tfoot>
                <tr><td colspan="3">"Total params: " <strong data-testid="param-count">{total}</strong></td></tr>
                <tr><td colspan="3">"Trainable params: " {format::thousands(total)}</td></tr>
                <tr><td colspan="3">"Non-trainable params: 0"</td></tr>
            </tfoot>
        </table></super::wide::Wide>
    }
}
