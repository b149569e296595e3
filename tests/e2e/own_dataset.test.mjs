// End to end: bring your own dataset. The test writes a synthetic IDX set (two classes of
// simple shapes: a horizontal bar is 0, a vertical bar is 1, anywhere in the field, with
// noise), uploads its four files in Problem 1's tab, and trains P2 on it in the page: far
// above chance, kept under that dataset, with no seed figure beside it. Files with wrong
// dimensions or a label 11 are refused with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { openApp, finished } from './server.mjs';

let url, page;
openApp((app) => ({ url, page } = app));

const text = (id) => page.getByTestId(id).textContent();

/** A deterministic pseudo-random stream (the test must not depend on Math.random). */
function stream(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function idx(dims, payload) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(8, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(payload)]);
}

/** `n` images `side`×`side` of bars and their labels. */
function shapes(n, seed, side = 28, badLabelAt = -1) {
  const random = stream(seed);
  const pixels = new Uint8Array(n * side * side);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = random() < 0.5 ? 0 : 1;
    labels[i] = i === badLabelAt ? 11 : label;
    const at = 4 + Math.floor(random() * (side - 10));
    const from = 2 + Math.floor(random() * 6);
    const to = side - 2 - Math.floor(random() * 6);
    const image = pixels.subarray(i * side * side, (i + 1) * side * side);
    for (let p = 0; p < image.length; p++) image[p] = random() < 0.03 ? 255 : 0;
    for (let a = from; a < to; a++) {
      for (let t = 0; t < 3; t++) {
        const [x, y] = label === 0 ? [a, at + t] : [at + t, a];
        image[y * side + x] = 200 + Math.floor(random() * 55);
      }
    }
  }
  return { images: idx([n, side, side], pixels), labels: idx([n], labels) };
}

function files({ side = 28, badLabelAt = -1 } = {}) {
  const train = shapes(2000, 1);
  const testSet = shapes(200, 2, side, badLabelAt);
  const file = (name, buffer) => ({ name, mimeType: 'application/octet-stream', buffer });
  return [
    file('bars-train-images-idx3-ubyte.gz', zlib.gzipSync(train.images)),
    file('bars-train-labels-idx1-ubyte', train.labels),
    file('bars-t10k-images-idx3-ubyte', testSet.images),
    file('bars-t10k-labels-idx1-ubyte.gz', zlib.gzipSync(testSet.labels)),
  ];
}

async function upload(list) {
  await page.getByTestId('tab-p1').click();
  await page.locator('[data-testid="own-dataset"] summary').click();
  await page.getByTestId('dataset-upload').setInputFiles(list);
}

test('an uploaded IDX set trains P2 far above chance; bad files are refused with the reason', { timeout: 300_000 }, async () => {
  await page.goto(`${url}/?experiment=p2&epochs=20&train_size=2000&test_size=200&seed=2&backend=cpu`);
  await page.waitForFunction(() => document.querySelector('[data-testid="data-status"]')?.textContent?.startsWith('ready'), null, { timeout: 110_000 });

  await upload(files({ side: 20 }));
  await page.getByTestId('dataset-upload-message').waitFor();
  assert.match(await text('dataset-upload-message'), /Not loaded: “bars-t10k-images-idx3-ubyte”: .*dimension 1 is 20, expected 28/);
  await upload(files({ badLabelAt: 7 }));
  await page.waitForFunction(() => /label 11/.test(document.querySelector('[data-testid="dataset-upload-message"]')?.textContent ?? ''));
  assert.match(await text('dataset-upload-message'), /“bars-t10k-labels-idx1-ubyte\.gz”: label 11 at index 7 is not a digit 0-9/);
  assert.doesNotMatch(page.url(), /data=/, 'nothing refused is loaded');

  await upload(files());
  await page.waitForURL(/data=user-data%2F|data=user-data\//, { timeout: 30_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="data-status"]')?.textContent?.startsWith('ready'), null, { timeout: 60_000 });
  await page.getByTestId('own-dataset-shown').waitFor();
  assert.match(await text('own-dataset-shown'), /Training on your files \([0-9a-f]{8}\), not MNIST/);

  await page.getByTestId('tab-p2').click();
  await page.getByTestId('train-button').click();
  assert.equal(await finished(page, 200_000), 'done');
  const accuracy = Number(await text('test-accuracy'));
  console.log(`# P2 on the uploaded bars: test accuracy ${accuracy} (chance: about 0.5)`);
  assert.ok(accuracy > 0.9, `far above chance: ${accuracy}`);
  assert.equal(await text('seed-test-accuracy'), '— (MNIST only)');

  // Kept under the uploaded dataset: a reload shows it, and MNIST's tab does not.
  await page.reload();
  await page.waitForFunction(() => /^Kept in this browser on /.test(document.querySelector('[data-testid="kept-state"]')?.textContent ?? ''), null, { timeout: 60_000 });
  assert.equal(Number(await text('test-accuracy')), accuracy);
  await page.goto(`${url}/?experiment=p2&epochs=20&train_size=2000&test_size=200&seed=2&backend=cpu`);
  await page.waitForFunction(() => document.querySelector('[data-testid="data-status"]')?.textContent?.startsWith('ready'), null, { timeout: 110_000 });
  await page.waitForTimeout(1000);
  assert.equal(await page.getByTestId('test-accuracy').count(), 0, 'the MNIST tab shows no run made on other data');
});
