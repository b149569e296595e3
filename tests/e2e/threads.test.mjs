// End to end: the CPU backend on every core. A cross-origin isolated page (COOP/COEP, as
// Trunk.toml sends them) trains on the threaded worker (wasm threads: each step's batch split
// across a rayon pool of Web Workers); a page without the headers
// falls back to the single-thread worker and says why.
// Both train the same network from the same seed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, finished, serve, distDir } from './server.mjs';

const RUN = '?experiment=p2&epochs=2&batch_size=64&train_size=3000&test_size=1000&seed=3&backend=cpu&autostart=1';
const opened = [];
after(async () => { for (const close of opened) await close(); });

async function trainOn(isolated, extra = '', { serviceWorkers = 'allow' } = {}) {
  const server = await serve(distDir(), { isolated });
  const { context, page } = await launch(undefined, { serviceWorkers });
  opened.push(async () => { await context.close(); server.close(); });
  page.on('console', (m) => { if (m.type() === 'error') console.log(`[page] ${m.text()}`); });
  const workers = [];
  page.on('worker', (w) => workers.push(w.url()));
  await page.goto(`${server.url}/${RUN}${extra}`);
  const status = await finished(page, 240_000);
  assert.equal(status, 'done');
  return {
    isolated: await page.evaluate(() => crossOriginIsolated),
    // web/app_loader.js' account of it.
    isolation: await page.evaluate(() => document.documentElement.dataset.isolation),
    threads: await page.getByTestId('cpu-threads').first().textContent(),
    accuracy: Number(await page.getByTestId('test-accuracy').first().textContent()),
    loss: Number(await page.getByTestId('test-loss').first().textContent()),
    workers,
  };
}

test('an isolated page trains on the threaded CPU worker; a page without the headers on one thread, to the same figures', { timeout: 600_000 }, async () => {
  const threaded = await trainOn(true, '&threads=2');
  assert.ok(threaded.isolated, 'the page is cross-origin isolated');
  assert.equal(threaded.isolation, 'headers');
  assert.equal(threaded.threads, '(2 threads)');
  assert.ok(threaded.workers.some((u) => u.includes('worker_mt_loader.js?threads=2')), `the threaded worker ran: ${threaded.workers}`);
  // A pool of two threads trains every step's two shards while the worker's own thread
  // waits: Web Workers too (wasm-bindgen-rayon's helpers, started from blob: URLs).
  assert.ok(threaded.workers.filter((u) => u.startsWith('blob:')).length >= 2, `pool workers: ${threaded.workers}`);

  // A host without the headers, in a browser that runs no service worker.
  const single = await trainOn(false, '', { serviceWorkers: 'block' });
  assert.ok(!single.isolated);
  // The blocker's register() resolves to no registration: the page starts at once, not after
  // the loader's 3 s wait for a service worker that never comes ('timeout').
  assert.equal(single.isolation, 'blocked');
  assert.equal(single.threads, '(1 thread: the page is not cross-origin isolated)');
  assert.ok(!single.workers.some((u) => u.includes('worker_mt')), `no threaded worker: ${single.workers}`);

  // The same network from the same seed: threads change how sums are split, not the run.
  console.log(`threaded: accuracy ${threaded.accuracy}, loss ${threaded.loss}; single: accuracy ${single.accuracy}, loss ${single.loss}`);
  assert.ok(threaded.accuracy > 0.8 && single.accuracy > 0.8, 'both learn');
  assert.ok(Math.abs(threaded.accuracy - single.accuracy) <= 0.005, `accuracy ${threaded.accuracy} vs ${single.accuracy}`);
  assert.ok(Math.abs(threaded.loss - single.loss) <= 0.01, `loss ${threaded.loss} vs ${single.loss}`);
});

test('on a host that cannot send the headers, the service worker isolates the page (one reload) and the run has its threads', { timeout: 300_000 }, async () => {
  const run = await trainOn(false, '&threads=2');
  assert.ok(run.isolated, 'isolated through web/isolation_sw.js');
  assert.equal(run.isolation, 'headers');
  assert.equal(run.threads, '(2 threads)');
  assert.ok(run.accuracy > 0.8, `accuracy ${run.accuracy}`);
});

/** The checkpoints the page keeps in IndexedDB (real storage). */
function checkpointCount(page) {
  return page.evaluate(`(async () => {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('mnist-lab');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    try {
      if (!db.objectStoreNames.contains('checkpoints')) return 0;
      return await new Promise((resolve) => {
        const request = db.transaction('checkpoints').objectStore('checkpoints').count();
        request.onsuccess = () => resolve(request.result);
      });
    } finally { db.close(); }
  })()`);
}

test('a reload during P4 in a page without the headers resumes on the single-thread worker, to the uninterrupted run\'s figures', { timeout: 600_000 }, async () => {
  // The single-thread worker is also the WebGPU one: burn's default device there is the GPU's,
  // which a CPU run never starts. Adam's state in P4's checkpoint must load on the CPU all the same.
  const server = await serve(distDir(), { isolated: false });
  const { context, page } = await launch(undefined, { serviceWorkers: 'block' });
  opened.push(async () => { await context.close(); server.close(); });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') { errors.push(m.text()); console.log(`[page] ${m.text()}`); } });
  // A kept CNN first (P3, short): a P4 run that trains its own CNN first keeps no checkpoint.
  await page.goto(`${server.url}/?experiment=p3&epochs=1&train_size=500&test_size=300&seed=7&backend=cpu&autostart=1`);
  assert.equal(await finished(page, 280_000), 'done');
  // 100 steps an epoch: Adam's subnormal moments are flushed (a reload of its state) in each.
  const P4 = 'experiment=p4&epochs=12&train_size=6400&test_size=300&seed=7&backend=cpu';
  await page.goto(`${server.url}/?${P4}&autostart=1`);
  await page.waitForFunction(() => /Epoch 1\/12/.test(document.querySelector('[data-testid="epoch-log"]')?.textContent ?? ''), null, { timeout: 280_000, polling: 50 });
  for (let i = 0; i < 100 && (await checkpointCount(page)) === 0; i++) await page.waitForTimeout(50);
  assert.ok((await checkpointCount(page)) >= 1, 'a checkpoint after epoch 1');

  await page.goto(`${server.url}/?${P4}`);
  assert.ok(!(await page.evaluate(() => crossOriginIsolated)));
  await page.waitForSelector('[data-testid="resume-offer"]', { timeout: 60_000 });
  assert.match(await page.getByTestId('resume-offer').textContent(), /finished epoch \d+ of 12/);
  await page.getByTestId('resume-checkpoint').click();
  assert.equal(await finished(page, 280_000), 'done');
  assert.equal(await page.getByTestId('cpu-threads').first().textContent(), '(1 thread: the page is not cross-origin isolated)');
  const p4Figures = async () => ({
    // Keras' log lines without their timings: every epoch's loss and val_loss.
    losses: (await page.getByTestId('epoch-log').textContent()).match(/(Epoch \d+\/12|loss: \d\.\d{4})/g),
    valLoss: await page.getByTestId('val-loss').textContent(),
  });
  const resumed = await p4Figures();
  assert.deepEqual(resumed.losses.filter((s) => s.startsWith('Epoch')), Array.from({ length: 12 }, (_, i) => `Epoch ${i + 1}/12`));
  assert.equal(resumed.losses.length, 36, resumed.losses.join(' '));
  assert.equal(await checkpointCount(page), 0, 'a finished run drops its checkpoint');

  // The same run, uninterrupted: Adam's moments went on from where they were.
  await page.getByTestId('train-button').click();
  assert.equal(await finished(page, 280_000), 'done');
  assert.deepEqual(await p4Figures(), resumed);
  assert.deepEqual(errors.filter((e) => /panic|RuntimeError/.test(e)), []);
});

test('a crashed thread of the CPU pool ends the run with a clear message, and its checkpoint resumes on a fresh pool', { timeout: 600_000 }, async () => {
  // The pool's threads are Web Workers that the training worker started: a crashed one
  // can tell only the training worker, which is blocked waiting for it. Without
  // worker::pool_guard this run hangs with nothing said.
  const server = await serve(distDir(), { isolated: true });
  const { context, page } = await launch();
  opened.push(async () => { await context.close(); server.close(); });
  page.on('console', (m) => { if (m.type() === 'error') console.log(`[page] ${m.text()}`); });
  const P2 = 'experiment=p2&epochs=10&train_size=6000&test_size=1000&seed=21&backend=cpu&threads=2';
  await page.goto(`${server.url}/?${P2}&autostart=1`);
  await page.waitForFunction(() => /Epoch 1\/10/.test(document.querySelector('[data-testid="epoch-log"]')?.textContent ?? ''), null, { timeout: 240_000, polling: 50 });
  for (let i = 0; i < 100 && (await checkpointCount(page)) === 0; i++) await page.waitForTimeout(50);
  assert.ok((await checkpointCount(page)) >= 1, 'a checkpoint after epoch 1');

  // From the training worker's own scope (its module is the loader's: same URL, same instance).
  const worker = page.workers().filter((w) => /worker_mt_loader\.js/.test(w.url())).at(-1);
  assert.ok(worker, `the threaded worker: ${page.workers().map((w) => w.url())}`);
  await worker.evaluate(() => import(new URL('./mt/worker_mt.js', location.href)).then((m) => m.crash_one_pool_thread()));
  await page.waitForFunction(() => /^error: /.test(document.querySelector('[data-testid="run-status"]')?.textContent ?? ''), null, { timeout: 30_000, polling: 100 });
  const status = await page.getByTestId('run-status').textContent();
  assert.match(status, /^error: worker crashed: one of its CPU threads stopped \(panicked at [\s\S]*crashed on purpose/);
  assert.ok(!/unreachable/.test(status), `the panic's own text, not the trap's: ${status}`);

  await page.getByTestId('resume-offer').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('resume-offer').textContent(), /finished epoch \d+ of 10/);
  await page.getByTestId('resume-checkpoint').click();
  // The crash's status stays until the resumed run has started: wait for it to go first.
  await page.waitForFunction((crashed) => document.querySelector('[data-testid="run-status"]')?.textContent !== crashed, status, { timeout: 60_000, polling: 50 });
  assert.equal(await finished(page, 280_000), 'done');
  assert.equal(await page.getByTestId('cpu-threads').first().textContent(), '(2 threads)');
  const epochs = (await page.getByTestId('epoch-log').textContent()).match(/Epoch \d+\/10/g);
  assert.equal(epochs.at(-1), 'Epoch 10/10');
  assert.ok(Number(await page.getByTestId('test-accuracy').first().textContent()) > 0.85);
  assert.equal(await checkpointCount(page), 0, 'a finished run drops its checkpoint');
});
