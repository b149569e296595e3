// The bench's static server and browser launcher.
//
// A copy of tests/e2e/server.mjs's approach rather than an import of it: that file resolves
// playwright-core from tests/e2e/node_modules (not installed by `npm ci --prefix bench`), it
// serves only dist/, and the bench must not change when the tests do. This one serves, on
// one 127.0.0.1 origin so every column runs under the same conditions:
//   /                  the built app (BENCH_DIST)
//   /bench/            bench/tfjs/ (the TF.js reference page)
//   /bench/vendor/P/   bench/node_modules/@tensorflow/P/dist/ (TF.js' browser bundles)
//   /bench/mnist/      assets/mnist/ (the same four .gz files the app and native runner use)
// `?isolated=1` on a /bench/ page adds COOP/COEP, so the page is cross-origin isolated and
// TF.js' wasm backend can use threads (SharedArrayBuffer); without it, wasm runs single-threaded.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.gz': 'application/octet-stream',
  '.json': 'application/json', '.png': 'image/png',
};

/** Maps a URL path to a file under one of the served roots, or null. */
function resolveFile(roots, pathname) {
  const routes = [
    ['/bench/vendor/', roots.tensorflow, (rest) => {
      // Only the packages' dist/ folders: /bench/vendor/tfjs-backend-wasm/x.wasm.
      const [pkg, ...file] = rest.split('/');
      return /^tfjs(-[a-z-]+)?$/.test(pkg) ? path.join(pkg, 'dist', ...file) : null;
    }],
    ['/bench/mnist/', roots.mnist, (rest) => rest],
    ['/bench/', roots.tfjsPage, (rest) => rest],
    // The app again, cross-origin isolated (below): the threaded CPU worker's column.
    ['/isolated/', roots.dist, (rest) => rest],
    ['/', roots.dist, (rest) => rest],
  ];
  for (const [prefix, root, map] of routes) {
    if (!pathname.startsWith(prefix)) continue;
    const relative = map(pathname.slice(prefix.length));
    if (relative === null) return null;
    const file = path.resolve(root, relative);
    // Refuse anything that climbs out of its root (`..` after decoding).
    if (file !== root && !file.startsWith(root + path.sep)) return null;
    return fs.existsSync(file) && fs.statSync(file).isDirectory() ? path.join(file, 'index.html') : file;
  }
  return null;
}

/** Serves the app and the bench pages; resolves to {url, close}. */
export function serve({ dist, tfjsPage, tensorflow, mnist }) {
  const roots = Object.fromEntries(Object.entries({ dist, tfjsPage, tensorflow, mnist }).map(([k, v]) => [k, path.resolve(v)]));
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const file = resolveFile(roots, decodeURIComponent(url.pathname));
    if (!file || !fs.existsSync(file)) { res.writeHead(404).end('not found'); return; }
    const body = fs.readFileSync(file);
    const headers = { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': body.length };
    if ((url.pathname.startsWith('/bench/') && url.searchParams.get('isolated') === '1') || url.pathname.startsWith('/isolated/')) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    res.writeHead(200, headers);
    res.end(body);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() });
    });
  });
}

/** The flags of tests/e2e (WebGPU through SwiftShader, no network chatter), for every column. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--enable-unsafe-webgpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic',
  // Chromium no longer falls back to SwiftShader for WebGL on its own; TF.js' webgl column needs it.
  '--enable-unsafe-swiftshader'];

export const chromiumPath = () => process.env.CHROMIUM ?? '/usr/bin/chromium';

/** A profile directory that lives for the whole bench run (one per browser column). */
export function profileDir(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `mnist-lab-bench-${name}-`));
}

/** Headless Chromium on `profile` (reused between runs of a column, so its caches are warm). */
/**
 * A browser on `profile`. `serviceWorkers: 'block'` keeps the app's isolation service worker
 * (web/isolation_sw.js) out: with it, the page served without COOP/COEP isolates itself on
 * its second load and trains on the threaded worker, so a single-thread column would time
 * the threaded one.
 */
export async function launch(profile, { serviceWorkers = 'allow' } = {}) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    serviceWorkers,
  });
  const page = context.pages()[0] ?? await context.newPage();
  // A browser just launched is still starting its own processes (GPU, network, storage) on
  // these 2 cores; a page loaded at once shares the CPU with them, which a visitor's running
  // browser does not. Measured on the app's load (5 loads per row, 2026-12-04): main-thread
  // tasks over 50 ms per load 1.0-1.8 navigating at once, 0-0.2 after this wait.
  await page.waitForTimeout(BROWSER_SETTLE_MS);
  return { context, page };
}

/** How long a freshly launched browser is left alone before a column's page loads. */
export const BROWSER_SETTLE_MS = 2000;
