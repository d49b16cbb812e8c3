// The REST API of the same origin. Every failure becomes an ApiError carrying the API's own
// message (Flamenco's `Error` body), which the page shows to the person who asked.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/**
 * Calls the API: resolves with the parsed JSON, the text of a non-JSON answer, or null for
 * 204; rejects with an ApiError for any other status or a network failure.
 */
export async function api(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, `the manager cannot be reached (${e.message})`);
  }
  if (res.status === 204) return null;
  const text = await res.text();
  if (!res.ok) {
    let message;
    try { message = JSON.parse(text).message; } catch { message = undefined; }
    throw new ApiError(res.status, message || `${res.status} ${res.statusText}`);
  }
  return (res.headers.get('content-type') || '').includes('json') ? JSON.parse(text) : text;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const del = (path) => api('DELETE', path);

/** Path segment for an id taken from the address bar. */
export const seg = (id) => encodeURIComponent(id);
