// The same models in PyTorch on the CPU (bench/torch/train.py), timed by its own JSON result.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../torch/train.py');

/** The venv's python that `bench/run` installs PyTorch into (BENCH_TORCH_PYTHON overrides). */
export function torchPython() {
  const cache = process.env.MNIST_LAB_CACHE ?? path.join(os.homedir(), '.cache/mnist-lab');
  return path.resolve(process.env.BENCH_TORCH_PYTHON ?? path.join(cache, 'torch-venv/bin/python'));
}

/**
 * OpenMP's wait policy for torch's threads. GNU OpenMP spins between parallel regions by
 * default; on a machine whose cores are also busy with something else (a compile) that made
 * a P2 epoch 20 to 70 times slower with 2 threads than with 1. PASSIVE (threads sleep) keeps
 * all cores in use without that collapse; an OMP_WAIT_POLICY in the environment wins.
 */
export const WAIT_POLICY = process.env.OMP_WAIT_POLICY ?? 'PASSIVE';

/**
 * One PyTorch run: `threads` null keeps torch's default (one thread per physical core).
 * Resolves to {status: 'ok', epochs, …} or {status, message}.
 */
export function runTorch(python, dataDir, { model, epochs, trainSize, seed, threads }, timeoutMs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-lab-bench-torch-'));
  const json = path.join(dir, 'result.json');
  const args = [SCRIPT, '--model', model, '--epochs', String(epochs), '--train-size', String(trainSize),
    '--seed', String(seed), '--data', dataDir, '--json', json];
  if (threads) args.push('--threads', String(threads));
  const env = { ...process.env, OMP_WAIT_POLICY: WAIT_POLICY };
  return new Promise((resolve) => {
    execFile(python, args, { timeout: timeoutMs, maxBuffer: 64 << 20, env }, (error, stdout, stderr) => {
      try {
        if (error) {
          const message = (stderr || String(error.message)).trim().split('\n').pop();
          resolve({ status: 'error', message });
          return;
        }
        const result = JSON.parse(fs.readFileSync(json, 'utf8'));
        if (!Array.isArray(result.history)) {
          resolve({ status: 'error', message: `no history[] in the torch JSON (keys: ${Object.keys(result).join(', ')})` });
          return;
        }
        const last = result.history.at(-1) ?? {};
        resolve({
          status: 'ok',
          epochs: result.history.map((m) => ({ epoch: m.epoch, seconds: m.seconds, trainSeconds: m.train_seconds })),
          backend: `PyTorch ${result.torch} on the CPU, ${result.threads} thread(s), OMP_WAIT_POLICY=${WAIT_POLICY}`,
          torch: result.torch,
          threads: result.threads,
          trainSize: result.train_size ?? null,
          // The last epoch's figures, to check the run trained (not used in the table).
          valLoss: last.val_loss ?? null,
          valAccuracy: last.val_accuracy ?? null,
          source: 'torch JSON history',
        });
      } catch (e) {
        resolve({ status: 'error', message: String(e?.message ?? e) });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
