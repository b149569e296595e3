// Loads the threaded CPU worker (a module worker; .ci/build-threads builds it with
// wasm-bindgen's `web` target into ./mt/). The page starts it only when it is cross-origin
// isolated, with `?threads=N&pool=ID`. The pool's threads instantiate the same module and memory
// (wasm-bindgen-rayon), so nothing of the worker runs until the pool is up.
import init, { init_threads, guard_pool, start_worker } from './mt/worker_mt.js';

const params = new URL(self.location.href).searchParams;
const asked = Number(params.get('threads'));
// The page's id for this worker's pool: a crashed pool thread tells the page under it.
const pool = Number(params.get('pool'));
const threads = Number.isInteger(asked) && asked >= 1 ? asked : (navigator.hardwareConcurrency || 1);

await init({ module_or_path: new URL('./mt/worker_mt_bg.wasm', import.meta.url) });
await init_threads(threads);
if (Number.isInteger(pool) && pool > 0 && pool < 2 ** 32) guard_pool(pool);
start_worker();
