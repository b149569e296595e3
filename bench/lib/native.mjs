// The native runner (`mnist-lab run …`, burn's CPU backend), timed by its own JSON result.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const helpCache = new Map();
function runnerHelp(binary) {
  if (!helpCache.has(binary)) {
    try {
      helpCache.set(binary, execFileSync(binary, ['run', '--help'], { encoding: 'utf8' }));
    } catch {
      helpCache.set(binary, '');
    }
  }
  return helpCache.get(binary);
}

/** One native run. Resolves to {status: 'ok', epochs, …} or {status, message}. */
export function runNative(binary, dataDir, { model, epochs, trainSize, seed }, timeoutMs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-lab-bench-native-'));
  const json = path.join(dir, 'result.json');
  const args = ['run', model, '--epochs', String(epochs), '--train-size', String(trainSize), '--seed', String(seed),
    '--data', dataDir, '--json', json];
  // One network of the weight-decay sweep, as in the page column.
  if (model === 'p2d') args.push('--factors', '1e-4', '--replicates', '1');
  // P4 trains P3's CNN first (for 4C/4D, 40 epochs by default) unless told otherwise; its
  // time is not in P4's history, so keep it short. Older runners have no such flag.
  if (model === 'p4' && runnerHelp(binary).includes('--cnn-epochs')) args.push('--cnn-epochs', '1');
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      try {
        if (error) {
          const message = (stderr || String(error.message)).trim().split('\n').pop();
          // clap and the runner both name an experiment they do not know.
          const unknown = /unknown experiment|invalid value .* <EXPERIMENT>/i.test(stderr);
          resolve({ status: unknown ? 'not implemented' : 'error', message });
          return;
        }
        const result = JSON.parse(fs.readFileSync(json, 'utf8'));
        // P2/P3 (and P4) write one result with history[]; P2D writes {spec, networks: [RunResult…], stats, best}.
        const run = Array.isArray(result.networks) ? result.networks[0] : result;
        if (!Array.isArray(run?.history)) {
          resolve({ status: 'error', message: `no history[] in the native JSON (keys: ${Object.keys(result).join(', ')})` });
          return;
        }
        resolve({
          status: 'ok',
          // The runner's JSON has no training/validation split of an epoch.
          epochs: run.history.map((m) => ({ epoch: m.epoch, seconds: m.seconds, trainSeconds: null })),
          backend: run.backend ?? null,
          trainSize: run.config?.train_size != null ? Number(run.config.train_size) : null,
          source: Array.isArray(result.networks) ? 'native JSON networks[0].history' : 'native JSON history',
        });
      } catch (e) {
        resolve({ status: 'error', message: String(e?.message ?? e) });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
