// End to end: the CPU backend on every core. A cross-origin isolated page (COOP/COEP, as
// Trunk.toml sends them) trains on the threaded worker (wasm threads: each step's batch split
// between the worker's thread and a rayon pool of Web Workers); a page without the headers
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
    threads: await page.getByTestId('cpu-threads').first().textContent(),
    accuracy: Number(await page.getByTestId('test-accuracy').first().textContent()),
    loss: Number(await page.getByTestId('test-loss').first().textContent()),
    workers,
  };
}

test('an isolated page trains on the threaded CPU worker; a page without the headers on one thread, to the same figures', { timeout: 600_000 }, async () => {
  const threaded = await trainOn(true, '&threads=2');
  assert.ok(threaded.isolated, 'the page is cross-origin isolated');
  assert.equal(threaded.threads, '(2 threads)');
  assert.ok(threaded.workers.some((u) => u.includes('worker_mt_loader.js?threads=2')), `the threaded worker ran: ${threaded.workers}`);
  // The worker's own thread trains a shard of every step, and a pool of one more thread the
  // other: a Web Worker too (wasm-bindgen-rayon's helper, started from a blob: URL).
  assert.ok(threaded.workers.filter((u) => u.startsWith('blob:')).length >= 1, `pool workers: ${threaded.workers}`);

  // A host without the headers, in a browser that runs no service worker.
  const single = await trainOn(false, '', { serviceWorkers: 'block' });
  assert.ok(!single.isolated);
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
  assert.equal(run.threads, '(2 threads)');
  assert.ok(run.accuracy > 0.8, `accuracy ${run.accuracy}`);
});
