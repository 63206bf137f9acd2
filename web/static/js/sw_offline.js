// Service worker part: the phone app opens offline with what it last showed.
//
// Promises: the app shell (the page, its style sheet and the phone app's modules) is kept at install,
// so the app starts without a network; the last 待办 and the tasks the official opened (the task, its
// flow, the document, its page images and text version) are kept as they are fetched and read back
// offline. Always network first: online, every answer is fresh (an upgrade is never served stale, and
// nothing the service refuses is shown from a copy); the copy is used only when the network fails.
// Only GETs are touched: actions go to the network as the page sends them (offline, the page queues
// them itself, see offline_queue.js). Logging out deletes the kept data (the page does it).

const OA_SHELL_CACHE = "oa-shell-v1";
const OA_DATA_CACHE = "oa-data-v1";
const OA_DATA_LIMIT = 400;  // answers kept for offline reading; the oldest go first
const OA_SHELL = ["/", "/static/app.css", "/static/js/mobile.js", "/static/js/api.js", "/static/js/ui.js",
  "/static/js/push.js", "/static/js/mobile_pages.js", "/static/js/offline_queue.js"];
// What the phone app reads to show the list and an opened task; nothing else of the API is kept.
const OA_OFFLINE_API = [
  /^\/api\/me$/,
  /^\/api\/tasks$/,
  /^\/api\/tasks\/task-[0-9a-f]+$/,
  /^\/api\/instances\/[\w-]+$/,
  /^\/api\/instances\/[\w-]+\/signatures\/[0-9a-f]{64}\.png$/,
  /^\/api\/documents\/[\w-]+$/,
  /^\/api\/documents\/[\w-]+\/(?:pages|preview)$/,
  /^\/api\/documents\/[\w-]+\/pages\/\d+\.png$/,
];

self.addEventListener("install", (event) => {
  // A new version takes over at once: with network first, the old and new shells never disagree online.
  event.waitUntil(caches.open(OA_SHELL_CACHE).then((cache) => cache.addAll(OA_SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());  // the page that registered the worker is served offline too
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const shell = url.pathname === "/" || (url.pathname.startsWith("/static/") && url.pathname !== "/static/sw.js");
  if (shell) event.respondWith(oaNetworkFirst(event, OA_SHELL_CACHE, { ignoreSearch: true }));
  else if (oaFromPhoneApp(request) && OA_OFFLINE_API.some((pattern) => pattern.test(url.pathname))) {
    event.respondWith(oaNetworkFirst(event, OA_DATA_CACHE, {}));
  }
});

// Data is kept for the phone app only (the page at "/"), never for the desk or admin pages of the same
// browser: a shared office computer keeps no one's documents.
function oaFromPhoneApp(request) {
  try {
    return new URL(request.referrer).pathname === "/";
  } catch {
    return false;  // no referrer ("about:client", "")
  }
}

async function oaNetworkFirst(event, cacheName, matchOptions) {
  const request = event.request;
  try {
    const response = await fetch(request);
    // Only complete, successful answers are kept: a 401 or 404 must never be replayed as data.
    if (response.ok && response.status === 200) {
      const copy = response.clone();
      event.waitUntil(caches.open(cacheName).then(async (cache) => {
        await cache.put(request, copy);
        if (cacheName === OA_DATA_CACHE) await oaTrim(cache);
      }));
    }
    return response;
  } catch (failure) {
    const cache = await caches.open(cacheName);
    const kept = await cache.match(request, matchOptions);
    if (kept) return kept;
    throw failure;  // the page sees a network failure, as it would without the worker
  }
}

async function oaTrim(cache) {
  const keys = await cache.keys();
  for (const key of keys.slice(0, Math.max(0, keys.length - OA_DATA_LIMIT))) await cache.delete(key);
}

// The page says which other modules it loaded (pages added to mobile_pages.js), so they are kept too.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "oa.shell" || !Array.isArray(data.urls)) return;
  const urls = data.urls.filter((item) => typeof item === "string" && item.startsWith("/static/"));
  event.waitUntil(caches.open(OA_SHELL_CACHE).then((cache) => cache.addAll(urls)).catch(() => {}));
});
