// Starts the page's wasm. Trunk would start it from an inline module script, which the
// Content Security Policy forbids; Trunk.toml's pattern_script puts this file's tag in the
// page instead, with the two (hashed) paths as data attributes.
//
// First it adds the policy's connect-src: the page's own origin (and its own blob: URLs),
// plus the origin of the link's `data=` when the visitor has agreed to load from it (the
// page stores that origin in sessionStorage under CONSENT_KEY, src/ui/mod.rs
// `DATA_CONSENT_KEY`, and reloads). A policy cannot be widened once set, so agreeing means
// a reload.
const CONSENT_KEY = 'mnist-lab.data-origin-consent';

function connectSources() {
  // blob: URLs are made by the page itself (its downloads: results, models, figures).
  const sources = ["'self'", 'blob:'];
  try {
    const data = new URLSearchParams(location.search).get('data');
    const agreed = sessionStorage.getItem(CONSENT_KEY);
    if (data && agreed) {
      const url = new URL(data, location.href);
      // An origin is scheme://host:port, so it cannot carry a directive of its own.
      if ((url.protocol === 'https:' || url.protocol === 'http:') && url.origin === agreed) sources.push(url.origin);
    }
  } catch {
    // No storage or a malformed URL: the page's own origin only.
  }
  return sources.join(' ');
}

const policy = document.createElement('meta');
policy.httpEquiv = 'Content-Security-Policy';
policy.content = `connect-src ${connectSources()}`;
document.head.append(policy);

// Cross-origin isolation (threads for the CPU backend) on hosts that cannot send COOP and
// COEP: web/isolation_sw.js adds them. The first visit registers it and reloads once (the
// flag stops a loop where the worker cannot help); without it the page runs on one thread.
const ISOLATION_KEY = 'mnist-lab.isolation-reload';
// Why the page is or is not isolated, on <html data-isolation> for tests and for anyone
// reading the page's DOM: 'headers' (the host sent COOP/COEP, or the service worker did),
// 'unsupported' (no service workers or no secure context), 'blocked' (register() resolved to
// no registration), 'reloaded' (the service worker is in place and the one reload was spent
// already), 'reloading', 'timeout' (register() or ready took over 3 s) or 'refused'
// (register() threw).
async function isolate() {
  if (self.crossOriginIsolated) return 'headers';
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return 'unsupported';
  // A browser that blocks service workers may never settle these: the page starts anyway.
  const TIMEOUT = 'timeout';
  const within = (promise) => Promise.race([promise, new Promise((_, fail) => setTimeout(() => fail(new Error(TIMEOUT)), 3000))]);
  try {
    const registration = await within(navigator.serviceWorker.register('./isolation_sw.js'));
    // A real register() resolves to a registration; a stand-in that blocks service workers
    // (Playwright's `serviceWorkers: 'block'`, some extensions) resolves to nothing, and
    // `ready` would then never settle: start now instead of after the timeout.
    if (!registration) return 'blocked';
    if (sessionStorage.getItem(ISOLATION_KEY)) return 'reloaded';
    await within(navigator.serviceWorker.ready);
    sessionStorage.setItem(ISOLATION_KEY, '1');
    location.reload();
    return 'reloading';
  } catch (error) {
    return error?.message === TIMEOUT ? 'timeout' : 'refused';
  }
}

const isolation = await isolate();
document.documentElement.dataset.isolation = isolation;
if (isolation === 'reloading') {
  // Reloading: the page starts again, isolated.
  await new Promise(() => {});
}

// Compiled first, started in a task of its own. V8 decodes a streamed module's bytes on this
// thread as they arrive, and wasm-bindgen's init would instantiate and run the app (its first
// mount) in the same task as the last of them: one main-thread task of 50–95 ms on every
// load (bench/, 2026-12-04), where apart each stays under 50.
async function compile(url) {
  try {
    return await WebAssembly.compileStreaming(fetch(url));
  } catch {
    // A host that serves .wasm without `application/wasm` (streaming refuses it).
    return WebAssembly.compile(await (await fetch(url)).arrayBuffer());
  }
}

const tag = document.querySelector('script[data-app-js]');
const [{ default: init }, module] = await Promise.all([import(tag.dataset.appJs), compile(tag.dataset.appWasm)]);
await new Promise((next) => setTimeout(next, 0));
await init({ module_or_path: module });
