// End to end: the built app (dist/) in headless Chromium, driven through the URL contract.
// Run by .ci/test after `trunk build`; needs Debian's chromium. Env:
//   DIST (default ../../dist), CHROMIUM (default /usr/bin/chromium),
//   NATIVE_P2_JSON: the native runner's result for the same config, to compare with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openApp, finished as finishedOn } from './server.mjs';

const RUN = 'experiment=p2&epochs=1&batch_size=128&lr=0.1&seed=1&train_size=6000&autostart=1';
let url, page;
openApp((app) => ({ url, page } = app));

const text = (id) => page.getByTestId(id).textContent();

const finished = (timeoutMs) => finishedOn(page, timeoutMs);

function nativeResult() {
  const file = process.env.NATIVE_P2_JSON;
  return file && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
}

test('P2 trains in the page on the CPU backend and matches the native runner', { timeout: 600_000 }, async () => {
  await page.goto(`${url}/?${RUN}&backend=cpu`);
  assert.equal(await finished(590_000), 'done');
  assert.equal(await text('backend'), 'cpu');
  assert.equal(await text('param-count'), '55050');
  const accuracy = Number(await text('test-accuracy'));
  const loss = Number(await text('test-loss'));
  assert.ok(accuracy > 0.7 && accuracy <= 1, `test accuracy ${accuracy}`);
  assert.ok(loss > 0 && loss < 1.2, `test loss ${loss}`);
  assert.match(await text('epoch-log'), /Epoch 1\/1\n47\/47 .* val_accuracy: 0\.\d{4}/);
  const native = nativeResult();
  if (native) {
    // Same seed, same batches, same backend (burn-flex) compiled for wasm: same numbers up
    // to float summation order.
    assert.ok(Math.abs(accuracy - native.test_accuracy) < 0.005, `page ${accuracy} vs native ${native.test_accuracy}`);
  }
});

test('P2 trains in the page on WebGPU (SwiftShader) with results that agree', { timeout: 600_000 }, async () => {
  await page.goto(`${url}/?${RUN}&backend=webgpu`);
  const status = await finished(590_000);
  assert.equal(status, 'done', status);
  assert.match(await text('backend'), /^webgpu \(.+\)$/);
  const accuracy = Number(await text('test-accuracy'));
  assert.ok(accuracy > 0.7, `WebGPU test accuracy ${accuracy}`);
  const native = nativeResult();
  if (native) {
    assert.ok(Math.abs(accuracy - native.test_accuracy) < 0.02, `WebGPU ${accuracy} vs native CPU ${native.test_accuracy}`);
  }
});

test('a reload reads the dataset from the cache', { timeout: 120_000 }, async () => {
  await page.goto(`${url}/?experiment=p2`);
  await page.waitForFunction(() => document.querySelector('[data-testid="data-status"]')?.textContent?.startsWith('ready'), null, { timeout: 110_000 });
  assert.match(await page.locator('body').textContent(), /from cache/);
  // The tab at the seed's setup shows the latest kept P2 run (the WebGPU one above).
  await page.waitForFunction(() => /^Kept in this browser on /.test(document.querySelector('[data-testid="kept-state"]')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.equal(await text('run-status'), 'done');
  assert.ok(Number(await text('test-accuracy')) > 0.7);
});

test('bad URL parameters are named in the page', { timeout: 60_000 }, async () => {
  await page.goto(`${url}/?epochs=0&backend=tpu&colour=red`);
  const banner = page.locator('.param-errors');
  await banner.waitFor({ timeout: 50_000 });
  const message = await banner.textContent();
  assert.match(message, /epochs=0/);
  assert.match(message, /backend=tpu/);
  assert.match(message, /colour/);
  assert.equal(await text('run-status'), 'idle');
});

test('missing and corrupt data give a clear message', { timeout: 120_000 }, async () => {
  for (const [base, expected] of [['/no-such-folder', /404/], ['/broken', /gzip|checksum|IDX/i], ['/huge', /larger than the \d+ bytes this page accepts/]]) {
    await page.goto(`${url}/?data=${encodeURIComponent(url + base)}&autostart=1`);
    await page.waitForFunction(() => document.querySelector('[data-testid="data-status"]')?.textContent?.startsWith('error'), null, { timeout: 50_000 });
    assert.match(await text('data-status'), expected);
    assert.notEqual(await text('run-status'), 'running');
  }
});

test('cancel stops a run and keeps what finished', { timeout: 300_000 }, async () => {
  await page.goto(`${url}/?experiment=p2&epochs=50&train_size=60000&backend=cpu&autostart=1`);
  await page.waitForFunction(() => /Epoch 1\//.test(document.querySelector('[data-testid="epoch-log"]')?.textContent ?? ''), null, { timeout: 240_000 });
  await page.getByTestId('cancel-button').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'idle', null, { timeout: 30_000 });
  assert.match(await page.locator('body').textContent(), /cancelled after \d+ epoch/);
  assert.match(await text('epoch-log'), /Epoch 1\/50/);
});
