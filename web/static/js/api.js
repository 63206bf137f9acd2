// The JSON API from the browser: cookie session + the session's CSRF token, errors as ApiError,
// and retries of actions on a flaky network that never do an action twice.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.body = body || {};
  }
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|; )oa_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export const channel = { value: "web" };

export async function api(method, path, body, extraHeaders = {}) {
  const headers = { "X-CSRF-Token": csrfToken(), "X-OA-Channel": channel.value, ...extraHeaders };
  let payload;
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    payload = body;
    headers["Content-Type"] = body.type || "application/octet-stream";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { message: text }; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body = {}, headers) => api("POST", path, body, headers);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function waitUntilOnline() {
  if (navigator.onLine) return Promise.resolve();
  return new Promise((resolve) => window.addEventListener("online", () => resolve(), { once: true }));
}

// Run an action that must happen once. A network failure is retried (after the connection is
// back); if a retry finds the action already done (`alreadyDone(error)` says so), that is success.
export async function once(action, alreadyDone, attempts = 5) {
  let tried = false;
  for (let attempt = 0; ; attempt += 1) {
    await waitUntilOnline();
    try {
      return await action();
    } catch (error) {
      if (error instanceof ApiError) {
        if (tried && (await alreadyDone(error))) return { alreadyDone: true };
        throw error;
      }
      tried = true;  // the request may have reached the server before the network failed
      if (attempt + 1 >= attempts) throw error;
      await sleep(500 * 2 ** attempt);
    }
  }
}
