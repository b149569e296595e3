// Regenerates the README's screenshots: a run in headless Chromium (default: the full P2
// run, seed's setup), captured when it has finished.
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
// Whatever figures this experiment shows (P4 has a validation loss, not a test accuracy).
const shown = async (id) => ((await page.getByTestId(id).count()) ? page.getByTestId(id).first().textContent() : '—');
for (const id of ['run-status', 'backend', 'test-accuracy', 'val-loss', 'epoch-log']) console.log(`${id}: ${await shown(id)}`);
await page.screenshot({ path: out, fullPage: true });
await context.close();
server.close();
