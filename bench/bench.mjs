// mnist-lab's benchmark: seconds per epoch of the assignment's models, natively, in the
// app's page (CPU and WebGPU backends), in TensorFlow.js 4.22 on the same Chromium and in
// PyTorch on the CPU, in one run so that the ratios hold on a noisy machine. See
// bench/README.md (and USAGE).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve, profileDir, chromiumPath } from './lib/server.mjs';
import { runNative } from './lib/native.mjs';
import { runPage, prime } from './lib/page.mjs';
import { runTfjs, webgpuAdapter } from './lib/tfjs.mjs';
import { runTorch, torchPython } from './lib/torch.mjs';
import { summarise, markdown, median, derive } from './lib/report.mjs';

const BENCH = path.dirname(new URL(import.meta.url).pathname);
const ROOT = path.resolve(BENCH, '..');

/** What each column runs. `gpu` columns get a warm-up epoch by default (shader compiles). */
const COLUMNS = {
  native: { kind: 'native' },
  'page-cpu': { kind: 'page', backend: 'cpu' },
  // The app cross-origin isolated: the threaded CPU worker, one thread per core.
  'page-cpu-mt': { kind: 'page', backend: 'cpu', isolated: true, threads: os.availableParallelism() },
  'page-webgpu': { kind: 'page', backend: 'webgpu', gpu: true },
  'tfjs-wasm': { kind: 'tfjs', backend: 'wasm' },
  // Cross-origin isolated and asking for one thread per core; the row names how many TF.js used.
  'tfjs-wasm-mt': { kind: 'tfjs', backend: 'wasm', isolated: true, threads: os.availableParallelism() },
  'tfjs-webgl': { kind: 'tfjs', backend: 'webgl', gpu: true },
  'tfjs-webgpu': { kind: 'tfjs', backend: 'webgpu', gpu: true },
  'tfjs-cpu': { kind: 'tfjs', backend: 'cpu' },
  // PyTorch on the CPU outside the browser (bench/torch/train.py): torch's default threads
  // (one per core), and one thread.
  torch: { kind: 'torch' },
  'torch-1t': { kind: 'torch', threads: 1 },
};
/** Columns that run in Chromium (the others are processes of their own). */
const BROWSER_KINDS = ['page', 'tfjs'];
const DEFAULT_COLUMNS = 'native,page-cpu,page-webgpu,tfjs-wasm,tfjs-webgl,tfjs-webgpu';
const MODELS = ['p2', 'p2d', 'p3', 'p4'];

/**
 * Training images measured by default on columns too slow for the full set (SwiftShader's
 * WebGPU runs an MLP step in hundreds of milliseconds); their training part is scaled up.
 * `--measure-size` overrides these, per column or per column and model.
 */
const DEFAULT_MEASURE_SIZES = ['page-webgpu=1280', 'tfjs-webgpu=1280', 'tfjs-cpu=6000'];

/**
 * Cells left out unless `--skip none`: the CNN on SwiftShader (TF.js' WebGL took minutes per
 * epoch on 1,280 images, most of it validating the 10,000 test images), and the page's P4 on
 * SwiftShader (after training, its 4C runs the CNN 22 times over the 10,000 test digits).
 */
const DEFAULT_SKIP = ['page-webgpu:p3', 'tfjs-webgl:p3', 'tfjs-webgpu:p3', 'page-webgpu:p4'];

const USAGE = `usage: node bench/bench.mjs [--epochs 1] [--repeats 3] [--train-size 60000]
    [--models p2,p2d,p3,p4] [--columns ${DEFAULT_COLUMNS}]
    [--size MODEL=N]...  [--measure-size COLUMN[:MODEL]=N]...  [--warmup-epoch auto|0|1]
    [--skip COLUMN:MODEL|none]...  [--threads 1,2] [--timeout-min 60] [--out bench/results]
       node bench/bench.mjs --rerender bench/results/latest.json   (the Markdown again, no runs)
columns: ${Object.keys(COLUMNS).join(', ')}
env: BENCH_DIST (default dist/), BENCH_NATIVE_BIN (default $CARGO_TARGET_DIR/release/mnist-lab),
     CHROMIUM (default /usr/bin/chromium),
     BENCH_TORCH_PYTHON (default $MNIST_LAB_CACHE/torch-venv/bin/python: bench/run installs it for torch columns)`;

function usage(message) {
  if (message) console.error(`error: ${message}\n`);
  (message ? console.error : console.log)(USAGE);
  process.exit(message ? 2 : 0);
}

function positiveInt(name, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) usage(`${name} must be a positive whole number, not '${value}'`);
  return n;
}

/** `KEY=N` pairs into a Map, checking keys against `valid(key)`. */
function sizeMap(name, pairs, valid) {
  const map = new Map();
  for (const pair of pairs) {
    const [key, value] = pair.split('=');
    if (!value || !valid(key)) usage(`${name} takes KEY=N with a known key, not '${pair}'`);
    map.set(key, Math.min(positiveInt(name, value), 60000));
  }
  return map;
}

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      epochs: { type: 'string', default: '1' },
      repeats: { type: 'string', default: '3' },
      'train-size': { type: 'string', default: '60000' },
      models: { type: 'string', default: MODELS.join(',') },
      columns: { type: 'string', default: DEFAULT_COLUMNS },
      size: { type: 'string', multiple: true, default: [] },
      'measure-size': { type: 'string', multiple: true, default: [] },
      'warmup-epoch': { type: 'string', default: 'auto' },
      skip: { type: 'string', multiple: true, default: [] },
      'timeout-min': { type: 'string', default: '60' },
      // Thread scaling: one `page-cpu-mt-Nt` column per count (the isolated page, threads=N).
      threads: { type: 'string' },
      out: { type: 'string', default: path.join(BENCH, 'results') },
      // Re-renders the Markdown of an earlier run's JSON (no measuring).
      rerender: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) usage();
  const models = values.models.split(',').filter(Boolean);
  const columns = values.columns.split(',').filter(Boolean);
  for (const n of (values.threads ?? '').split(',').filter(Boolean)) {
    const threads = positiveInt('--threads', n);
    const name = `page-cpu-mt-${threads}t`;
    COLUMNS[name] = { kind: 'page', backend: 'cpu', isolated: true, threads };
    if (!columns.includes(name)) columns.push(name);
  }
  for (const m of models) if (!MODELS.includes(m)) usage(`unknown model '${m}' (${MODELS.join(', ')})`);
  for (const c of columns) if (!COLUMNS[c]) usage(`unknown column '${c}' (${Object.keys(COLUMNS).join(', ')})`);
  if (!['auto', '0', '1'].includes(values['warmup-epoch'])) usage('--warmup-epoch is auto, 0 or 1');
  const trainSize = Math.min(positiveInt('--train-size', values['train-size']), 60000);
  const isMeasureKey = (k) => { const [c, m] = k.split(':'); return COLUMNS[c] && (m === undefined || MODELS.includes(m)); };
  const skips = values.skip.includes('none') ? values.skip.filter((k) => k !== 'none') : [...DEFAULT_SKIP, ...values.skip];
  for (const k of skips) if (!k.includes(':') || !isMeasureKey(k)) usage(`--skip takes COLUMN:MODEL or none, not '${k}'`);
  return {
    epochs: positiveInt('--epochs', values.epochs),
    repeats: positiveInt('--repeats', values.repeats),
    trainSize, models, columns,
    targetSizes: sizeMap('--size', values.size, (k) => MODELS.includes(k)),
    measureSizes: sizeMap('--measure-size', [...DEFAULT_MEASURE_SIZES, ...values['measure-size']], isMeasureKey),
    warmup: values['warmup-epoch'],
    // Cells not to run at all (e.g. page-webgpu:p3, a CNN on SwiftShader).
    skip: new Set(skips),
    timeoutMs: positiveInt('--timeout-min', values['timeout-min']) * 60_000,
    out: path.resolve(values.out),
    rerender: values.rerender ? path.resolve(values.rerender) : null,
  };
}

/** Target images of a model, and how many a column actually trains on (never more). */
function sizes(options, model, column) {
  const target = options.targetSizes.get(model) ?? options.trainSize;
  const measure = options.measureSizes.get(`${column}:${model}`) ?? options.measureSizes.get(column) ?? target;
  return { targetImages: target, images: Math.min(measure, target) };
}

function warmupEpochs(options, column) {
  if (options.warmup === 'auto') return COLUMNS[column].gpu ? 1 : 0;
  return Number(options.warmup);
}

function tryRun(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function environment(argv) {
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model?.trim() ?? 'unknown CPU',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadStart: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    chromium: tryRun(chromiumPath(), ['--version'])?.split('\n')[0] ?? 'Chromium (version unknown)',
    node: process.version,
    commit: (tryRun('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']) ?? 'unknown') +
      (tryRun('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : ''),
    command: ['bash bench/run', ...argv].join(' '),
  };
}

const log = (line) => console.error(line);

async function main() {
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);
  if (options.rerender) {
    const saved = JSON.parse(fs.readFileSync(options.rerender, 'utf8'));
    const rows = summarise(saved.runs, saved.options.models, saved.options.columns);
    console.log(markdown({ rows, runs: saved.runs, env: saved.env, options: saved.options, pageFigures: saved.pageFigures }));
    return;
  }
  const dist = path.resolve(process.env.BENCH_DIST ?? path.join(ROOT, 'dist'));
  const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), '.cache/mnist-lab/target');
  const nativeBin = path.resolve(process.env.BENCH_NATIVE_BIN ?? path.join(targetDir, 'release/mnist-lab'));
  const mnist = path.join(ROOT, 'assets/mnist');
  const browserColumns = options.columns.filter((c) => BROWSER_KINDS.includes(COLUMNS[c].kind));
  const python = torchPython();
  if (options.columns.some((c) => COLUMNS[c].kind === 'page') && !fs.existsSync(path.join(dist, 'index.html'))) {
    usage(`no build in ${dist} (trunk build --release, or BENCH_DIST)`);
  }
  if (options.columns.includes('native') && !fs.existsSync(nativeBin)) usage(`no native runner at ${nativeBin} (cargo build --release, or BENCH_NATIVE_BIN)`);
  if (options.columns.some((c) => COLUMNS[c].kind === 'torch') && !fs.existsSync(python)) {
    usage(`no PyTorch python at ${python} (bash bench/run with a torch column installs it, or BENCH_TORCH_PYTHON)`);
  }

  const env = environment(argv);
  const server = await serve({ dist, tfjsPage: path.join(BENCH, 'tfjs'), tensorflow: path.join(BENCH, 'node_modules/@tensorflow'), mnist });
  // One profile per browser column for the whole run: its caches warm up like a visitor's.
  const profiles = Object.fromEntries(browserColumns.map((c) => [c, profileDir(c)]));
  const runs = [];
  const cold = {};
  try {
    if (browserColumns.length) {
      const scratch = profileDir('adapter');
      env.adapter = await webgpuAdapter(scratch, server.url);
      fs.rmSync(scratch, { recursive: true, force: true });
    }
    for (const column of options.columns.filter((c) => COLUMNS[c].kind === 'page')) {
      log(`priming ${column}: one load to put the dataset in Cache Storage`);
      cold[column] = await prime(profiles[column], server.url, options.timeoutMs).catch((e) => { log(`  ${e.message}`); return null; });
    }
    // Repeat by repeat, every model and column in turn: a slow patch of the machine hits
    // all columns alike instead of one column's repeats.
    const skip = new Set([...options.skip].map((k) => { const [c, m] = k.split(':'); return `${m}/${c}`; }));
    for (let repeat = 1; repeat <= options.repeats; repeat++) {
      for (const model of options.models) {
        for (const column of options.columns) {
          if (skip.has(`${model}/${column}`)) continue;
          const spec = COLUMNS[column];
          const { targetImages, images } = sizes(options, model, column);
          const warmup = warmupEpochs(options, column);
          const run = { model, column, repeat, targetImages, images, warmupEpochs: warmup };
          const asked = { model, epochs: options.epochs + warmup, trainSize: images, seed: 1 };
          log(`[${repeat}/${options.repeats}] ${model} ${column}: ${images} images, ${asked.epochs} epoch(s)…`);
          const started = Date.now();
          let outcome;
          if (spec.kind === 'native') outcome = await runNative(nativeBin, mnist, asked, options.timeoutMs);
          else if (spec.kind === 'torch') outcome = await runTorch(python, mnist, { ...asked, threads: spec.threads }, options.timeoutMs);
          else if (spec.kind === 'page') outcome = await runPage(profiles[column], spec.isolated ? `${server.url}/isolated` : server.url, { ...asked, backend: spec.backend, threads: spec.threads }, options.timeoutMs);
          else outcome = await runTfjs(profiles[column], server.url, { ...asked, backend: spec.backend, isolated: spec.isolated, threads: spec.threads }, options.timeoutMs);
          Object.assign(run, outcome, { wallSeconds: (Date.now() - started) / 1000 });
          runs.push(run);
          // Every run so far, so a crash or a kill late in a long bench loses nothing measured.
          fs.mkdirSync(options.out, { recursive: true });
          fs.writeFileSync(path.join(options.out, 'partial.json'), JSON.stringify(runs, null, 1));
          // A run that reports no epoch measured nothing: an error, not a zero.
          if (run.status === 'ok' && !run.epochs?.length) Object.assign(run, { status: 'error', message: 'the run reported no epoch' });
          const d = derive(run);
          log(run.status === 'ok'
            ? `    ${d.measured.toFixed(2)} s/epoch measured${d.estimate != null && run.images !== run.targetImages ? `, ${d.estimate.toFixed(2)} s/epoch at ${targetImages} images` : ''}`
            : `    ${run.status}: ${run.message}`);
          // What cannot run will not run on the next repeat either.
          if (run.status === 'unsupported' || run.status === 'not implemented') skip.add(`${model}/${column}`);
        }
      }
    }
  } finally {
    server.close();
    for (const dir of Object.values(profiles)) fs.rmSync(dir, { recursive: true, force: true });
  }
  env.loadEnd = os.loadavg().map((l) => l.toFixed(2)).join(' ');

  const rows = summarise(runs, options.models, options.columns);
  const pageFigures = [];
  for (const model of options.models) {
    for (const column of options.columns.filter((c) => COLUMNS[c].kind === 'page')) {
      const ok = runs.filter((r) => r.model === model && r.column === column && r.status === 'ok' && r.page);
      if (!ok.length) continue;
      const starts = ok.map((r) => r.page.navToFirstEpochS).filter((v) => v != null);
      pageFigures.push({
        model, column, runs: ok.length,
        longtasks: ok[0].page.longtasks.observed ? median(ok.map((r) => r.page.longtasks.duringTraining)) : 'not observable',
        longestMs: Math.max(...ok.map((r) => r.page.longtasks.maxDuringTrainingMs)).toFixed(0),
        wholeLoad: median(ok.map((r) => r.page.longtasks.wholeLoad)),
        longestWholeMs: Math.max(...ok.map((r) => r.page.longtasks.maxWholeLoadMs)).toFixed(0),
        navToFirstEpoch: starts.length ? median(starts) : null,
        coldDataReady: cold[column] ?? null,
      });
    }
  }
  const report = markdown({ rows, runs, env, options, pageFigures });
  fs.mkdirSync(options.out, { recursive: true });
  fs.writeFileSync(path.join(options.out, 'latest.md'), report);
  const serialisable = { ...options, targetSizes: Object.fromEntries(options.targetSizes), measureSizes: Object.fromEntries(options.measureSizes), skip: [...options.skip] };
  fs.writeFileSync(path.join(options.out, 'latest.json'), `${JSON.stringify({ env, options: serialisable, pageFigures,
    rows: rows.map(({ cell, ok, failed, ...r }) => r), runs }, null, 2)}\n`);
  console.log(report);
  log(`written: ${path.join(options.out, 'latest.md')} and latest.json`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
