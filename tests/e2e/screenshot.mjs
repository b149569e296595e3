// Regenerates the README's screenshots: a run in headless Chromium (default: the full P2
// run, seed's setup), captured when it has finished.
// Usage: node tests/e2e/screenshot.mjs [out.png] [query] [WIDTHxHEIGHT]   (needs a dist/ build)
// A phone: `node tests/e2e/screenshot.mjs assets/screenshot-phone.png 'experiment=p2&backend=cpu&autostart=1' 390x844`.
import path from 'node:path';
import { serve, launch, finished, distDir } from './server.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const out = process.argv[2] ?? path.join(here, '../../assets/screenshot.png');
const query = process.argv[3] ?? 'experiment=p2&backend=cpu&autostart=1';
const [width, height] = (process.argv[4] ?? '1280x900').split('x').map(Number);
const server = await serve(distDir());
const { context, page } = await launch({ width, height });
await page.goto(`${server.url}/?${query}`);
await finished(page, 1_800_000);
// Whatever figures this experiment shows (P4 has a validation loss, not a test accuracy).
const shown = async (id) => ((await page.getByTestId(id).count()) ? page.getByTestId(id).first().textContent() : '—');
for (const id of ['run-status', 'backend', 'test-accuracy', 'val-loss', 'epoch-log']) console.log(`${id}: ${await shown(id)}`);
// A phone shows its first screens (a full page would be a very long strip).
await page.screenshot({ path: out, fullPage: width >= 800 });
await context.close();
server.close();
