// Regenerates the README's screenshot: a full P2 run (seed's setup) in headless Chromium.
// Usage: node tests/e2e/screenshot.mjs [out.png] [query]   (needs a dist/ build)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from './server.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const out = process.argv[2] ?? path.join(here, '../../assets/screenshot.png');
const query = process.argv[3] ?? 'experiment=p2&backend=auto&autostart=1';
const server = await serve(path.resolve(here, '../../dist'));
const context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-lab-shot-')), {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--enable-unsafe-webgpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  viewport: { width: 1280, height: 900 },
});
const page = context.pages()[0] ?? await context.newPage();
await page.goto(`${server.url}/?${query}`);
await page.waitForFunction(() => {
  const s = document.querySelector('[data-testid="run-status"]')?.textContent ?? '';
  return s === 'done' || s.startsWith('error');
}, null, { timeout: 1_800_000, polling: 1000 });
console.log('run-status:', await page.getByTestId('run-status').textContent(), 'backend:', await page.getByTestId('backend').textContent(),
  'test accuracy:', await page.getByTestId('test-accuracy').textContent(), 'epoch log:\n' + await page.getByTestId('epoch-log').textContent());
await page.screenshot({ path: out, fullPage: true });
await context.close();
server.close();
