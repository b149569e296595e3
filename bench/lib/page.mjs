// The app's own page in headless Chromium, driven through its URL contract
// (?experiment=…&epochs=…&train_size=…&seed=…&backend=cpu|webgpu&autostart=1).
//
// Per-epoch seconds come from the page's own result: P2 and P3's "Download results (JSON)"
// link (fetched inside the page, `history[].seconds`), P2D's finished network as the page
// stores it in localStorage (the same RunResult JSON). The page shows no split of an epoch
// into training and validation, so an init script (HOOK) listens to the worker's messages
// (`{Progress: {step, steps, elapsed_seconds}}`, serde's encoding of src/protocol.rs): the
// progress report of an epoch's last step carries its training seconds, which is what
// scaling a reduced run needs. The same hook times the first epoch's start and records the
// main thread's long tasks.
import { launch } from './server.mjs';
import { watchWorkers, perStep } from './dispatches.mjs';

/** The page's IndexedDB database (src/web/results_store.rs `DB_NAME`): kept runs, weights, checkpoints. */
const RESULTS_DB = 'mnist-lab';

/**
 * The app's columns never run its isolation service worker: a column is cross-origin
 * isolated by the server's headers (/isolated/) or not at all, as its name says.
 */
const APP_LAUNCH = { serviceWorkers: 'block' };

/** Runs in every document before the app's scripts. Keeps only times and small fields. */
function hook(resultsDb) {
  if (window !== window.top || window.__bench) return;
  const bench = window.__bench = { events: [], longtasks: [], workers: 0, scripts: [] };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) bench.longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) {
    bench.longtaskError = String(e);
  }
  // Every run starts with nothing kept: the page restores finished runs (a P2D sweep would
  // resume with its network done and train nothing; P4 would reuse a kept CNN). The app's
  // own open of the database is queued behind this delete, so it finds none.
  try { indexedDB.deleteDatabase(resultsDb); } catch (e) { bench.idbError = String(e); }
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(...args) {
      super(...args);
      const worker = ++bench.workers;
      // Which worker trains: worker_loader.js (one thread) or worker_mt_loader.js?threads=N.
      bench.scripts[worker] = String(args[0]);
      this.addEventListener('message', (message) => {
        const t = performance.now();
        // The worker replies `{id, output}` (src/protocol.rs `Reply`); older builds posted the output alone.
        const d = message.data?.output ?? message.data;
        if (!d || typeof d !== 'object') return;
        // The dataset worker's `Progress` (bytes loaded) has no epoch: not training.
        if (d.Progress && typeof d.Progress.epoch === 'number') {
          const { epoch, step, steps, elapsed_seconds } = d.Progress;
          bench.events.push({ t, worker, kind: 'progress', epoch, step, steps, elapsed: elapsed_seconds });
        } else if (d.EpochEnd) {
          bench.events.push({ t, worker, kind: 'epoch', epoch: d.EpochEnd.epoch, seconds: d.EpochEnd.seconds });
        } else if (d.Status !== undefined) {
          bench.events.push({ t, worker, kind: 'status', text: String(d.Status) });
        } else if (d.Backend) {
          bench.events.push({ t, worker, kind: 'backend', name: d.Backend.name, fallback: d.Backend.fallback_reason });
        } else if (d.Done || d.P4Done) {
          bench.events.push({ t, worker, kind: 'done' });
        } else if (d.Error !== undefined) {
          bench.events.push({ t, worker, kind: 'error', text: String(d.Error) });
        }
      });
    }
  };
}

/** The page's URL for one run; P4's hyper-parameters are left to the page's defaults. */
export function pageUrl(base, { model, backend, epochs, trainSize, seed, threads }) {
  const q = new URLSearchParams({ experiment: model, epochs: String(epochs), train_size: String(trainSize), seed: String(seed), backend });
  if (threads) q.set('threads', String(threads));
  if (model === 'p2' || model === 'p2d' || model === 'p3') {
    q.set('batch_size', '128');
    q.set('lr', '0.1');
  }
  if (model === 'p2d') {
    q.set('factors', '1e-4');
    q.set('replicates', '1');
  }
  // P4 first trains P3's CNN (for 4C/4D) when the browser holds none: one epoch will do.
  if (model === 'p4') q.set('cnn_epochs', '1');
  q.set('autostart', '1');
  return `${base}/?${q}`;
}

/**
 * Loads the page once without training so the dataset lands in Cache Storage (every
 * measured run is then a "second load in the same profile"). Returns the seconds from
 * navigation to `data-status` reading `ready…`.
 */
export async function prime(profile, baseUrl, timeoutMs) {
  const { context, page } = await launch(profile, APP_LAUNCH);
  try {
    await page.goto(`${baseUrl}/?experiment=p2`);
    await page.waitForFunction(() => document.querySelector('[data-testid="data-status"]')?.textContent?.startsWith('ready'), null, { timeout: timeoutMs, polling: 100 });
    return await page.evaluate(() => performance.now() / 1000);
  } finally {
    await context.close();
  }
}

/** One page run. Resolves to {status: 'ok', epochs, …} or {status, message}. */
export async function runPage(profile, baseUrl, options, timeoutMs) {
  const { context, page } = await launch(profile, APP_LAUNCH);
  const consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.location()?.url?.endsWith('/favicon.ico')) consoleErrors.push(m.text());
  });
  try {
    await context.addInitScript(hook, RESULTS_DB);
    // WebGPU runs: GPU dispatches per training step, counted in the workers.
    const watch = options.backend === 'webgpu' ? watchWorkers(page) : null;
    await page.goto(pageUrl(baseUrl, options));
    await page.getByTestId('run-status').first().waitFor({ timeout: 120_000 });
    // An experiment this build does not know is named in the banner (and the page would
    // fall back to autostarting P2: stop here).
    const refused = await page.evaluate(() => document.querySelector('[data-testid="param-errors"]')?.textContent ?? '');
    const unknownExperiment = refused.match(/'experiment=[^']*' is not a valid experiment( \([^)]*\))?/);
    if (unknownExperiment) return { status: 'not implemented', message: unknownExperiment[0] };
    if (refused) return { status: 'error', message: `the page refused the URL: ${refused.trim()}` };
    const settled = page.waitForFunction(() => {
      const s = document.querySelector('[data-testid="run-status"]')?.textContent ?? '';
      return s === 'done' || s.startsWith('error');
    }, null, { timeout: timeoutMs, polling: 250 });
    // The training worker's counters are read while it runs (it may be gone at the end).
    let log = null;
    if (watch) {
      let over = false;
      settled.finally(() => { over = true; }).catch(() => {});
      while (!over) {
        log = (await watch.read()) ?? log;
        await new Promise((r) => setTimeout(r, 1000));
      }
      log = (await watch.read()) ?? log;
    }
    await settled;
    const status = await page.getByTestId('run-status').first().textContent();
    if (status !== 'done') return { status: 'error', message: status };
    // The download link's object URL is made by an effect that may run just after the
    // status reads done; P2D has no link (its result is in localStorage).
    if (options.model !== 'p2d') {
      await page.locator('[data-testid="download-results"]').first().waitFor({ timeout: 10_000 }).catch(() => {});
    }
    const result = await page.evaluate(readResult);
    const bench = await page.evaluate(() => ({ ...window.__bench, isolated: self.crossOriginIsolated }));
    // Per step over the last epoch, its first step left out (an epoch's first batch may
    // compile shaders, and the warm-up epoch is excluded anyway).
    const dispatches = log ? perStep(log, { epoch: Math.max(...log.snapshots.map((s) => s.epoch)), from: 1 }) : null;
    const measured = measure(result, bench);
    // A CPU column must have trained on the worker its name says (threads=N: the threaded one).
    const threaded = /worker_mt_loader\.js/.test(measured.worker ?? '');
    if (options.backend === 'cpu' && threaded !== (options.threads > 1)) {
      return { status: 'error', message: `trained on ${measured.worker} (cross-origin isolated: ${bench.isolated}), not the ${options.threads > 1 ? 'threaded' : 'single-thread'} worker` };
    }
    return { status: 'ok', ...measured, dispatches, consoleErrors };
  } catch (e) {
    return { status: 'error', message: String(e?.message ?? e).split('\n')[0], consoleErrors };
  } finally {
    await context.close();
  }
}

/** In the page: the finished run's RunResult (P2/P3 download link, P2D localStorage). */
async function readResult() {
  // P2D's tab has no per-network download: its epochs come from the worker's messages.
  const link = document.querySelector('[data-testid="download-results"]');
  if (!link?.href) return null;
  const result = await (await fetch(link.href)).json();
  const source = 'results JSON (download link)';
  // Only what the bench needs: P3's result carries its analysis (pixels of mistakes...).
  return {
    source,
    backend: result.backend,
    trainSize: Number(result.config?.train_size),
    history: result.history.map((m) => ({ epoch: m.epoch, seconds: m.seconds })),
  };
}

/** Epoch times from the result, their training part from the hook, and the page's figures. */
function measure(result, bench) {
  const events = bench?.events ?? [];
  // Progress reports grouped by training (P4 trains P3's CNN first): a new one begins when
  // the epoch or step count goes back. The result's epochs are the last training's.
  const trainings = [];
  let previous = null;
  for (const e of events.filter((x) => x.kind === 'progress')) {
    if (!previous || e.epoch < previous.epoch || (e.epoch === previous.epoch && e.step < previous.step)) trainings.push([]);
    trainings.at(-1).push(e);
    previous = e;
  }
  // Each epoch's last-step report: its elapsed time is the training part of that epoch.
  const trainSeconds = new Map();
  for (const e of trainings.at(-1) ?? []) if (e.step === e.steps) trainSeconds.set(e.epoch, e.elapsed);
  const hookEpochs = events.filter((e) => e.kind === 'epoch');
  const history = result?.history ?? hookEpochs.map((e) => ({ epoch: e.epoch, seconds: e.seconds }));
  const epochs = history.map((m) => ({ epoch: m.epoch, seconds: m.seconds, trainSeconds: trainSeconds.get(m.epoch) ?? null }));

  // The first epoch (of anything the page trains) began `elapsed` seconds before its first
  // progress report arrived.
  const first = trainings[0]?.[0];
  const firstEpochStart = first ? (first.t - first.elapsed * 1000) / 1000 : null;
  const trainingOn = events.find((e) => e.kind === 'status' && e.text.startsWith('training on'));
  const done = events.find((e) => e.kind === 'done');
  const span = firstEpochStart !== null && done ? [firstEpochStart * 1000, done.t] : null;
  const during = span ? bench.longtasks.filter((l) => l.start >= span[0] && l.start <= span[1]) : [];
  // The worker script that sent the last training's progress.
  const trainer = trainings.at(-1)?.[0]?.worker;
  return {
    epochs,
    worker: trainer ? bench.scripts?.[trainer]?.replace(/^.*\//, '') ?? null : null,
    isolated: bench.isolated ?? null,
    backend: result?.backend ?? events.find((e) => e.kind === 'backend')?.name ?? null,
    trainSize: result?.trainSize ?? null,
    source: result?.source ?? (hookEpochs.length ? 'worker messages (hook)' : null),
    page: {
      navToFirstEpochS: firstEpochStart,
      navToTrainingStatusS: trainingOn ? trainingOn.t / 1000 : null,
      longtasks: {
        observed: !bench?.longtaskError,
        duringTraining: during.length,
        maxDuringTrainingMs: during.length ? Math.max(...during.map((l) => l.duration)) : 0,
        wholeLoad: bench?.longtasks?.length ?? 0,
        maxWholeLoadMs: bench?.longtasks?.length ? Math.max(...bench.longtasks.map((l) => l.duration)) : 0,
      },
    },
  };
}
