// A small REST client for the manager's Flamenco API, with worker basic auth.
import { SERVER_URL } from './harness.mjs';

export async function call(method, path, { body, auth, raw, contentType } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.id}:${auth.secret}`).toString('base64')}`;
  const res = await fetch(`${SERVER_URL}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, json, text, headers: res.headers };
}

export const get = (path, opts) => call('GET', path, opts);
export const post = (path, body, opts = {}) => call('POST', path, { ...opts, body });
export const put = (path, body, opts = {}) => call('PUT', path, { ...opts, body });
export const del = (path, opts) => call('DELETE', path, opts);

export function echoSleepJob(name, extra = {}) {
  return {
    name, type: 'echo-sleep-test', priority: 50, submitter_platform: 'linux',
    settings: { message: `hello from ${name}`, sleep_duration_seconds: 1 }, ...extra,
  };
}

export async function registerWorker(name) {
  const secret = `secret-${name}`;
  const res = await post('/api/v3/worker/register-worker', {
    name, secret, platform: 'linux', supported_task_types: ['blender', 'ffmpeg', 'file-management', 'misc'],
  });
  if (res.status !== 200) throw new Error(`register-worker: ${res.status} ${res.text}`);
  return { id: res.json.uuid, secret, registered: res.json };
}
