// The TensorFlow.js reference page (bench/tfjs/), one run per fresh page load.
import { launch } from './server.mjs';

/** One TF.js run. Resolves to {status: 'ok', epochs, …} or {status, message}. */
export async function runTfjs(profile, baseUrl, { model, backend, epochs, trainSize, seed, isolated, threads }, timeoutMs) {
  const { context, page } = await launch(profile);
  try {
    await page.goto(`${baseUrl}/bench/${isolated ? '?isolated=1' : ''}`);
    await page.waitForFunction(() => window.benchReady === true, null, { timeout: 60_000 });
    const run = page.evaluate((o) => window.benchRun(o), { model, backend, epochs, trainSize, seed, threads });
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs).unref());
    const result = await Promise.race([run, timeout]);
    if (result.error) {
      // TF.js' wasm backend registers no gradient kernels for convolutions.
      const unsupported = /not registered for backend/.test(result.error);
      return { status: unsupported ? 'unsupported' : 'error', message: result.error };
    }
    const threadNote = result.wasm ? `, ${result.wasm.threads} thread${result.wasm.threads === 1 ? '' : 's'}` : '';
    // WebGPU only (null elsewhere): the last epoch's, as the page's column reports its own.
    const dispatches = result.history.at(-1)?.dispatchesPerStep ?? null;
    return {
      status: 'ok',
      dispatches: dispatches === null ? null : { dispatches },
      epochs: result.history.map((m) => ({ epoch: m.epoch, seconds: m.seconds, trainSeconds: m.trainSeconds })),
      backend: `tfjs ${result.backend}${threadNote}`,
      trainSize,
      source: 'model.fit callbacks (onEpochBegin → onEpochEnd)',
    };
  } catch (e) {
    return { status: 'error', message: String(e?.message ?? e).split('\n')[0] };
  } finally {
    await context.close();
  }
}

/** The WebGPU adapter Chromium offers here, as the TF.js page reads it (null if none). */
export async function webgpuAdapter(profile, baseUrl) {
  const { context, page } = await launch(profile);
  try {
    await page.goto(`${baseUrl}/bench/`);
    await page.waitForFunction(() => window.benchReady === true, null, { timeout: 60_000 });
    return await page.evaluate(() => window.benchAdapter());
  } catch (e) {
    return `unknown (${String(e?.message ?? e).split('\n')[0]})`;
  } finally {
    await context.close();
  }
}
