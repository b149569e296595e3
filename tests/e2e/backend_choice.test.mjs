// End to end: `auto` chooses the backend by measurement. Before the first `auto` run of a
// model, the page times a few training steps on the CPU backend (the threaded worker here:
// the e2e server isolates the page) and on WebGPU (SwiftShader in headless Chromium), trains
// on the faster, shows both numbers, and keeps the decision per adapter and model, so the
// next run goes straight to it. `backend=` still forces one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApp, finished } from './server.mjs';

let url, page;
openApp((app) => ({ url, page } = app));

const text = (id) => page.getByTestId(id).textContent();
const decisions = () => page.evaluate(() => JSON.parse(localStorage.getItem('mnist-lab.backend-decisions') ?? '{}'));

/** Runs `query` to the end, returning the worker scripts started meanwhile. */
async function runWatchingWorkers(query) {
  const started = [];
  const onWorker = (w) => started.push(new URL(w.url()).pathname);
  page.on('worker', onWorker);
  try {
    await page.goto(`${url}/?${query}&autostart=1`);
    assert.equal(await finished(page, 240_000), 'done');
  } finally {
    page.off('worker', onWorker);
  }
  return started;
}

test('auto times both backends before the first run, trains on the faster and keeps the choice', { timeout: 600_000 }, async () => {
  const P2 = 'experiment=p2&epochs=1&train_size=2000&test_size=500&seed=3';
  const first = await runWatchingWorkers(P2);
  // On SwiftShader the CPU backend is faster for every model of the assignment.
  assert.match(await text('backend'), /^cpu/);
  const line = await text('backend-choice');
  console.log(`# P2: ${line}`);
  assert.match(line, /^auto chose the CPU backend by measuring a few steps of this model: CPU \(cpu, \d+ threads?\) \d+\.\d ms per step, WebGPU \(.*swiftshader.*\) (still warming up after \d+\.\d s|\d+\.\d ms per step)/);
  const probeSeconds = Number(/the probe took (\d+\.\d) s/.exec(line)?.[1]);
  assert.ok(probeSeconds > 0, line);
  assert.ok(first.some((p) => p.endsWith('/worker_loader.js')), `the WebGPU worker was started for its probe: ${first}`);
  const kept = Object.values(await decisions());
  assert.equal(kept.length, 1);
  assert.equal(kept[0].experiment, 'p2');
  assert.equal(kept[0].choice, 'cpu');
  assert.ok(kept[0].cpu.Measured.ms_per_step > 0, JSON.stringify(kept[0]));

  // The next run goes straight to the kept choice: no probe, no WebGPU worker.
  const second = await runWatchingWorkers(`${P2.replace('seed=3', 'seed=4')}`);
  assert.match(await text('backend'), /^cpu/);
  assert.match(await text('backend-choice'), /\(measured earlier in this browser\)$/);
  assert.ok(!second.some((p) => p.endsWith('/worker_loader.js')), `no WebGPU worker the second time: ${second}`);

  // Another model is measured for itself: the CNN.
  await runWatchingWorkers('experiment=p3&epochs=1&train_size=512&test_size=200&seed=3');
  assert.match(await text('backend'), /^cpu/);
  const cnn = await text('backend-choice');
  console.log(`# P3: ${cnn}`);
  assert.match(cnn, /^auto chose the CPU backend/);
  assert.equal(Object.keys(await decisions()).length, 2);

  // backend= forces one: nothing is measured or shown.
  await runWatchingWorkers('experiment=p2&epochs=1&train_size=1000&test_size=500&seed=5&backend=cpu');
  assert.equal(await page.getByTestId('backend-choice').count(), 0);
});

test('a cancel while auto measures ends the run at once: nothing trains, nothing is kept', { timeout: 300_000 }, async () => {
  await page.goto(`${url}/?experiment=p3&epochs=1&train_size=2000&test_size=500&seed=6`);
  await page.evaluate(() => localStorage.removeItem('mnist-lab.backend-decisions'));
  await page.waitForFunction(() => document.querySelector('[data-testid="data-status"]')?.textContent === 'ready', null, { timeout: 110_000 });
  await page.getByTestId('train-button').click();
  await page.waitForFunction(() => /^auto: timing/.test(document.querySelector('[data-testid="run-phase"]')?.textContent ?? ''), null, { timeout: 60_000, polling: 50 });
  await page.getByTestId('cancel-button').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'idle', null, { timeout: 10_000, polling: 50 });
  // Past the WebGPU probe's budget: still nothing trains.
  await page.waitForTimeout(4000);
  assert.equal(await text('run-status'), 'idle');
  assert.equal(await page.getByTestId('epoch-log').textContent().catch(() => ''), '');
  assert.deepEqual(await decisions(), {}, 'no decision from a cancelled probe');
});

