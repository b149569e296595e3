//! Problem 3: the trained CNN's confusion matrix over the 10,000 test digits, and its most
//! frequent mistakes.

use leptos::prelude::*;

use crate::data::CLASSES;
use crate::ui::components::format;
use crate::ui::components::wide::Wide;
use crate::ui::export::save_matrix_png;
use crate::ui::lab::Lab;

/// `confusion[true][predicted]` as a 10 × 10 table: rows the true digit, columns the
/// predicted one, the correct counts on the highlighted diagonal, the others shaded by count.
#[component]
pub fn ConfusionMatrix(
    /// `[true][predicted]` counts over the test set.
    confusion: Vec<Vec<u32>>,
) -> impl IntoView {
    let well_formed = confusion.len() == CLASSES && confusion.iter().all(|row| row.len() == CLASSES);
    if !well_formed {
        return view! { <p class="error">"The run's confusion matrix is not 10 × 10; it cannot be shown."</p> }.into_any();
    }
    let matrix = confusion.clone();
    let png_error = RwSignal::new(None::<String>);
    let total: u32 = confusion.iter().flatten().sum();
    let correct: u32 = (0..CLASSES).map(|i| confusion[i][i]).sum();
    let max_off = (0..CLASSES)
        .flat_map(|t| (0..CLASSES).filter(move |&p| p != t).map(move |p| (t, p)))
        .map(|(t, p)| confusion[t][p])
        .max()
        .unwrap_or(0)
        .max(1);
    // An uploaded dataset's class names as the headers' titles (the cells stay narrow).
    let names = use_context::<Lab>().map(|lab| lab.class_names_untracked()).unwrap_or_default();
    let head = (0..CLASSES).map(|p| view! { <th scope="col" class="num" title=names.label(p)>{p}</th> }).collect_view();
    let rows = confusion
        .iter()
        .enumerate()
        .map(|(t, row)| {
            let row_total: u32 = row.iter().sum();
            let cells = row
                .iter()
                .enumerate()
                .map(|(p, &count)| {
                    let (class, style) = if p == t {
                        ("num diag", String::new())
                    } else if count > 0 {
                        // Off-diagonal: the more mistakes, the redder.
                        let alpha = 0.08 + 0.5 * f64::from(count) / f64::from(max_off);
                        ("num off", format!("background-color: rgba(214, 39, 40, {alpha:.2})"))
                    } else {
                        ("num zero", String::new())
                    };
                    view! { <td class=class style=style title=format!("true {}, predicted {}: {count}", names.label(t), names.label(p))>{count}</td> }
                })
                .collect_view();
            let recall = if row_total > 0 { format!("{:.1} %", 100.0 * f64::from(row[t]) / f64::from(row_total)) } else { "—".into() };
            view! {
                <tr>
                    <th scope="row" class="num" title=names.label(t)>{if names.is_digits() { t.to_string() } else { names.label(t) }}</th>
                    {cells}
                    <th class="num recall">{recall}</th>
                </tr>
            }
        })
        .collect_view();
    let confusions = top_confusions(&confusion, 5);
    let confusions_text = if confusions.is_empty() {
        "No test digit was misclassified.".to_string()
    } else {
        format!(
            "Most frequent mistakes (true → predicted): {}.",
            confusions.iter().map(|(t, p, n)| format!("{t} → {p} ({n})")).collect::<Vec<_>>().join(", ")
        )
    };
    view! {
        <div class="scroll-x">
            <Wide label="confusion matrix" csv="p3-confusion-matrix"><table class="confusion" data-testid="confusion-matrix">
                <caption>
                    "Rows: the true digit; columns: the predicted digit. "
                    {format!("{} of {} test digits on the diagonal (correct).", format::thousands(correct as usize), format::thousands(total as usize))}
                </caption>
                <thead>
                    <tr>
                        <th scope="col" class="corner" title="rows: true digit; columns: predicted digit">"true \\ pred."</th>
                        {head}
                        <th scope="col" class="num recall">"correct"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table></Wide>
        </div>
        <p class="muted small" data-testid="top-confusions">{confusions_text}</p>
        <p class="exports">
            <button class="link export" data-testid="png-p3-confusion-matrix" aria-label="Save the confusion matrix as PNG"
                on:click=move |_| png_error.set(save_matrix_png("p3-confusion-matrix", &matrix).err())>"Save PNG"</button>
            {move || png_error.get().map(|e| view! { <span class="warning small">{format!(" could not save: {e}")}</span> })}
        </p>
    }
    .into_any()
}

/// The `n` largest off-diagonal counts as (true, predicted, count), largest first.
fn top_confusions(confusion: &[Vec<u32>], n: usize) -> Vec<(usize, usize, u32)> {
    let mut off: Vec<(usize, usize, u32)> = confusion
        .iter()
        .enumerate()
        .flat_map(|(t, row)| row.iter().enumerate().filter(move |&(p, &c)| p != t && c > 0).map(move |(p, &c)| (t, p, c)))
        .collect();
    off.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    off.truncate(n);
    off
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_confusions_first() {
        let mut m = vec![vec![0u32; 3]; 3];
        m[0][0] = 9;
        m[1][2] = 4;
        m[2][1] = 7;
        m[0][1] = 4;
        assert_eq!(top_confusions(&m, 2), vec![(2, 1, 7), (0, 1, 4)]);
    }
}
