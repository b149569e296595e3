// End to end: a tiny P2D sweep through the URL contract, in headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApp, finished as finishedOn } from './server.mjs';

let url, page;
openApp((app) => ({ url, page } = app));

const SWEEP = 'experiment=p2d&factors=1e-6,1e-4&replicates=2&epochs=1&train_size=6000&seed=1&backend=cpu';

const finished = (timeoutMs) => finishedOn(page, timeoutMs);

/** The sweep table's rows as arrays of cell texts. */
async function tableRows() {
  return page.locator('[data-testid="sweep-table"] tbody tr').evaluateAll((rows) =>
    rows.map((r) => Array.from(r.querySelectorAll('td')).map((td) => td.textContent.trim())));
}

test('a tiny sweep runs end to end and fills the table', { timeout: 600_000 }, async () => {
  await page.goto(`${url}/?${SWEEP}&autostart=1`);
  assert.equal(await finished(590_000), 'done');
  const rows = await tableRows();
  assert.equal(rows.length, 2, JSON.stringify(rows));
  const best = Number(await page.getByTestId('best-accuracy').textContent());
  // 1 epoch of the 500-300 MLP on 6,000 digits: ~0.86 on the test set.
  assert.ok(best > 0.75 && best <= 1, `best ${best}`);
  for (const row of rows) {
    const numbers = row.map(Number).filter((v) => !Number.isNaN(v) && v > 0 && v <= 1);
    assert.ok(numbers.some((v) => Math.abs(v - best) < 1e-4) || numbers.every((v) => v <= best + 1e-9), JSON.stringify(row));
  }
});

test('a reload shows the finished networks without training again', { timeout: 120_000 }, async () => {
  await page.goto(`${url}/?${SWEEP}`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="sweep-table"] tbody tr').length === 2, null, { timeout: 110_000 });
  // Nothing trains: every network of this sweep is already stored.
  await page.waitForTimeout(2000);
  assert.match(await page.getByTestId('run-status').textContent(), /^(idle|done)$/);
  const best = Number(await page.getByTestId('best-accuracy').textContent());
  assert.ok(best > 0.75, `best ${best}`);
});

test('a crashed sweep worker retries its network once while the other goes on', { timeout: 600_000 }, async () => {
  await page.goto(`${url}/?experiment=p2d&factors=1e-6,1e-4&replicates=1&epochs=2&train_size=3000&seed=9&workers=2&backend=cpu&autostart=1`);
  // Both workers train (each has reported a step).
  await page.waitForFunction(() => {
    const lines = [...document.querySelectorAll('[data-testid="sweep-current"] .slot-line')];
    return lines.length >= 2 && lines.every((l) => / — step \d+\//.test(l.textContent));
  }, null, { timeout: 240_000, polling: 200 });
  const workers = page.workers();
  assert.ok(workers.length >= 2, `${workers.length} workers`);
  // An uncaught error in the worker's scope: the page sees it crash.
  await workers[0].evaluate(() => setTimeout(() => { throw new Error('killed by the test'); }, 0));
  await page.waitForSelector('[data-testid="sweep-retry"]', { timeout: 30_000 });
  assert.match(await page.getByTestId('sweep-retry').textContent(), /crashed while training network \d of 2.*trained again, once/);
  assert.equal(await finished(590_000), 'done');
  assert.equal((await tableRows()).length, 2, 'both networks finished');
});
