// End to end: the bad-input matrix. One row per hostile or broken input: broken dataset
// files and servers, a link to another origin, hostile parameters, a divergent learning
// rate, an oversized batch, broken weights uploads, damaged stored records, a full disk, a
// worker killed mid-run and the GPU device destroyed mid-run. For each row: the message the
// page shows, that the page stays usable (a short P2 run afterwards finishes) and that the
// run kept before is still kept. The matrix is printed as a table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { openApp, finished, launch } from './server.mjs';

let url, page;
openApp((app) => ({ url, page } = app));

const text = (id) => page.getByTestId(id).textContent();
const KEEP = 'experiment=p2&epochs=1&train_size=1000&test_size=500&seed=11&backend=cpu';
const AFTER = 'experiment=p2&epochs=1&train_size=1000&test_size=500&seed=12&backend=cpu&autostart=1';
const matrix = [];
let panics = 0;
let keptKey = null;

async function dataReady() {
  await page.waitForFunction(() => document.querySelector('[data-testid="data-status"]')?.textContent === 'ready', null, { timeout: 110_000 });
}

/** The keys of every run kept in IndexedDB. */
async function keptKeys() {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('mnist-lab');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const keys = db.transaction('runs').objectStore('runs').getAllKeys();
      keys.onsuccess = () => { db.close(); resolve(keys.result.map(String)); };
    };
  }));
}

async function waitFor(testId, pattern, timeout = 60_000) {
  await page.waitForFunction(([id, source]) => new RegExp(source).test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''), [testId, pattern.source], { timeout });
  return text(testId);
}

/** One row: `provoke` makes the input and returns the message shown; then a P2 run must
 * finish and the run kept at the start must still be kept. */
// MATRIX_FROM=<row name's start>: skip the rows before it (while working on one row).
let skipping = Boolean(process.env.MATRIX_FROM);
const started = Date.now();
async function row(input, provoke) {
  if (skipping && !input.startsWith(process.env.MATRIX_FROM)) return;
  skipping = false;
  let message;
  let usable = false;
  let kept = false;
  try {
    message = (await provoke()).replace(/\s+/g, ' ').trim();
    await page.goto(`${url}/?${AFTER}`);
    usable = (await finished(page, 170_000)) === 'done';
    kept = (await keptKeys()).includes(keptKey);
  } finally {
    matrix.push({ input, message: (message ?? '(none)').slice(0, 110), usable, kept });
    console.log(`row "${input}": ${usable ? 'usable' : 'NOT usable'}, ${kept ? 'kept' : 'NOT kept'} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  assert.ok(message, `${input}: a message`);
  assert.ok(usable, `${input}: a P2 run afterwards finishes`);
  assert.ok(kept, `${input}: the run kept before is still kept`);
}

test('the bad-input matrix', { timeout: 1_500_000 }, async () => {
  page.on('console', (m) => { if (/panicked/.test(m.text())) panics++; });
  page.on('worker', (w) => w.on('console', (m) => { if (/panicked/.test(m.text())) panics++; }));
  // A run kept before everything else: no row may lose it.
  await page.goto(`${url}/?${KEEP}&autostart=1`);
  assert.equal(await finished(page, 170_000), 'done');
  await page.waitForFunction(() => /^Kept in this browser/.test(document.querySelector('[data-testid="kept-state"]')?.textContent ?? ''), null, { timeout: 60_000 });
  const before = await keptKeys();
  assert.equal(before.length, 1, JSON.stringify(before));
  keptKey = before[0];

  const badData = async (kind, pattern, timeout) => {
    await page.goto(`${url}/?experiment=p2&data=bad/${kind}&autostart=1`);
    const status = await waitFor('data-status', /^error/, timeout);
    assert.match(status, pattern);
    assert.match(await text('run-status'), /^(idle|done)$/, 'nothing trains on it');
    return status;
  };
  await row('IDX file truncated', () => badData('truncated', /need \d+ payload bytes, file has \d+/));
  await row('IDX file with a wrong magic', () => badData('wrong-magic', /bad IDX magic/));
  await row('body past the cap (no length announced)', () => badData('oversized', /larger than the \d+ bytes this page accepts/));
  await row('gzip bomb (100 MB of zeros)', () => badData('bomb', /decompresses to more than \d+ bytes/));
  await row('HTTP 404', () => badData('404', /HTTP 404/));
  await row('HTTP 500', () => badData('500', /HTTP 500/));
  await row('a server that stalls', () => badData('stall', /sent nothing for \d+ s/, 90_000));

  await row('data= on another origin', async () => {
    const requests = [];
    const other = http.createServer((req, res) => { requests.push(req.url); res.writeHead(404).end(); });
    await new Promise((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      await page.goto(`${url}/?experiment=p2&data=${encodeURIComponent(`http://127.0.0.1:${other.address().port}/mnist`)}&autostart=1`);
      await page.getByTestId('data-consent').waitFor({ timeout: 30_000 });
      await page.waitForTimeout(1000);
      assert.deepEqual(requests, [], 'nothing fetched before the visitor agrees');
      return (await text('data-consent')).split('.')[0];
    } finally {
      other.closeAllConnections();
      other.close();
    }
  });

  const refused = async (query, pattern) => {
    await page.goto(`${url}/?${query}`);
    const errors = await waitFor('param-errors', /./, 30_000);
    assert.match(errors, pattern);
    await dataReady();
    await page.waitForTimeout(1500);
    // Idle, or a kept run of the shown setup ('done'): never training.
    assert.match(await text('run-status'), /^(idle|done)$/, 'a refused link does not start');
    return errors;
  };
  await row('epochs=NaN, lr=1e308, train_size=-1', async () => { const m = await refused('experiment=p2&epochs=NaN&lr=1e308&train_size=-1&autostart=1', /'epochs=NaN'/); assert.match(m, /'lr=1e308' is out of range/); assert.match(m, /'train_size=-1'/); return m; });
  await row('duplicate keys (epochs twice)', () => refused('experiment=p2&epochs=2&epochs=3&autostart=1', /epochs/));
  await row('10^6 epochs', () => refused('experiment=p2&epochs=1000000&autostart=1', /epochs/));
  await row('P3 with batch_size=8192', () => refused('experiment=p3&batch_size=8192&autostart=1', /activations/));

  await row('a divergent run (P2D, lr=10, L2 factor 1)', async () => {
    await page.goto(`${url}/?experiment=p2d&factors=1&replicates=1&workers=1&lr=10&epochs=3&train_size=2000&test_size=500&backend=cpu&autostart=1`);
    const status = await finished(page, 170_000);
    assert.match(status, /^error: diverged in epoch \d+, step \d+: the .* is (NaN|inf)/);
    assert.match(status, /try a smaller learning rate/);
    return status;
  });

  // Weights uploads (P3's "upload a CNN"): damaged, NaN-filled, and a header claiming 4 GB.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-lab-bad-'));
  const safetensors = (header, dataBytes) => {
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([length, json, dataBytes]);
  };
  const cnnShapes = [['conv1.weight', [32, 1, 3, 3]], ['conv1.bias', [32]], ['conv2.weight', [64, 32, 3, 3]], ['conv2.bias', [64]],
    ['fc1.weight', [1600, 200]], ['fc1.bias', [200]], ['fc2.weight', [200, 128]], ['fc2.bias', [128]], ['out.weight', [128, 10]], ['out.bias', [10]]];
  const nanCnn = () => {
    const header = { __metadata__: { model: 'mnist-lab/p3-cnn' } };
    let offset = 0;
    for (const [name, shape] of cnnShapes) {
      const bytes = 4 * shape.reduce((a, b) => a * b, 1);
      header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
    }
    const data = Buffer.alloc(offset);
    for (let i = 0; i < offset; i += 4) data.writeFloatLE(i % 8 === 0 ? NaN : 0.01, i);
    return safetensors(header, data);
  };
  const files = {
    'damaged.safetensors': Buffer.from('not a weights file at all'),
    'nan.safetensors': nanCnn(),
    'huge.safetensors': safetensors({ __metadata__: { model: 'mnist-lab/p3-cnn' }, 'conv1.weight': { dtype: 'F32', shape: [1073741824], data_offsets: [0, 4294967296] } }, Buffer.alloc(16)),
  };
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  const upload = async (name, pattern) => {
    await page.goto(`${url}/?experiment=p3`);
    await dataReady();
    await page.getByTestId('cnn-upload').setInputFiles(path.join(dir, name));
    const message = await waitFor('cnn-store-message', /was not kept/, 30_000);
    assert.match(message, pattern);
    assert.equal(await text('stored-cnn'), 'none', 'nothing was kept');
    return message;
  };
  await row('a damaged safetensors upload', () => upload('damaged.safetensors', /not a safetensors weights file/));
  await row('a NaN-filled CNN upload', () => upload('nan.safetensors', /not finite/));
  await row('a header claiming a 4 GB tensor', () => upload('huge.safetensors', /not a safetensors weights file|shape/));

  await row('damaged stored records', async () => {
    await page.evaluate(() => new Promise((resolve, reject) => {
      const open = indexedDB.open('mnist-lab');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const db = open.result;
        const tx = db.transaction('runs', 'readwrite');
        tx.objectStore('runs').put('{"schema":1,"dataset":', 'v1/0000000000000000/experiment=p2&damaged');
        tx.objectStore('runs').put('{"schema":99}', 'v99/newer');
        tx.oncomplete = () => { db.close(); resolve(); };
      };
    }));
    await page.goto(`${url}/?experiment=p2&backend=cpu`);
    await dataReady();
    await page.getByTestId('tab-p1').click();
    return waitFor('kept-refused', /^2 stored entries/, 30_000);
  });

  await row('storage quota exceeded', async () => {
    // In a fresh profile: an origin already granted persistent storage (this one, which
    // keeps runs) is not held to an overridden quota. The row's checks then run here too.
    const fresh = await launch();
    const cdp = await fresh.context.newCDPSession(fresh.page);
    const origin = new URL(url).origin;
    try {
      await fresh.page.goto(`${url}/?experiment=p2&epochs=1&train_size=1000&test_size=500&seed=13&backend=cpu`);
      await fresh.page.waitForFunction(() => document.querySelector('[data-testid="data-status"]')?.textContent === 'ready', null, { timeout: 110_000 });
      await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1 });
      await fresh.page.getByTestId('train-button').click();
      assert.equal(await finished(fresh.page, 170_000), 'done');
      await fresh.page.waitForFunction(() => /storage for this page is full/.test(document.querySelector('[data-testid="kept-message"]')?.textContent ?? ''), null, { timeout: 30_000 });
      assert.ok(Number(await fresh.page.getByTestId('test-accuracy').textContent()) > 0.2, 'the run stays on the page (8 steps: above chance)');
      const message = await fresh.page.getByTestId('kept-message').textContent();
      await fresh.page.getByTestId('train-button').click();
      assert.equal(await finished(fresh.page, 170_000), 'done', 'and the page trains again');
      return message;
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin }).catch(() => {});
      await fresh.context.close();
    }
  });

  await row('the worker killed mid-run', async () => {
    await page.goto(`${url}/?experiment=p2&epochs=30&train_size=6000&test_size=500&seed=14&backend=cpu&autostart=1`);
    await page.waitForFunction(() => /Epoch 1\/30/.test(document.querySelector('[data-testid="epoch-log"]')?.textContent ?? ''), null, { timeout: 170_000, polling: 100 });
    // The training worker, not one of its pool threads (blob: URLs) when it is the threaded one.
    const worker = page.workers().filter((w) => /worker(_mt)?_loader\.js/.test(w.url())).at(-1);
    await worker.evaluate(() => setTimeout(() => { throw new Error('killed by the test'); }, 0));
    const status = await waitFor('run-status', /^error: worker crashed/, 30_000);
    await page.getByTestId('resume-offer').waitFor({ timeout: 30_000 });
    return `${status} · ${await text('resume-offer')}`;
  });

  await row('the GPU device destroyed mid-run', async () => {
    // Keep the worker's WebGPU device where the test can reach it: wrap requestDevice in the
    // worker as it starts (before its first request touches WebGPU).
    const capture = (w) => w.evaluate(() => {
      const A = self.GPUAdapter;
      if (!A || A.prototype.__testCapture) return;
      const original = A.prototype.requestDevice;
      A.prototype.requestDevice = async function (d) { const device = await original.call(this, d); self.__testDevice = device; return device; };
      A.prototype.__testCapture = true;
    }).catch(() => {});
    page.on('worker', capture);
    try {
      await page.goto(`${url}/?experiment=p2&epochs=3&train_size=3000&test_size=500&seed=15&backend=webgpu&autostart=1`);
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-progress"]')?.getAttribute('value') ?? 0) > 3, null, { timeout: 170_000, polling: 100 });
      const destroyed = await Promise.all(page.workers().map((w) => w.evaluate(() => { if (!self.__testDevice) return false; self.__testDevice.destroy(); return true; }).catch(() => false)));
      assert.ok(destroyed.includes(true), 'a WebGPU device was destroyed');
      const status = await finished(page, 170_000);
      assert.match(status, /GPU device was lost during the run \(destroyed/, status);
      // The worker is replaced: a fresh one sets WebGPU up again, checks it, and trains.
      await page.goto(`${url}/?experiment=p2&epochs=1&train_size=1000&test_size=500&seed=16&backend=webgpu&autostart=1`);
      assert.equal(await finished(page, 170_000), 'done', 'WebGPU trains again on a fresh worker');
      assert.match(await text('backend'), /^webgpu/);
      return status;
    } finally {
      page.off('worker', capture);
    }
  });

  console.log('# the bad-input matrix:');
  console.table(matrix);
  const lost = matrix.filter((r) => !r.kept).length;
  console.log(`# ${matrix.length} inputs, ${panics} panics, ${lost} results lost`);
  assert.equal(panics, 0, 'no panic in the page or a worker');
  assert.equal(lost, 0);
});
