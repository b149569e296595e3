// Cross-origin isolation for static hosts that cannot send COOP/COEP (GitHub Pages and the
// like): this service worker answers the page's own requests with the two headers added,
// so the page is isolated and the CPU backend can train on every core (the threaded
// worker needs SharedArrayBuffer). Hosts that send the headers (trunk serve, README
// "Static hosting") never register it. Requests to other origins (a dataset the visitor
// agreed to) are not touched: they are CORS fetches, which require-corp accepts.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (new URL(request.url).origin !== self.location.origin) return;
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(fetch(request).then((response) => {
    // Opaque and error responses pass as they are.
    if (response.status === 0 || response.type === 'opaque') return response;
    const headers = new Headers(response.headers);
    headers.set('Cross-Origin-Opener-Policy', 'same-origin');
    headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }));
});
