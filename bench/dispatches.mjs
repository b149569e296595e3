// GPU dispatches and milliseconds per training step of the app's page on WebGPU (headless
// Chromium: SwiftShader). One page run per model, one epoch; the counters are
// bench/lib/dispatches.mjs's (dispatchWorkgroups{,Indirect} and queue submits inside the
// workers, snapshotted at each progress report). Milliseconds per step are the span between
// two reports over its steps; a report is posted when its read (the loss and accuracy tally)
// has landed, so they count the device's work, not only its submission, as the app's steps
// pay it. Dispatches per step are the median over one-step gaps between reports.
//
//   node bench/dispatches.mjs [--models p2,p3] [--train-size 1280] [--test-size 500]
//        [--warmup-steps 2] [--backend webgpu] [--json out.json]
//   env: BENCH_DIST (default dist/), CHROMIUM (default /usr/bin/chromium)
//
// `--warmup-steps K` leaves the first K steps out of the per-step figures (their shaders
// compile, and autotune runs, there); step 1's own time is reported apart.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve, profileDir, launch } from './lib/server.mjs';
import { watchWorkers, perStep } from './lib/dispatches.mjs';

const BENCH = path.dirname(new URL(import.meta.url).pathname);
const ROOT = path.resolve(BENCH, '..');

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'p2' },
    'train-size': { type: 'string', default: '1280' },
    'test-size': { type: 'string', default: '500' },
    'warmup-steps': { type: 'string', default: '2' },
    backend: { type: 'string', default: 'webgpu' },
    'timeout-min': { type: 'string', default: '20' },
    json: { type: 'string' },
  },
});

/** The page's URL for one run (bench/lib/page.mjs's hyper-parameters for P2/P3). */
function url(base, model) {
  const q = new URLSearchParams({
    experiment: model, epochs: '1', train_size: args['train-size'], test_size: args['test-size'], seed: '1',
    backend: args.backend, batch_size: '128', lr: '0.1', autostart: '1',
  });
  return `${base}/?${q}`;
}

async function runModel(base, model) {
  const { context, page } = await launch(profileDir(`dispatches-${model}`));
  const watch = watchWorkers(page);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  try {
    await page.goto(url(base, model));
    const deadline = Date.now() + Number(args['timeout-min']) * 60_000;
    let status = '';
    let log = null;
    while (Date.now() < deadline) {
      log = await watch.read();
      status = await page.evaluate(() => document.querySelector('[data-testid="run-status"]')?.textContent ?? '').catch(() => '');
      if (status === 'done' || status.startsWith('error')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    log = await watch.read();
    const backend = await page.evaluate(() => document.querySelector('[data-testid="backend"]')?.textContent ?? '').catch(() => '');
    return { model, status, backend, errors: errors.slice(0, 5), ...summarise(log) };
  } finally {
    await context.close();
  }
}

/** Per-step figures from one worker's snapshots (epoch 1). */
function summarise(log) {
  if (!log) return { note: 'no progress report seen in any worker' };
  const snaps = log.snapshots.filter((s) => s.epoch === 1);
  const first = snaps.find((s) => s.step === 1);
  const to = snaps.at(-1);
  const out = {
    steps: to?.steps,
    reports: snaps.length,
    firstStepSeconds: first?.elapsed ?? null,
    totalDispatches: log.dispatch + log.indirect,
    indirectDispatches: log.indirect,
    submits: log.submit,
  };
  const per = perStep(log, { epoch: 1, from: Number(args['warmup-steps']) });
  if (per) {
    Object.assign(out, {
      measuredSteps: `${per.firstStep}..${per.lastStep} (${per.steps})`,
      dispatchesPerStep: per.dispatches,
      submitsPerStep: per.submits,
      msPerStep: per.ms,
    });
  }
  out.byStep = snaps.map((s, i) => i === 0 ? { step: s.step, elapsed: s.elapsed } : {
    step: s.step,
    dispatches: (s.dispatches - snaps[i - 1].dispatches) / (s.step - snaps[i - 1].step),
    ms: Math.round(((s.elapsed - snaps[i - 1].elapsed) * 1000) / (s.step - snaps[i - 1].step)),
  });
  return out;
}

const dist = path.resolve(process.env.BENCH_DIST ?? path.join(ROOT, 'dist'));
if (!fs.existsSync(path.join(dist, 'index.html'))) {
  console.error(`no build in ${dist}: run trunk build --release first`);
  process.exit(2);
}
const server = await serve({ dist, tfjsPage: path.join(BENCH, 'tfjs'), tensorflow: path.join(BENCH, 'node_modules/@tensorflow'), mnist: path.join(ROOT, 'assets/mnist') });
const results = [];
try {
  for (const model of args.models.split(',')) {
    const r = await runModel(server.url, model);
    results.push(r);
    const { byStep, ...head } = r;
    console.log(JSON.stringify(head));
    console.log(`  per step: ${byStep?.map((s) => s.dispatches === undefined ? `#${s.step} ${(s.elapsed * 1000).toFixed(0)} ms` : `#${s.step} ${s.dispatches}d ${s.ms}ms`).join(', ')}`);
  }
} finally {
  server.close();
}
if (args.json) fs.writeFileSync(args.json, JSON.stringify({ dist, date: new Date().toISOString(), args, results }, null, 2));
