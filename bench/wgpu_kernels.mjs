// Sums a cubecl profiling log per kernel: where a step's time goes on burn's wgpu runtime.
//
//   node bench/wgpu_kernels.mjs LOG [--steps N] [--top 20] [--json out.json]
//
// LOG is what `bench/native-wgpu --profile` has the native runner write (cubecl's
// CUBECL_DEBUG_OPTION=profile: every kernel timed on its own, one `| 1.2ms | name` line each).
// `--steps` divides the totals by the run's training steps. Timing each kernel on its own
// serialises the queue, so the totals show which kernels cost, not the step's wall time.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { steps: { type: 'string' }, top: { type: 'string', default: '20' }, json: { type: 'string' } },
});
if (positionals.length !== 1) {
  console.error('usage: node bench/wgpu_kernels.mjs LOG [--steps N] [--top 20] [--json out.json]');
  process.exit(2);
}
const steps = values.steps === undefined ? null : Number(values.steps);
if (steps !== null && !(Number.isInteger(steps) && steps > 0)) {
  console.error(`--steps must be a positive integer, not '${values.steps}'`);
  process.exit(2);
}

const UNIT_MS = { s: 1e3, ms: 1, 'µs': 1e-3, us: 1e-3, ns: 1e-6 };
/** Milliseconds of a Rust `Duration` as `{:?}` prints it (`1.5ms`, `830.2µs`, `2s`), or null. */
export function durationMs(text) {
  const m = /^(\d+(?:\.\d+)?)(s|ms|µs|us|ns)$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]] : null;
}

/**
 * A kernel's name without its type parameters: cubecl names a matmul by every generic of its
 * launch (`MatmulEntry | TensorArgs | … | SimpleMatmulFamily | … | RowMajorGlobalPartitionMatmul_27c749df`);
 * its entry, its family and its last part (with the hash of this shape and config) say which.
 */
export function shortName(name) {
  const parts = name.split(' | ');
  if (parts.length <= 3) return name;
  const family = parts.find((p) => p.endsWith('Family'));
  return [parts[0], family, parts.at(-1)].filter(Boolean).join(' · ');
}

const kernels = new Map();
let lines = 0;
for (const line of readFileSync(positionals[0], 'utf8').split('\n')) {
  // `| 1.234ms    | name` (one kernel's execution; a name may hold ` | ` itself); the
  // summary tables start with a name, not a duration.
  const m = /^\|\s*([0-9.]+(?:s|ms|µs|us|ns))\s*\|\s*(.+?)\s*$/.exec(line);
  if (!m) continue;
  const ms = durationMs(m[1]);
  if (ms === null) continue;
  lines += 1;
  const name = shortName(m[2]);
  const item = kernels.get(name) ?? { name, launches: 0, ms: 0 };
  item.launches += 1;
  item.ms += ms;
  kernels.set(name, item);
}
if (lines === 0) {
  console.error(`no kernel timings in ${positionals[0]} (was it written with CUBECL_DEBUG_OPTION=profile?)`);
  process.exit(1);
}

const rows = [...kernels.values()].sort((a, b) => b.ms - a.ms);
const total = rows.reduce((sum, r) => sum + r.ms, 0);
const per = (x) => (steps ? x / steps : x);
const top = Number(values.top);
console.log(`${lines} kernel launches, ${rows.length} kernels, ${total.toFixed(1)} ms of kernel time${steps ? ` over ${steps} steps: ${per(lines).toFixed(1)} launches and ${per(total).toFixed(2)} ms per step` : ''}`);
console.log(`\n| kernel | launches${steps ? '/step' : ''} | ms${steps ? '/step' : ''} | µs/launch | share |\n| --- | ---: | ---: | ---: | ---: |`);
for (const r of rows.slice(0, top)) {
  const name = r.name.length > 90 ? `${r.name.slice(0, 87)}...` : r.name;
  console.log(`| \`${name.replaceAll('|', '\\|')}\` | ${per(r.launches).toFixed(steps ? 1 : 0)} | ${per(r.ms).toFixed(2)} | ${((r.ms / r.launches) * 1e3).toFixed(0)} | ${((100 * r.ms) / total).toFixed(1)} % |`);
}
if (rows.length > top) console.log(`| ${rows.length - top} more | | ${per(rows.slice(top).reduce((s, r) => s + r.ms, 0)).toFixed(2)} | | |`);
if (values.json) writeFileSync(values.json, JSON.stringify({ steps, launches: lines, total_ms: total, kernels: rows }, null, 2));
