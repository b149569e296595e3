// Regenerates the README's screenshot: a full P2 run (seed's setup) in headless Chromium.
// Usage: node tests/e2e/screenshot.mjs [out.png] [query]   (needs a dist/ build)
import path from 'node:path';
import { serve, launch, finished, distDir } from './server.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const out = process.argv[2] ?? path.join(here, '../../assets/screenshot.png');
const query = process.argv[3] ?? 'experiment=p2&backend=auto&autostart=1';
const server = await serve(distDir());
const { context, page } = await launch({ width: 1280, height: 900 });
await page.goto(`${server.url}/?${query}`);
await finished(page, 1_800_000);
console.log('run-status:', await page.getByTestId('run-status').textContent(), 'backend:', await page.getByTestId('backend').textContent(),
  'test accuracy:', await page.getByTestId('test-accuracy').textContent(), 'epoch log:\n' + await page.getByTestId('epoch-log').textContent());
await page.screenshot({ path: out, fullPage: true });
await context.close();
server.close();
