// End to end: nothing lost. Every finished run is kept in the browser's IndexedDB (real
// storage, a real reload), shown again without a worker; forgotten on request; a full disk
// (the origin's quota lowered through the DevTools protocol) says so and keeps the run on
// the page; damaged entries are left out; the first page's localStorage P2D entries move in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openApp, finished, launch } from './server.mjs';

let url, page;
openApp((app) => ({ url, page } = app));

const text = (id) => page.getByTestId(id).textContent();
const RUN = 'experiment=p2&epochs=2&train_size=2000&seed=5&backend=cpu';

/** Counts the training workers the page constructs, from before its first script. */
async function countWorkers(target = page) {
  await target.addInitScript(() => {
    const Original = window.Worker;
    window.__workers = 0;
    window.Worker = class extends Original {
      // Training workers only: the dataset worker loads MNIST on every visit.
      constructor(...args) { super(...args); if (!/dataset_worker_loader\.js/.test(String(args[0]))) window.__workers += 1; }
    };
  });
}

/** Clicks the save button `testId` and returns the downloaded file's bytes. */
async function saved(testId) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  return fs.readFileSync(await download.path());
}

async function dataReady() {
  await page.waitForFunction(() => document.querySelector('[data-testid="data-status"]')?.textContent === 'ready', null, { timeout: 110_000 });
}

async function figures() {
  return {
    accuracy: await text('test-accuracy'),
    loss: await text('test-loss'),
    log: await text('epoch-log'),
    // The chart's text alternative carries its numbers.
    chart: await page.getByTestId('accuracy-chart').getAttribute('aria-label'),
  };
}

/** Runs `fn(db)` on the page's results database, resolving to what it resolves to. The
 * page's policy forbids eval, so `fn` goes in as the source of the expression Playwright
 * evaluates (DevTools evaluation is not held to the page's policy). */
function withDb(fn) {
  return page.evaluate(`(async () => {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('mnist-lab');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    try {
      return await (${fn.toString()})(db);
    } finally {
      db.close();
    }
  })()`);
}

/** "Forget everything", then waits until the store holds no run: a navigation at once could
 * abort the clear's transaction, and the next test would find the runs still kept. */
async function forgetAll() {
  await page.getByTestId('kept-forget-all').click();
  await page.waitForSelector('[data-testid="kept-empty"]');
  const count = () => withDb((db) => new Promise((resolve, reject) => {
    const request = db.transaction('runs').objectStore('runs').count();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  }));
  for (let i = 0; i < 100 && (await count()) > 0; i++) await page.waitForTimeout(50);
  assert.equal(await count(), 0, 'the store holds no run after "Forget everything"');
}

test('a reload after P2 shows the same history and figures, with no worker started', { timeout: 300_000 }, async () => {
  await page.goto(`${url}/?${RUN}&autostart=1`);
  assert.equal(await finished(page, 280_000), 'done');
  await page.waitForFunction(() => /^Kept in this browser \(/.test(document.querySelector('[data-testid="kept-state"]')?.textContent ?? ''));
  const trained = await figures();
  assert.match(trained.log, /Epoch 2\/2/);

  await countWorkers();
  await page.goto(`${url}/?${RUN}`);
  await page.waitForFunction(() => /^Kept in this browser on /.test(document.querySelector('[data-testid="kept-state"]')?.textContent ?? ''), null, { timeout: 60_000 });
  assert.deepEqual(await figures(), trained);
  assert.equal(await text('run-status'), 'done');
  await page.waitForTimeout(1500);
  assert.equal(await page.evaluate(() => window.__workers), 0, 'a kept run is shown without a worker');

  // Its figures leave the page: the epoch history as CSV, a chart as PNG.
  const csv = await saved('csv-p2-history');
  const rows = csv.toString('utf8').trim().split(/\r?\n/).map((line) => line.split(','));
  assert.deepEqual(rows[0], ['epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'seconds']);
  assert.equal(rows.length, 3, 'a header and one row per epoch');
  assert.equal(Number(rows[2][4]).toFixed(4), (await page.getByTestId('epoch-log').textContent()).match(/val_accuracy: (\d\.\d{4})\s*$/)[1]);
  const png = await saved('png-p2-accuracy');
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'the PNG signature');
  const size = await page.getByTestId('accuracy-chart').evaluate((c) => [c.width, c.height]);
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], size, 'the PNG is the canvas at its size');

  // A link shares it: another browser (a fresh profile) shows the same figures, says where
  // they were computed, and starts no worker.
  await page.getByTestId('share-run').click();
  const link = await page.getByTestId('share-url').inputValue();
  assert.match(link, /#run=[A-Za-z0-9_-]+$/);
  console.log(`shared link of a 2-epoch P2 run: ${link.length} characters`);
  const other = await launch();
  try {
    await countWorkers(other.page);
    await other.page.goto(link);
    await other.page.waitForFunction(() => /^Shared by a link/.test(document.querySelector('[data-testid="kept-state"]')?.textContent ?? ''), null, { timeout: 60_000 });
    assert.equal(await other.page.getByTestId('test-accuracy').textContent(), trained.accuracy);
    assert.equal(await other.page.getByTestId('epoch-log').textContent(), trained.log);
    await other.page.waitForTimeout(1000);
    assert.equal(await other.page.evaluate(() => window.__workers), 0);
    // A damaged link says so; the page works as usual.
    await other.page.goto(`${url}/?${RUN}#run=AAAAbroken`);
    await other.page.waitForSelector('[data-testid="shared-error"]');
    await other.page.waitForFunction(() => document.querySelector('[data-testid="data-status"]')?.textContent === 'ready', null, { timeout: 110_000 });
    assert.equal(await other.page.getByTestId('test-accuracy').count(), 0);
  } finally {
    await other.context.close();
  }

  // The list of kept runs (Problem 1's tab) has it, and the storage meter speaks.
  await page.getByTestId('tab-p1').click();
  assert.equal(await page.locator('[data-testid="kept-row"][data-experiment="p2"]').count(), 1);
  await page.waitForFunction(() => /^This page uses /.test(document.querySelector('[data-testid="storage-meter"]')?.textContent ?? ''));

  // Train runs it again; the worker starts then.
  await page.getByTestId('tab-p2').click();
  await page.getByTestId('train-button').click();
  assert.equal(await finished(page, 280_000), 'done');
  assert.ok(await page.evaluate(() => window.__workers) >= 1);
  assert.equal(await text('test-accuracy'), trained.accuracy, 'same seed, same backend: the same run');
});

test('"Forget this run" forgets it: a reload shows nothing', { timeout: 120_000 }, async () => {
  await page.goto(`${url}/?${RUN}`);
  await page.waitForFunction(() => /^Kept in this browser on /.test(document.querySelector('[data-testid="kept-state"]')?.textContent ?? ''), null, { timeout: 60_000 });
  await page.getByTestId('forget-run').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'idle');
  assert.equal(await page.getByTestId('test-accuracy').count(), 0);
  const keys = await withDb((db) => new Promise((resolve) => {
    const request = db.transaction('runs').objectStore('runs').getAllKeys();
    request.onsuccess = () => resolve(request.result);
  }));
  assert.equal(keys.filter((k) => k.includes('experiment=p2&')).length, 0, JSON.stringify(keys));
  await page.goto(`${url}/?${RUN}`);
  await dataReady();
  await page.waitForTimeout(1500);
  assert.equal(await text('run-status'), 'idle');
});

test('a full disk: the run stays on the page with a clear message', { timeout: 300_000 }, async () => {
  // A fresh profile: an origin the browser already granted persistent storage to (the
  // tests above kept runs) is not held to an overridden quota.
  const fresh = await launch();
  const main = page;
  page = fresh.page;
  const cdp = await page.context().newCDPSession(page);
  await page.goto(`${url}/?${RUN}`);
  await dataReady();
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(url).origin, quotaSize: 1 });
  try {
    await page.getByTestId('train-button').click();
    assert.equal(await finished(page, 280_000), 'done');
    await page.waitForFunction(() => /storage for this page is full/.test(document.querySelector('[data-testid="kept-message"]')?.textContent ?? ''), null, { timeout: 30_000 });
    assert.match(await text('kept-state'), /^Kept on this page only/);
    assert.ok(Number(await text('test-accuracy')) > 0.5, 'the run is still shown');
    // The page stays usable: another run trains.
    await page.getByTestId('train-button').click();
    assert.equal(await finished(page, 280_000), 'done');
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(url).origin });
    await cdp.detach();
    await fresh.context.close();
    page = main;
  }
});

test('damaged entries are left out; old localStorage P2D networks move in', { timeout: 300_000 }, async () => {
  await page.goto(`${url}/?${RUN}&autostart=1`);
  assert.equal(await finished(page, 280_000), 'done');
  // The finished run's JSON (its download) as the first page kept a P2D network. The link is
  // made in a task after the run's end has been shown.
  await page.getByTestId('download-results').waitFor();
  const result = await page.evaluate(async () => (await fetch(document.querySelector('[data-testid="download-results"]').href)).json());
  const network = { ...result, config: { ...result.config, experiment: 'p2d', l2: 1e-4, seed: 424242 }, analysis: null };
  const oldKey = 'mnist-lab/p2d/v1/epochs=2&batch_size=128&lr=0.1&seed=1&train_size=2000&l2=1e-4&network_seed=424242';
  await page.evaluate(([key, value]) => localStorage.setItem(key, value), [oldKey, JSON.stringify(network)]);
  await withDb((db) => new Promise((resolve) => {
    const tx = db.transaction('runs', 'readwrite');
    tx.objectStore('runs').put('{"schema":1,"dataset":', 'v1/damaged');
    tx.objectStore('runs').put('{"schema":0}', 'v0/older');
    tx.oncomplete = () => resolve();
  }));

  await page.goto(`${url}/?experiment=p2&backend=cpu`);
  await dataReady();
  await page.getByTestId('tab-p1').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="kept-refused"]')?.textContent.startsWith('2 stored entries'), null, { timeout: 30_000 });
  assert.equal(await page.locator('[data-testid="kept-row"][data-experiment="p2d"]').count(), 1, 'the old P2D network moved in');
  assert.equal(await page.evaluate((key) => localStorage.getItem(key), oldKey), null, 'and left localStorage');
  // The page is usable: P2 trains.
  await page.getByTestId('tab-p2').click();
  await page.getByTestId('train-button').click();
  assert.equal(await finished(page, 280_000), 'done');
  // Forget every kept run.
  await page.getByTestId('tab-p1').click();
  await forgetAll();
});

test('a bundle of every kept run, imported into an empty browser, fills every tab without training', { timeout: 600_000 }, async () => {
  const small = 'epochs=1&train_size=1000&test_size=1000&seed=2&backend=cpu&autostart=1';
  const shown = {};
  for (const [experiment, extra] of [['p2', ''], ['p2d', '&factors=1e-4&replicates=1'], ['p3', ''], ['p4', '']]) {
    await page.goto(`${url}/?experiment=${experiment}&${small}${extra}`);
    assert.equal(await finished(page, 280_000), 'done', experiment);
  }
  // What each tab shows, from this visit's runs.
  await page.goto(`${url}/?experiment=p2`);
  await page.waitForFunction(() => document.querySelector('[data-testid="test-accuracy"]'), null, { timeout: 60_000 });
  shown.p2 = await text('test-accuracy');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    (async () => { await page.getByTestId('tab-p1').click(); await page.getByTestId('bundle-save').click(); })(),
  ]);
  const file = await download.path();
  const bundle = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(bundle.format, 'mnist-lab bundle v1');
  assert.deepEqual([...new Set(bundle.records.map((r) => r.outcome.Classifier?.config.experiment ?? r.outcome.Denoiser.config.experiment))].sort(), ['p2', 'p2d', 'p3', 'p4']);
  assert.equal(Object.keys(bundle.models ?? {}).length, 3, "the P2 MLP, the P2D network and P4's autoencoder travel with their runs");

  // An empty browser: forget everything, reload, import.
  await forgetAll();
  await countWorkers();
  await page.goto(`${url}/?experiment=p2`);
  await dataReady();
  await page.getByTestId('tab-p1').click();
  // The P2 tab's worker started at load (nothing was kept then); the import adds none.
  const before = await page.evaluate(() => window.__workers);
  await page.getByTestId('bundle-import').setInputFiles(file);
  await page.waitForFunction(() => /^Imported \d+ runs/.test(document.querySelector('[data-testid="bundle-message"]')?.textContent ?? ''), null, { timeout: 30_000 });
  await page.getByTestId('tab-p2').click();
  assert.equal(await text('test-accuracy'), shown.p2);
  assert.match(await text('kept-state'), /^Imported from a file/);
  await page.getByTestId('tab-p2d').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="sweep-table"] tbody tr').length === 1, null, { timeout: 10_000 });
  await page.getByTestId('tab-p3').click();
  assert.equal(await page.locator('[data-testid="confusion-matrix"] tbody tr').count(), 10);
  await page.getByTestId('tab-p4').click();
  assert.equal(await page.locator('[data-testid="denoise-table"] tbody tr').count(), 11);
  assert.ok(Number(await text('val-loss')) > 0);
  assert.equal(await page.evaluate(() => window.__workers), before, 'nothing trained, no worker started');

  // The imported models read drawings in the playground.
  await page.getByTestId('tab-play').click();
  await page.getByTestId('reader-1').waitFor({ timeout: 60_000 });
  const names = await page.evaluate(() => [...document.querySelectorAll('[data-testid^="reader-"] h3')].map((h) => h.firstChild.textContent));
  assert.ok(names.includes('P2 · MLP 784-64-64-10') && names.some((n) => n.startsWith('P2D · best network')), names.join(', '));
  await page.getByTestId('denoise').waitFor({ timeout: 10_000 });

  // A file that is not a bundle is refused with the reason.
  const bad = path.join(os.tmpdir(), 'not-a-bundle.json');
  fs.writeFileSync(bad, '{"format":"something else","records":[]}');
  await page.getByTestId('tab-p1').click();
  await page.getByTestId('bundle-import').setInputFiles(bad);
  await page.waitForFunction(() => /was not imported/.test(document.querySelector('[data-testid="bundle-message"]')?.textContent ?? ''));
});

/** How many checkpoints the page keeps in IndexedDB. */
function checkpointCount() {
  return withDb((db) => new Promise((resolve) => {
    const request = db.transaction('checkpoints').objectStore('checkpoints').count();
    request.onsuccess = () => resolve(request.result);
  }));
}

async function p3Figures() {
  return {
    accuracy: await text('test-accuracy'),
    loss: await text('test-loss'),
    confusion: await page.getByTestId('confusion-matrix').textContent(),
  };
}

test('a reload during P3 offers to resume; the resumed run ends with the uninterrupted run\'s figures', { timeout: 600_000 }, async () => {
  const P3 = 'experiment=p3&epochs=3&train_size=1000&test_size=500&seed=7&backend=cpu';
  await page.goto(`${url}/?${P3}&autostart=1`);
  await page.waitForFunction(() => /Epoch 1\/3/.test(document.querySelector('[data-testid="epoch-log"]')?.textContent ?? ''), null, { timeout: 280_000, polling: 100 });
  for (let i = 0; i < 50 && (await checkpointCount()) === 0; i++) await page.waitForTimeout(100);
  assert.ok((await checkpointCount()) >= 1, 'a checkpoint after epoch 1');

  await page.goto(`${url}/?${P3}`);
  await page.waitForSelector('[data-testid="resume-offer"]', { timeout: 60_000 });
  assert.match(await text('resume-offer'), /finished epoch [12] of 3/);
  await page.getByTestId('resume-checkpoint').click();
  assert.equal(await finished(page, 280_000), 'done');
  assert.match(await text('epoch-log'), /Epoch 1\/3[\s\S]*Epoch 2\/3[\s\S]*Epoch 3\/3/);
  const resumed = await p3Figures();
  assert.equal(await checkpointCount(), 0, 'a finished run drops its checkpoint');

  // The same run, uninterrupted.
  await page.getByTestId('train-button').click();
  assert.equal(await finished(page, 280_000), 'done');
  assert.deepEqual(await p3Figures(), resumed);
});

test('a worker killed mid-run: the page says so and offers to resume from the last epoch', { timeout: 600_000 }, async () => {
  const P2 = 'experiment=p2&epochs=20&train_size=6000&test_size=1000&seed=8&backend=cpu';
  await page.goto(`${url}/?${P2}&autostart=1`);
  await page.waitForFunction(() => /Epoch 1\/20/.test(document.querySelector('[data-testid="epoch-log"]')?.textContent ?? ''), null, { timeout: 280_000, polling: 100 });
  for (let i = 0; i < 50 && (await checkpointCount()) === 0; i++) await page.waitForTimeout(100);
  // The training worker, not one of its pool threads (blob: URLs) when it is the threaded one;
  // 20 epochs, so that the kill lands while it trains.
  const worker = page.workers().filter((w) => /worker(_mt)?_loader\.js/.test(w.url())).at(-1);
  await worker.evaluate(() => setTimeout(() => { throw new Error('killed by the test'); }, 0));
  await page.waitForFunction(() => /^error: worker crashed/.test(document.querySelector('[data-testid="run-status"]')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.match(await text('run-status'), /killed by the test/);
  // What finished is still shown, and the run goes on from its checkpoint.
  assert.match(await text('epoch-log'), /Epoch 1\/20/);
  await page.waitForSelector('[data-testid="resume-offer"]', { timeout: 10_000 });
  await page.getByTestId('resume-checkpoint').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'running', null, { timeout: 30_000, polling: 50 });
  assert.equal(await finished(page, 280_000), 'done');
  assert.match(await text('epoch-log'), /Epoch 20\/20/);
  assert.ok(Number(await text('test-accuracy')) > 0.8);
});
