// End to end: a short P3 (CNN) run through the URL contract, in headless Chromium (CPU
// backend: SwiftShader's WebGPU is too slow for the CNN within a test's time).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from './server.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const dist = path.resolve(process.env.DIST ?? path.join(here, '../../dist'));
let server, context, page;

before(async () => {
  server = await serve(dist);
  context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-lab-p3-')), {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
  page = context.pages()[0] ?? await context.newPage();
});

after(async () => {
  await context?.close();
  server?.close();
});

test('a short CNN run ends with its test figures and confusion matrix', { timeout: 900_000 }, async () => {
  await page.goto(`${server.url}/?experiment=p3&epochs=1&train_size=6000&seed=1&backend=cpu&autostart=1`);
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid="run-status"]')?.textContent ?? '';
    return s === 'done' || s.startsWith('error');
  }, null, { timeout: 890_000, polling: 1000 });
  assert.equal(await page.getByTestId('run-status').textContent(), 'done');
  assert.equal(await page.getByTestId('param-count').textContent(), '366034');
  const accuracy = Number(await page.getByTestId('test-accuracy').textContent());
  assert.ok(accuracy > 0.6 && accuracy <= 1, `test accuracy ${accuracy}`);
  // The confusion matrix: 10 x 10 counts summing to the 10,000 test digits, its diagonal
  // the correct ones.
  const cells = await page.locator('[data-testid="confusion-matrix"] tbody tr').evaluateAll((rows) =>
    rows.map((r) => Array.from(r.querySelectorAll('td')).map((td) => Number(td.textContent.trim()))));
  assert.equal(cells.length, 10);
  assert.ok(cells.every((row) => row.length === 10), JSON.stringify(cells));
  const total = cells.flat().reduce((a, b) => a + b, 0);
  assert.equal(total, 10_000);
  const diagonal = cells.reduce((sum, row, i) => sum + row[i], 0);
  assert.ok(Math.abs(diagonal / 10_000 - accuracy) < 1e-4, `diagonal ${diagonal} vs accuracy ${accuracy}`);
});
