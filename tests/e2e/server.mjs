// A static file server for dist/ on 127.0.0.1, with one extra folder of deliberately
// broken MNIST files for the error-path tests. Node's http module: no dependency.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

/** Debian's headless Chromium with WebGPU (SwiftShader), a fresh profile, no network chatter. */
export async function launch(viewport, options = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-lab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
    ...(viewport ? { viewport } : {}),
    ...options,
  });
  const page = context.pages()[0] ?? await context.newPage();
  return { context, page };
}

/** Waits until `run-status` reads `done` or `error…`, and returns it. */
export async function finished(page, timeoutMs) {
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid="run-status"]')?.textContent ?? '';
    return s === 'done' || s.startsWith('error');
  }, null, { timeout: timeoutMs, polling: 500 });
  return page.getByTestId('run-status').textContent();
}

/**
 * The built app served and one Chromium page open for a test file's tests: registers
 * node:test's `before` (which hands `{url, page}` to `opened`) and `after` hooks. The page's
 * console errors are echoed into the test output.
 */
export function openApp(opened) {
  let server, context;
  before(async () => {
    const dist = distDir();
    assert.ok(fs.existsSync(path.join(dist, 'index.html')), `no build in ${dist}: run trunk build first`);
    server = await serve(dist);
    let page;
    ({ context, page } = await launch());
    page.on('console', (m) => { if (m.type() === 'error') console.log(`[page] ${m.text()}`); });
    opened({ url: server.url, page });
  });
  after(async () => {
    await context?.close();
    server?.close();
  });
}

/** The dist/ folder under test. */
export function distDir() {
  const here = path.dirname(new URL(import.meta.url).pathname);
  return path.resolve(process.env.DIST ?? path.join(here, '../../dist'));
}

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.gz': 'application/octet-stream', '.json': 'application/json',
};

/** The headers `trunk serve` sends (Trunk.toml's `[serve.headers]`: the Content Security
 * Policy and the cross-origin isolation pair): this server sends them too, as a static host
 * should (README, "Static hosting"). */
export const SERVE_HEADERS = (() => {
  const here = path.dirname(new URL(import.meta.url).pathname);
  const toml = fs.readFileSync(path.join(here, '../../Trunk.toml'), 'utf8');
  const section = /^\[serve\.headers\]\n((?:"[^"]+" = "[^\n]*"\n|#[^\n]*\n)*)/m.exec(toml);
  assert.ok(section, 'Trunk.toml has no [serve.headers]');
  const headers = {};
  for (const [, name, value] of section[1].matchAll(/^"([^"]+)" = "(.*)"$/mg)) headers[name.toLowerCase()] = value;
  assert.ok(headers['content-security-policy'], 'Trunk.toml has no Content-Security-Policy header');
  return headers;
})();
export const CSP_HEADER = SERVE_HEADERS['content-security-policy'];
/** The headers that make the page cross-origin isolated (threads for the CPU backend). */
export const ISOLATION_HEADERS = ['cross-origin-opener-policy', 'cross-origin-embedder-policy'];

/** Serves `root`; `/broken/<file>` answers with corrupt bytes, `/huge/<file>` announces a
 * 4 GB body. Resolves to {url, close}. `isolated: false` leaves out the cross-origin
 * isolation headers (a static host that cannot set them). */
export function serve(root, { isolated = true } = {}) {
  const headers = Object.fromEntries(Object.entries(SERVE_HEADERS).filter(([name]) => isolated || !ISOLATION_HEADERS.includes(name)));
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname.startsWith('/broken/')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // A gzip header followed by garbage: checksum, gzip and IDX checks must refuse it.
      res.end(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
      return;
    }
    if (url.pathname.startsWith('/huge/')) {
      // Announces a 4 GB body: the page must refuse it from the header, holding nothing.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '4000000000' });
      res.write(Buffer.from([0x1f, 0x8b]));
      return;
    }
    if (url.pathname.startsWith('/bad/')) {
      serveBad(root, url.pathname, res);
      return;
    }
    const file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    const target = fs.existsSync(file) && fs.statSync(file).isDirectory() ? path.join(file, 'index.html') : file;
    if (!fs.existsSync(target)) { res.writeHead(404).end('not found'); return; }
    const body = fs.readFileSync(target);
    res.writeHead(200, {
      'content-type': TYPES[path.extname(target)] ?? 'application/octet-stream', 'content-length': body.length,
      ...headers,
    });
    res.end(body);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      // A stalled response holds its connection open: close those too.
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => { server.closeAllConnections(); server.close(); } });
    });
  });
}

/** A 100 MB run of zeros, gzipped (about 100 KB): more than any MNIST file may inflate to. */
let bomb;

/**
 * `/bad/<kind>/<file>`: MNIST's real files, except one, broken as `kind` says (the bad-input
 * matrix): the training images `truncated` (half the IDX payload) or with a `wrong-magic`;
 * the test labels `oversized` (streams past the page's cap, no length announced) or a gzip
 * `bomb`; the training images answered with `404`, `500`, or `stall` (headers, a few
 * bytes, then nothing).
 */
function serveBad(root, pathname, res) {
  const [, , kind, name] = pathname.split('/');
  const real = path.join(root, 'assets/mnist', name ?? '');
  if (!name || !fs.existsSync(real)) { res.writeHead(404).end(); return; }
  // The caps are per file: the labels' (1 MiB) is the one a test can exceed quickly.
  const broken = ['oversized', 'bomb'].includes(kind) ? 't10k-labels' : 'train-images';
  if (!name.startsWith(broken)) {
    const body = fs.readFileSync(real);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
    return;
  }
  const raw = () => zlib.gunzipSync(fs.readFileSync(real));
  const send = (body) => { res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }); res.end(body); };
  switch (kind) {
    case 'truncated': { const r = raw(); send(zlib.gzipSync(r.subarray(0, 16 + (r.length - 16) / 2))); break; }
    case 'wrong-magic': { const r = Buffer.from(raw()); r[2] = 0x0d; send(zlib.gzipSync(r)); break; }
    case 'bomb': bomb ??= zlib.gzipSync(Buffer.alloc(100_000_000)); send(bomb); break;
    case 'oversized': {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(1 << 20);
      let sent = 0;
      const more = () => {
        // Until the page cancels (it must, at its 1 MiB cap), or 16 MiB.
        while (sent < 16 && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) { res.once('drain', more); return; }
        }
        res.end();
      };
      more();
      break;
    }
    case '404': res.writeHead(404).end('not found'); break;
    case '500': res.writeHead(500).end('internal error'); break;
    case 'stall': res.writeHead(200, { 'content-type': 'application/octet-stream' }); res.write(Buffer.from([0x1f, 0x8b])); break;
    default: res.writeHead(404).end();
  }
}

/** The encoded size (characters of JSON) of every run the page keeps in IndexedDB, by key. */
export async function keptSizes(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('mnist-lab');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const store = db.transaction('runs').objectStore('runs');
      const keys = store.getAllKeys();
      const values = store.getAll();
      values.onsuccess = () => {
        const sizes = {};
        keys.result.forEach((k, i) => { sizes[k] = values.result[i].length; });
        db.close();
        resolve(sizes);
      };
    };
  }));
}

/** Sizes by experiment: `{ p2: [bytes…], p3: […] }`, for the notes. */
export function sizesByExperiment(sizes) {
  const out = {};
  for (const [key, size] of Object.entries(sizes)) {
    const experiment = /experiment=(\w+)/.exec(key)?.[1] ?? 'other';
    (out[experiment] ??= []).push(size);
  }
  return out;
}
