// Loads the threaded CPU worker (a module worker; .ci/build-threads builds it with
// wasm-bindgen's `web` target into ./mt/). The page starts it only when it is cross-origin
// isolated, with `?threads=N`. The pool's threads instantiate the same module and memory
// (wasm-bindgen-rayon), so nothing of the worker runs until the pool is up.
import init, { init_threads, start_worker } from './mt/worker_mt.js';

const asked = Number(new URL(self.location.href).searchParams.get('threads'));
const threads = Number.isInteger(asked) && asked >= 1 ? asked : (navigator.hardwareConcurrency || 1);

await init({ module_or_path: new URL('./mt/worker_mt_bg.wasm', import.meta.url) });
await init_threads(threads);
start_worker();
