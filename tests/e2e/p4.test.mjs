// End to end: P4 through the URL contract in headless Chromium (CPU backend). In a fresh
// profile no CNN is kept, so the run first trains P3's CNN (1 epoch, as the URL's epochs),
// keeps it in the browser, then trains the autoencoder and computes 4B, 4C and 4D. Then the
// kept CNN is downloaded, refused when corrupt, and accepted again on upload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openApp, finished } from './server.mjs';

let url, page;
openApp((app) => ({ url, page } = app));

const text = (id) => page.getByTestId(id).textContent();

test('P4: CNN, autoencoder, the 4B grid, the 4C table and 4D digits', { timeout: 900_000 }, async () => {
  // test_size keeps the 22 CNN passes of 4C short on the CPU backend.
  await page.goto(`${url}/?experiment=p4&epochs=1&train_size=6000&seed=1&autostart=1&backend=cpu&test_size=2000&cnn_epochs=1&keep_cnn=1`);
  assert.equal(await finished(page, 890_000), 'done');
  assert.match(await text('stored-cnn'), /^P3's CNN: 1 epoch\(s\) on 6000 digits, test accuracy 0\.\d{4} \(cpu\)$/);

  const valLoss = Number(await text('val-loss'));
  // Binary cross-entropy starts at ln 2 ≈ 0.69; one epoch on 6,000 digits gets well below.
  assert.ok(valLoss > 0.05 && valLoss < 0.4, `val loss ${valLoss}`);
  assert.match(await text('epoch-log'), /Epoch 1\/1\n94\/94 .* loss: 0\.\d{4} - val_loss: 0\.\d{4}$/);

  // 4B: 4 digits x (noised, denoised) rows x 11 levels. In the noised row of the first
  // digit, the level-1.0 cell holds only black and white pixels; the level-0 cell is the
  // clean digit, whose anti-aliased edges are grey.
  const cells = await page.getByTestId('noise-grid').evaluate((canvas) => {
    const ctx = canvas.getContext('2d');
    const grey = (x, y) => {
      const d = ctx.getImageData(x, y, 56, 56).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 8 && d[i] < 247) n++;
      return n;
    };
    return { width: canvas.width, level0: grey(92, 22), level1: grey(92 + 10 * 60, 22) };
  });
  assert.equal(cells.width, 92 + 11 * 60);
  assert.equal(cells.level1, 0, 'noise 1.0 leaves only black and white');
  assert.ok(cells.level0 > 20, `the clean digit has grey edges (${cells.level0})`);

  // 4C: 11 noise levels; accuracy on noised digits falls from the CNN's to near chance.
  const rows = await page.locator('[data-testid="denoise-table"] tbody tr').evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => Number(td.textContent))));
  assert.equal(rows.length, 11);
  rows.forEach((r, i) => {
    assert.ok(Math.abs(r[0] - i / 10) < 1e-9, `level ${r[0]}`);
    assert.ok(r.slice(1).every((v) => v >= 0 && v <= 1), JSON.stringify(r));
  });
  assert.ok(rows[0][1] > 0.5, `clean accuracy ${rows[0][1]}`);
  assert.ok(rows[10][1] < 0.3, `accuracy at noise 1: ${rows[10][1]}`);
  assert.ok(rows[10][1] < rows[0][1] - 0.3);
  assert.match(await text('crossing'), /seed's series cross at ≈ 0\.12/);

  // 4D: 32 sampled digits, each read by the CNN; an interpolation on request. (The page
  // draws them in a task after the run's end.)
  await page.locator('[data-testid="sampled-digits"] figure').nth(31).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('[data-testid="sampled-digits"] figure').count(), 32);
  assert.match(await page.locator('[data-testid="sampled-digits"] figcaption').first().textContent(), /^\d \(\d+ %\)$/);
  await page.getByTestId('interpolate-from').fill('0');
  await page.getByTestId('interpolate-from').dispatchEvent('change');
  await page.getByTestId('interpolate-to').fill('2');
  await page.getByTestId('interpolate-to').dispatchEvent('change');
  await page.getByTestId('interpolate-button').click();
  await page.getByText('From training digit #0 (a 5) to #2 (a 4)').waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('[data-testid="interpolated-digits"] figure').count(), 10);
});

test('the kept CNN downloads, a corrupt upload is refused, the real file is accepted', { timeout: 120_000 }, async () => {
  const href = await page.getByTestId('cnn-download').getAttribute('href');
  const bytes = await page.evaluate(async (url) => Array.from(new Uint8Array(await (await fetch(url)).arrayBuffer())), href);
  // 366,034 f32 weights and a small JSON header.
  assert.ok(bytes.length > 366_034 * 4 && bytes.length < 366_034 * 4 + 4096, `${bytes.length} bytes`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-lab-upload-'));
  const good = path.join(dir, 'cnn.safetensors');
  const bad = path.join(dir, 'broken.safetensors');
  fs.writeFileSync(good, Buffer.from(bytes));
  fs.writeFileSync(bad, Buffer.from(bytes.slice(0, 5000)));

  await page.getByTestId('cnn-upload').setInputFiles(bad);
  await page.waitForFunction(() => /was not kept/.test(document.querySelector('[data-testid="cnn-store-message"]')?.textContent ?? ''));
  assert.match(await text('stored-cnn'), /^P3's CNN: 1 epoch/, 'a refused upload leaves the kept CNN alone');

  await page.getByTestId('cnn-forget').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="stored-cnn"]')?.textContent === 'none');
  await page.getByTestId('cnn-upload').setInputFiles(good);
  await page.waitForFunction(() => /^P3's CNN: 1 epoch/.test(document.querySelector('[data-testid="stored-cnn"]')?.textContent ?? ''));
  // Kept across a reload (Cache Storage).
  await page.goto(`${url}/?experiment=p3`);
  await page.waitForFunction(() => /^P3's CNN: 1 epoch/.test(document.querySelector('[data-testid="stored-cnn"]')?.textContent ?? ''));
});

test('a P3 run from a link does not replace the kept CNN without asking', { timeout: 300_000 }, async () => {
  // The test above left a kept CNN trained on 6,000 digits.
  await page.goto(`${url}/?experiment=p3&epochs=1&train_size=2000&seed=2&backend=cpu&autostart=1`);
  assert.equal(await finished(page, 290_000), 'done');
  await page.getByTestId('cnn-held').waitFor({ timeout: 30_000 });
  assert.match(await text('stored-cnn'), /^P3's CNN: 1 epoch\(s\) on 6000 digits/, 'the kept CNN is still the old one');
  assert.match(await text('cnn-held'), /1 epoch\(s\) on 2000 digits/);
  await page.getByTestId('cnn-keep-new').click();
  await page.waitForFunction(() => /^P3's CNN: 1 epoch\(s\) on 2000 digits/.test(document.querySelector('[data-testid="stored-cnn"]')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.equal(await page.getByTestId('cnn-held').count(), 0);
});
