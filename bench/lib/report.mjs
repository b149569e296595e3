// From runs to figures: warm-up epochs, scaling of reduced runs, medians, the Markdown table.

export const MODEL_NAMES = {
  p2: 'P2 MLP 784-64-64-10',
  p2d: 'P2D MLP 784-500-300-10 + L2',
  p3: 'P3 CNN',
  p4: 'P4 autoencoder',
};

/** The column every ratio is taken against. */
export const REFERENCE = 'tfjs-wasm';
/** The second reference, when the run has it: PyTorch on the CPU (the issue's native target). */
export const TORCH_REFERENCE = 'torch';

const thousands = (n) => (n == null ? '—' : Number(n).toLocaleString('en-US'));
const sec = (s) => (s == null ? '—' : s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s.toFixed(2));
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * One run's seconds per epoch at the target size. Warm-up epochs are dropped; a run on
 * fewer images than the target has its training part scaled by target/images while its
 * validation (always the 10,000 test images) is kept as measured. Without a training /
 * validation split the run is not scaled at all (estimate null): scaling the whole epoch
 * would multiply the validation too.
 */
export function derive(run) {
  if (run.status !== 'ok' || !run.epochs?.length) return null;
  const kept = run.epochs.slice(Math.min(run.warmupEpochs, run.epochs.length - 1));
  const measured = mean(kept.map((e) => e.seconds));
  const split = kept.every((e) => e.trainSeconds != null);
  const train = split ? mean(kept.map((e) => e.trainSeconds)) : null;
  const validation = split ? measured - train : null;
  const factor = run.targetImages / run.images;
  let estimate = null;
  if (run.images === run.targetImages) estimate = measured;
  else if (split) estimate = validation + train * factor;
  return {
    measured, train, validation, factor, estimate,
    firstEpoch: run.warmupEpochs > 0 ? run.epochs[0].seconds : null,
  };
}

/** Rows of the table: one per model × column, in the order asked for. */
export function summarise(runs, models, columns) {
  const rows = [];
  for (const model of models) {
    for (const column of columns) {
      const cell = runs.filter((r) => r.model === model && r.column === column);
      if (!cell.length) continue;
      const ok = cell.filter((r) => r.status === 'ok').map((r) => ({ run: r, d: derive(r) }));
      const estimates = ok.map((x) => x.d.estimate).filter((v) => v != null);
      const failed = cell.filter((r) => r.status !== 'ok');
      rows.push({
        model, column, cell, ok, failed,
        median: estimates.length ? median(estimates) : null,
        min: estimates.length ? Math.min(...estimates) : null,
        max: estimates.length ? Math.max(...estimates) : null,
        measuredMedian: ok.length ? median(ok.map((x) => x.d.measured)) : null,
        repeats: estimates.length,
        images: cell[0].images,
        targetImages: cell[0].targetImages,
      });
    }
  }
  const ratio = (row, column) => {
    const ref = rows.find((r) => r.model === row.model && r.column === column);
    return row.median != null && ref?.median != null && ref.targetImages === row.targetImages ? row.median / ref.median : null;
  };
  for (const row of rows) {
    row.ratio = ratio(row, REFERENCE);
    row.torchRatio = ratio(row, TORCH_REFERENCE);
  }
  return rows;
}

function notes(row) {
  const parts = [];
  if (row.failed.length && !row.ok.length) {
    const f = row.failed[0];
    const label = f.status === 'not implemented' ? 'n/a (not implemented)' : f.status === 'unsupported' ? 'unsupported' : 'error';
    parts.push(`${label}: ${f.message ?? ''}`.trim());
    return parts.join('; ');
  }
  if (row.failed.length) parts.push(`${row.failed.length} run(s) failed: ${row.failed[0].message}`);
  const first = row.ok[0];
  if (first) {
    if (first.run.backend) parts.push(first.run.backend);
    // The app's worker: worker_loader.js (one thread) or worker_mt_loader.js?threads=N.
    if (first.run.worker) parts.push(`${first.run.worker}${first.run.isolated ? ', isolated' : ''}`);
    const dispatches = row.ok.map((x) => x.run.dispatches?.dispatches).filter((v) => v != null);
    if (dispatches.length) parts.push(`${median(dispatches).toFixed(0)} GPU dispatches/step`);
    const d = first.d;
    const splits = row.ok.filter((x) => x.d.train != null);
    const train = splits.length ? median(splits.map((x) => x.d.train)) : null;
    const val = splits.length ? median(splits.map((x) => x.d.validation)) : null;
    if (row.images === row.targetImages && splits.length) {
      parts.push(`${sec(train)} s training + ${sec(val)} s validation`);
    }
    if (row.images !== row.targetImages) {
      parts.push(d.estimate == null
        ? `not scaled (no training/validation split): ${sec(row.measuredMedian)} s/epoch measured on ${thousands(row.images)} images`
        : `scaled: measured on ${thousands(row.images)} images (${sec(row.measuredMedian)} s/epoch = ${sec(train)} s training + ${sec(val)} s validation on 10,000), ×${d.factor.toFixed(1)} for the training part`);
    }
    const firsts = row.ok.map((x) => x.d.firstEpoch).filter((v) => v != null);
    if (firsts.length) parts.push(`warm-up epoch excluded (first epoch: ${sec(median(firsts))} s)`);
    if (first.run.source && !/^results JSON|^native JSON history$|^torch JSON history$|^model\.fit/.test(first.run.source)) parts.push(`from ${first.run.source}`);
  }
  return parts.join('; ');
}

/** The Markdown report. */
export function markdown({ rows, runs, env, options, pageFigures }) {
  const lines = [];
  const withTorch = rows.some((r) => r.column === TORCH_REFERENCE);
  lines.push(`# mnist-lab benchmark, ${env.date}`);
  lines.push('');
  lines.push(`Machine: ${env.nproc} cores (${env.cpu}), ${env.memoryGiB} GiB; load average at start ${env.loadStart}, at end ${env.loadEnd}. ` +
    `${env.chromium}; WebGPU adapter: ${env.adapter ?? 'none'}. Node ${env.node}. App commit ${env.commit}.`);
  lines.push('');
  lines.push(`Command: \`${env.command}\`. Every epoch is training on the given number of images plus validation on the ` +
    `10,000 test images (the bench never passes \`test_size\`, which would shrink it). ` +
    `Seconds per epoch: median over ${options.repeats} repeat(s) of each run's mean epoch` +
    `${options.epochs > 1 ? ` (${options.epochs} epochs per run)` : ''}; runs of all columns interleaved, repeat by repeat. ` +
    `"÷ ${REFERENCE}": this row's time over TF.js-wasm's for the same model (below 1: faster than TF.js)` +
    `${withTorch ? `; "÷ ${TORCH_REFERENCE}": over PyTorch's on the CPU (default threads), the same way` : ''}.`);
  lines.push('');
  lines.push(`| model | column | s/epoch (median) | min | max | repeats | images | ÷ ${REFERENCE} |${withTorch ? ` ÷ ${TORCH_REFERENCE} |` : ''} notes |`);
  lines.push(`| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |${withTorch ? ' ---: |' : ''} --- |`);
  for (const r of rows) {
    const images = r.images === r.targetImages ? thousands(r.images) : `${thousands(r.images)} → ${thousands(r.targetImages)}`;
    const ratio = r.column === REFERENCE && r.median != null ? '1' : r.ratio == null ? '—' : r.ratio.toFixed(2);
    const torchRatio = r.column === TORCH_REFERENCE && r.median != null ? '1' : r.torchRatio == null ? '—' : r.torchRatio.toFixed(2);
    lines.push(`| ${MODEL_NAMES[r.model] ?? r.model} | ${r.column} | ${sec(r.median)} | ${sec(r.min)} | ${sec(r.max)} | ${r.repeats} | ${images} | ${ratio} |${withTorch ? ` ${torchRatio} |` : ''} ${notes(r).replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`);
  }
  if (pageFigures.length) {
    lines.push('');
    lines.push('## The page while it trains');
    lines.push('');
    lines.push('Main-thread long tasks (PerformanceObserver "longtask", registered before navigation) between the first ' +
      'epoch\'s start and the worker\'s result, and the time from navigation to the first epoch\'s start on a load ' +
      'whose dataset is already in Cache Storage (each column\'s profile is primed by one load first; the start is ' +
      'the first progress report\'s arrival minus the epoch time it carries).');
    lines.push('');
    lines.push('| model | column | runs | long tasks during training (median count) | longest (ms) | long tasks, whole load | longest, whole load (ms) | navigation → first epoch start (s, median) | cold load → dataset ready (s) |');
    lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const f of pageFigures) {
      lines.push(`| ${MODEL_NAMES[f.model] ?? f.model} | ${f.column} | ${f.runs} | ${f.longtasks} | ${f.longestMs} | ${f.wholeLoad} | ${f.longestWholeMs} | ${sec(f.navToFirstEpoch)} | ${sec(f.coldDataReady)} |`);
    }
  }
  const errors = runs.filter((r) => r.status === 'error');
  if (errors.length) {
    lines.push('');
    lines.push('## Failed runs');
    lines.push('');
    for (const e of errors) lines.push(`- ${e.model} ${e.column} (repeat ${e.repeat}, ${thousands(e.images)} images): ${e.message}`);
  }
  lines.push('');
  return lines.join('\n');
}
