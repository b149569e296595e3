// GPU dispatches counted inside the app's Web Workers (bench/dispatches.mjs, and the
// page-webgpu column's "dispatches/step" note). `instrument` runs in each worker as it
// starts (Playwright's `worker.evaluate`): it counts
// `GPUComputePassEncoder.prototype.dispatchWorkgroups{,Indirect}` and `GPUQueue.submit`, and
// wraps `postMessage` so that every progress report the training worker posts
// (`{Progress: {epoch, step, elapsed_seconds, …}}`; one per step while steps take longer
// than `REPORT_EVERY`, src/experiment/run.rs) snapshots the counters. A report goes out when
// its read has landed, with the next step already encoded (src/train/report.rs).

/** Runs in a worker (serialised by Playwright: self-contained). */
export function instrument() {
  if (self.__dispatches) return;
  const counts = self.__dispatches = { dispatch: 0, indirect: 0, submit: 0, snapshots: [] };
  const P = self.GPUComputePassEncoder?.prototype;
  if (P) {
    const direct = P.dispatchWorkgroups;
    P.dispatchWorkgroups = function (...a) { counts.dispatch++; return direct.apply(this, a); };
    const indirect = P.dispatchWorkgroupsIndirect;
    P.dispatchWorkgroupsIndirect = function (...a) { counts.indirect++; return indirect.apply(this, a); };
  }
  const Q = self.GPUQueue?.prototype;
  if (Q) {
    const submit = Q.submit;
    Q.submit = function (...a) { counts.submit++; return submit.apply(this, a); };
  }
  const post = self.postMessage.bind(self);
  self.postMessage = function (message, ...rest) {
    const progress = message?.Progress ?? message?.output?.Progress;
    if (progress) {
      counts.snapshots.push({
        epoch: progress.epoch, step: progress.step, steps: progress.steps, elapsed: progress.elapsed_seconds,
        dispatches: counts.dispatch + counts.indirect, submits: counts.submit,
      });
    }
    return post(message, ...rest);
  };
}

/**
 * Counts the page's workers from now on: call before navigating. `read()` resolves to the
 * log of the worker that reported the most progress (null if none), polling every worker
 * still alive; call it while the run goes too, since a worker may be gone by the end.
 */
export function watchWorkers(page) {
  const workers = new Set();
  const logs = new Map();
  page.on('worker', (w) => {
    workers.add(w);
    w.evaluate(instrument).catch(() => {});
  });
  return {
    async read() {
      for (const w of workers) {
        const log = await w.evaluate(() => self.__dispatches && { ...self.__dispatches }).catch(() => null);
        if (log?.snapshots?.length) logs.set(w, log);
      }
      return [...logs.values()].sort((a, b) => b.snapshots.length - a.snapshots.length)[0] ?? null;
    },
  };
}

/**
 * Dispatches, submits and milliseconds per step between the report of step `from` and the
 * last report of `epoch` (so steps from+1 … last), or null when there are not two reports.
 */
export function perStep(log, { epoch = 1, from = 2 } = {}) {
  const snaps = (log?.snapshots ?? []).filter((s) => s.epoch === epoch);
  const start = snaps.find((s) => s.step >= from);
  const end = snaps.at(-1);
  if (!start || !end || end.step <= start.step) return null;
  const n = end.step - start.step;
  // A report is posted when its read lands, and the loop has encoded the next step by then
  // (src/train/report.rs): a snapshot's counts run one step ahead of its step, and the last
  // one's do not (no step follows). So dispatches and submits per step are the median over
  // one-step gaps between reports; the milliseconds are the span's mean.
  const between = snaps.filter((s) => s.step > start.step).map((s, i, all) => [i === 0 ? start : all[i - 1], s]).filter(([a, b]) => b.step - a.step === 1);
  const median = (values) => { const v = [...values].sort((a, b) => a - b); return v.length ? v[v.length >> 1] : null; };
  return {
    steps: n, firstStep: start.step + 1, lastStep: end.step,
    dispatches: median(between.map(([a, b]) => b.dispatches - a.dispatches)) ?? (end.dispatches - start.dispatches) / n,
    submits: median(between.map(([a, b]) => b.submits - a.submits)) ?? (end.submits - start.submits) / n,
    ms: ((end.elapsed - start.elapsed) * 1000) / n,
  };
}
