//! The whole report in one click: the page side of [`crate::experiment::report`]. The core
//! says which parts, with which settings, how much is done and how long the rest takes;
//! this starts each part through the [`Lab`] when the previous one is done, and shows one
//! bar, the list of parts, and pause / resume / cancel for the whole.

use leptos::prelude::*;

use crate::ui::components::format;
use super::lab::{Lab, Tab};
use super::state::RunStatus;
use crate::experiment::report::{self, ReportPart, ReportPreset};
use crate::experiment::ExperimentId;
use crate::web;

/// Where a part of the report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartState {
    Queued,
    Running,
    Done,
    /// Finished by an earlier visit (a report interrupted by a reload) and kept: shown, not
    /// trained again.
    Kept,
    /// Not run: the report was cancelled or failed before it.
    Skipped,
    Failed,
}

impl PartState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Kept => "kept from an earlier visit",
            Self::Skipped => "not run",
            Self::Failed => "failed",
        }
    }
}

/// One line of the report's list.
#[derive(Debug, Clone, PartialEq)]
pub struct PartView {
    pub experiment: ExperimentId,
    pub title: &'static str,
    pub state: PartState,
}

/// The report's state. `Copy`.
#[derive(Clone, Copy)]
pub struct Report {
    /// The preset the next report runs with (the form's choice).
    pub preset: RwSignal<ReportPreset>,
    /// The preset of the current (or last) report.
    pub running_preset: RwSignal<Option<ReportPreset>>,
    pub parts: RwSignal<Vec<PartView>>,
    /// Estimated seconds of each part (see [`report::estimated_seconds`]).
    estimates: RwSignal<Vec<f64>>,
    /// `idle`, `running`, `paused`, `done` or `error: …`, as a run's.
    pub status: RwSignal<RunStatus>,
    /// The note after a cancel (`Some(parts done)`).
    pub cancelled: RwSignal<Option<usize>>,
    started_ms: RwSignal<f64>,
    /// Milliseconds spent paused, not counted in the pace.
    paused_ms: RwSignal<f64>,
    paused_since: RwSignal<Option<f64>>,
    /// Ticks every second while the report runs, for the time left.
    now_ms: RwSignal<f64>,
    ticker: StoredValue<Option<IntervalHandle>, LocalStorage>,
}

impl Default for Report {
    fn default() -> Self {
        Self::new()
    }
}

impl Report {
    pub fn new() -> Self {
        Self {
            preset: RwSignal::new(ReportPreset::Quick),
            running_preset: RwSignal::new(None),
            parts: RwSignal::new(Vec::new()),
            estimates: RwSignal::new(Vec::new()),
            status: RwSignal::new(RunStatus::Idle),
            cancelled: RwSignal::new(None),
            started_ms: RwSignal::new(0.0),
            paused_ms: RwSignal::new(0.0),
            paused_since: RwSignal::new(None),
            now_ms: RwSignal::new(0.0),
            ticker: StoredValue::new_local(None),
        }
    }

    /// Running or paused (tracked).
    pub fn is_running(&self) -> bool {
        self.status.with(|s| matches!(s, RunStatus::Running | RunStatus::Paused))
    }

    /// The visitor picks the preset: it goes into every tab's setup, so the address bar
    /// keeps it (`report=`).
    pub fn choose(&self, lab: Lab, preset: ReportPreset) {
        self.preset.set(preset);
        for id in ExperimentId::ALL {
            lab.query(id).update(|q| q.report = Some(preset));
        }
        if let Tab::Experiment(id) = lab.active.get_untracked() {
            web::replace_query(&lab.query(id).with_untracked(crate::experiment::PageQuery::to_query_string));
        }
    }

    fn current(&self) -> Option<(usize, ExperimentId)> {
        self.parts.with_untracked(|p| p.iter().position(|p| p.state == PartState::Running).map(|i| (i, p[i].experiment)))
    }

    fn set_state(&self, index: usize, state: PartState) {
        self.parts.update(|p| {
            if let Some(part) = p.get_mut(index) {
                part.state = state;
            }
        });
    }

    /// How much of each part is done (tracked).
    fn part_fractions(&self, lab: &Lab) -> Vec<f64> {
        self.parts.with(|parts| {
            parts.iter().map(|p| match p.state {
                PartState::Done | PartState::Kept => 1.0,
                PartState::Running => lab.fraction_done(p.experiment),
                _ => 0.0,
            }).collect()
        })
    }

    /// Fraction of the whole report done (tracked).
    pub fn fraction_done(&self, lab: &Lab) -> f64 {
        let fractions = self.part_fractions(lab);
        self.estimates.with(|e| report::overall_fraction(e, &fractions))
    }

    /// Seconds left for the whole report (tracked; ticks every second).
    pub fn seconds_left(&self, lab: &Lab) -> f64 {
        let fractions = self.part_fractions(lab);
        let paused_now = self.paused_since.get().map_or(0.0, |since| self.now_ms.get() - since);
        let elapsed = (self.now_ms.get() - self.started_ms.get() - self.paused_ms.get() - paused_now).max(0.0) / 1000.0;
        self.estimates.with(|e| report::seconds_left(e, &fractions, elapsed))
    }

    /// Starts the whole report with `preset`: each tab's setup becomes the part's, and the
    /// parts run in order. Nothing if the dataset is not loaded or something trains.
    pub fn start(&self, lab: Lab, preset: ReportPreset) {
        if self.is_running() || !lab.data.with_untracked(|d| d.is_ready()) || untrack(|| lab.busy_experiment()).is_some() {
            return;
        }
        let (backend, data) = lab.p2.query.with_untracked(|q| (q.backend, q.data.clone()));
        let plan = report::plan(preset, backend, data);
        let workers = lab.sweep.cpu_workers.get_untracked();
        self.estimates.set(plan.iter().map(|p| report::estimated_seconds(p, workers)).collect());
        self.parts.set(plan.iter().map(|p| PartView { experiment: p.experiment, title: p.title(), state: PartState::Queued }).collect());
        for part in &plan {
            set_part_query(&lab, part, preset);
        }
        // P4 uses the CNN that the report's P3 keeps.
        lab.p4.cnn_choice.set(Some(crate::ui::tabs::denoise::CnnChoice::Kept));
        let now = web::now_ms();
        self.started_ms.set(now);
        self.now_ms.set(now);
        self.paused_ms.set(0.0);
        self.paused_since.set(None);
        self.cancelled.set(None);
        self.running_preset.set(Some(preset));
        self.status.set(RunStatus::Running);
        let now_ms = self.now_ms;
        let ticker = set_interval_with_handle(move || now_ms.set(web::now_ms()), std::time::Duration::from_secs(1)).ok();
        if let Some(old) = self.ticker.try_update_value(|t| std::mem::replace(t, ticker)).flatten() {
            old.clear();
        }
        self.start_part(lab, 0);
    }

    /// Starts part `index`, unless an earlier visit kept it (then it is shown and the next
    /// part starts); a part interrupted at an epoch's end goes on from its checkpoint. So a
    /// report cut short by a reload or a crash resumes where it was when started again.
    fn start_part(&self, lab: Lab, index: usize) {
        let Some(id) = self.parts.with_untracked(|p| p.get(index).map(|p| p.experiment)) else {
            return self.finish(RunStatus::Done);
        };
        lab.switch_to(Tab::Experiment(id));
        if let Some(record) = kept_part(&lab, id) {
            self.set_state(index, PartState::Kept);
            lab.show_in_tab(record);
            return self.start_part(lab, index + 1);
        }
        let checkpoint = untrack(|| lab.dataset()).map(|d| crate::experiment::record::record_key(&lab.query(id).with_untracked(|q| q.config.clone()), &d));
        if let Some(key) = checkpoint.filter(|k| lab.controller(id).is_some() && lab.kept.checkpoints.with_untracked(|c| c.contains_key(k))) {
            // Marked running once started: the part's status decides what follows.
            let this = *self;
            leptos::task::spawn_local(async move {
                let resumed = match lab.kept.load_checkpoint(&key).await {
                    Ok(checkpoint) => lab.resume_from(id, checkpoint, true).is_ok(),
                    Err(_) => false,
                };
                if resumed {
                    this.set_state(index, PartState::Running);
                } else {
                    this.start_fresh(lab, index, id);
                }
            });
            return;
        }
        self.start_fresh(lab, index, id);
    }

    fn start_fresh(&self, lab: Lab, index: usize, id: ExperimentId) {
        self.set_state(index, PartState::Running);
        if !lab.start_as(id, true) {
            self.set_state(index, PartState::Failed);
            self.finish(RunStatus::Error(format!("{} could not start", self.parts.with_untracked(|p| p[index].title))));
        }
    }

    /// Reacts to the running part's status: the next part after `done`; the report stops
    /// on an error or a cancel (finished parts keep their figures).
    fn on_part_status(&self, lab: Lab, status: RunStatus) {
        let Some((index, _)) = self.current() else { return };
        match status {
            RunStatus::Done => {
                self.set_state(index, PartState::Done);
                self.start_part(lab, index + 1);
            }
            RunStatus::Error(message) => {
                self.set_state(index, PartState::Failed);
                self.skip_rest();
                self.finish(RunStatus::Error(format!("{} failed: {message}", self.parts.with_untracked(|p| p[index].title))));
            }
            RunStatus::Idle => {
                // Cancelled (in the part's tab, or by the report's Cancel).
                self.set_state(index, PartState::Skipped);
                self.skip_rest();
                let done = self.parts.with_untracked(|p| p.iter().filter(|p| p.state == PartState::Done).count());
                self.cancelled.set(Some(done));
                self.finish(RunStatus::Idle);
            }
            RunStatus::Paused => {
                if self.paused_since.get_untracked().is_none() {
                    self.paused_since.set(Some(web::now_ms()));
                }
                self.status.set(RunStatus::Paused);
            }
            RunStatus::Running => {
                if let Some(since) = self.paused_since.get_untracked() {
                    self.paused_ms.update(|p| *p += web::now_ms() - since);
                    self.paused_since.set(None);
                }
                self.status.set(RunStatus::Running);
            }
        }
    }

    fn skip_rest(&self) {
        self.parts.update(|p| p.iter_mut().filter(|p| p.state == PartState::Queued).for_each(|p| p.state = PartState::Skipped));
    }

    fn finish(&self, status: RunStatus) {
        if let Some(ticker) = self.ticker.try_update_value(Option::take).flatten() {
            ticker.clear();
        }
        self.paused_since.set(None);
        self.status.set(status);
    }

    pub fn pause(&self, lab: Lab) {
        if let Some((_, id)) = self.current() {
            lab.pause(id);
        }
    }

    pub fn resume(&self, lab: Lab) {
        if let Some((_, id)) = self.current() {
            lab.resume(id);
        }
    }

    pub fn cancel(&self, lab: Lab) {
        if let Some((_, id)) = self.current() {
            lab.cancel(id);
        }
    }

    /// Follows the running part's status for as long as the page lives.
    pub fn install(&self, lab: Lab) {
        let this = *self;
        Effect::new(move |_| {
            let current = this.parts.with(|p| p.iter().position(|p| p.state == PartState::Running).map(|i| p[i].experiment));
            let Some(id) = current else { return };
            let status = lab.status(id);
            untrack(|| this.on_part_status(lab, status));
        });
    }
}

/// The kept run of the part `id` at its tab's setup, if an earlier visit finished it (P2D:
/// its last network, when every network of the sweep is kept; a sweep with some kept runs
/// only the others). P3's counts only while the kept CNN is that run's (P4 reads the kept
/// CNN).
fn kept_part(lab: &Lab, id: ExperimentId) -> Option<crate::experiment::record::RunRecord> {
    let dataset = untrack(|| lab.dataset())?;
    if id == ExperimentId::P2d {
        let networks = lab.query(id).with_untracked(|q| crate::ui::tabs::sweep::networks_of(q, Some(&dataset)));
        let kept: Option<Vec<_>> = networks.iter().map(|n| untrack(|| lab.kept.find(&n.config, &dataset))).collect();
        return kept?.pop();
    }
    let config = lab.query(id).with_untracked(|q| q.config.clone());
    let record = untrack(|| lab.kept.find(&config, &dataset))?;
    if id == ExperimentId::P3 {
        let pairs = config.to_pairs();
        let kept_cnn_is_it = lab.p3.stored.info.with_untracked(|info| {
            info.as_ref().is_some_and(|info| pairs.iter().all(|(k, v)| info.metadata.get(&format!("config.{k}")) == Some(v)))
        });
        if !kept_cnn_is_it {
            return None;
        }
    }
    Some(record)
}

/// Makes the part's setup its tab's (so the tab shows what the report ran).
fn set_part_query(lab: &Lab, part: &ReportPart, preset: ReportPreset) {
    lab.query(part.experiment).set(crate::experiment::PageQuery { report: Some(preset), ..part.query.clone() });
}

/// The lab bar's report controls: the preset, Run the whole report, and while it runs one
/// bar with the time left, the list of parts and pause / resume / cancel.
#[component]
pub fn ReportBar() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let report = lab.report;
    let running = move || report.is_running();
    let paused = move || report.status.with(|s| *s == RunStatus::Paused);
    let can_start = move || !running() && lab.data.with(|d| d.is_ready()) && lab.busy_experiment().is_none();
    let shown = move || report.running_preset.with(Option::is_some);
    view! {
        <div class="report-bar" role="group" aria-label="The whole report">
            <div class="report-actions">
                <button class="primary" data-testid="report-button" disabled=move || !can_start()
                    on:click=move |_| report.start(lab, report.preset.get_untracked())>
                    "Run the whole report"
                </button>
                <label class="inline-select">
                    <span class="visually-hidden">"Report settings"</span>
                    <select data-testid="report-preset" disabled=running
                        prop:value=move || report.preset.get().as_str()
                        on:change=move |ev| if let Some(p) = ReportPreset::parse(&event_target_value(&ev)) { report.choose(lab, p) }>
                        <option value="quick">"quick: minutes"</option>
                        <option value="full">"full: seed settings"</option>
                    </select>
                </label>
                <Show when=running>
                    <button data-testid="report-pause" on:click=move |_| if paused() { report.resume(lab) } else { report.pause(lab) }>
                        {move || if paused() { "Resume report" } else { "Pause report" }}
                    </button>
                    <button data-testid="report-cancel" on:click=move |_| report.cancel(lab)>"Cancel report"</button>
                </Show>
            </div>
            <Show when=shown>
                <div class="report-progress">
                    <p class="small">
                        <span role="status" aria-live="polite">
                            "Report: " <strong data-testid="report-status">{move || report.status.with(RunStatus::label)}</strong>
                        </span>
                        " · " {move || report.running_preset.get().map(|p| p.description())}
                    </p>
                    <progress data-testid="report-progress" aria-label="the whole report" max="1"
                        value=move || format!("{:.4}", report.fraction_done(&lab))></progress>
                    <p class="small">
                        {move || format!("{:.0} % done", 100.0 * report.fraction_done(&lab))}
                        " · "
                        <span data-testid="report-eta">{move || match report.status.get() {
                            RunStatus::Running => format!("about {} left", format::duration(report.seconds_left(&lab))),
                            RunStatus::Paused => "paused".to_string(),
                            _ => "—".to_string(),
                        }}</span>
                        {move || report.cancelled.get().map(|done| format!(" · cancelled: {done} part(s) finished and kept"))}
                    </p>
                    <ol class="report-parts" data-testid="report-parts">
                        {move || report.parts.get().into_iter().map(|p| view! {
                            <li data-testid=format!("report-part-{}", p.experiment.as_str()) data-state=p.state.label()>
                                {p.title} " — " <span class="muted">{p.state.label()}</span>
                            </li>
                        }).collect_view()}
                    </ol>
                    {move || report.parts.with(|p| p.iter().any(|p| p.state == PartState::Kept)).then(|| view! {
                        <p class="small muted">"Parts kept from an earlier run of these settings are shown, not trained again; forget them in Problem 1's tab to train them again."</p>
                    })}
                </div>
            </Show>
        </div>
    }
}
