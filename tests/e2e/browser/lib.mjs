// Helpers for the web-app suite: the real manager binary (started per test, on a port the
// OS picks), headless Chromium from the system driven by playwright-core, a page that
// records every console error, page error and failed request, and a worker driven over REST.
import { before, after } from 'node:test';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

const BIN = process.env.MANAGER_BIN;
if (!BIN) throw new Error('MANAGER_BIN is not set; run the suites with `cargo xtask e2e`');

/** The system's Chromium (Debian's `chromium` package); playwright-core downloads none. */
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

/** How long any one wait may take before the test fails saying what it waited for. */
export const WAIT_MS = 15_000;

const here = fileURLToPath(new URL('.', import.meta.url));
/** Where screenshots go: `target/e2e/screenshots` unless E2E_SCREENSHOTS says otherwise. */
export const SCREENSHOTS = process.env.E2E_SCREENSHOTS || resolve(here, '../../../target/e2e/screenshots');

export function within(promise, what, ms = WAIT_MS) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

export async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** A folder for one test's database and storage, removed by `cleanup()`. */
export function tempState() {
  const dir = mkdtempSync(join(tmpdir(), 'web-app-e2e-'));
  return { args: ['--database', join(dir, 'manager.sqlite'), '--storage-path', join(dir, 'storage')], cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts the manager; resolves once it listens. `args` add to `--listen`. */
export async function startManager({ port = 0, args = ['--database', ':memory:'] } = {}) {
  const child = spawn(BIN, ['--listen', `127.0.0.1:${port}`, ...args], {
    env: { ...process.env, RUST_LOG: 'info', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = [];
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const url = await within(new Promise((resolveUrl, reject) => {
    const read = (chunk) => {
      const text = chunk.toString();
      log.push(text);
      const match = /listening on (http:\/\/[0-9.:]+)/.exec(text);
      if (match) resolveUrl(match[1]);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`the manager exited (${code}) before listening:\n${log.join('')}`)));
  }), 'the manager to listen');
  return {
    url,
    log,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const { code } = await within(exited, 'the manager to stop');
      if (code !== 0) throw new Error(`the manager exited with ${code}:\n${log.join('')}`);
    },
    kill() { if (child.exitCode === null) child.kill('SIGKILL'); },
  };
}

/**
 * One manager (state in memory) and one browser for the tests of a `describe` block, started
 * before them and stopped after: `const farm = sharedFarm();` then `farm.manager`,
 * `farm.api` and `farm.browser` inside the tests.
 */
export function sharedFarm() {
  const farm = {};
  before(async () => {
    farm.manager = await startManager();
    farm.api = rest(farm.manager.url);
    farm.browser = await launchBrowser();
  });
  after(async () => {
    await farm.browser?.close();
    await farm.manager?.stop();
  });
  return farm;
}

export function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (\`sudo apt-get install chromium\`), or set CHROMIUM_BIN`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * Opens `path` of `base` in a new 1280x800 page. `problems` collects console errors, page
 * errors, failed requests and error answers; `allow(regexp)` excuses the ones a test causes
 * on purpose (and only those).
 */
export async function openPage(browser, base, path = '/') {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const problems = [];
  const allowed = [];
  const note = (text) => { if (!allowed.some((re) => re.test(text))) problems.push(text); };
  page.on('console', (m) => { if (m.type() === 'error') note(`console error: ${m.text()} (${m.location().url})`); });
  page.on('pageerror', (e) => note(`page error: ${e.message}`));
  // Chromium reports a 204 answer (which has no body) as an aborted load after the answer;
  // that is a whole answer, not a failure.
  const noContent = new WeakSet();
  page.on('response', (r) => {
    if (r.status() === 204) noContent.add(r.request());
    if (r.status() >= 400) note(`error answer: ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    if (noContent.has(r) && r.failure()?.errorText === 'net::ERR_ABORTED') return;
    note(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
  });
  // What the page sends over its websockets, as Socket.IO events: [name, payload].
  const sent = [];
  page.on('websocket', (ws) => ws.on('framesent', ({ payload }) => {
    const text = String(payload);
    const at = text.indexOf('[');
    if (text.startsWith('42') && at > 0) sent.push(JSON.parse(text.slice(at)));
  }));
  await page.goto(base + path);
  return { page, context, problems, sent, allow: (re) => allowed.push(re) };
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** The header's connection indicator shows `state` (connecting, connected, disconnected). */
export async function connection(page, state) {
  await page.locator(`#connection[data-state="${state}"]`).waitFor({ timeout: WAIT_MS });
}

/** A small REST client for `base`, with worker basic auth. */
export function rest(base) {
  const call = async (method, path, body, { auth, raw, contentType } = {}) => {
    const headers = {};
    if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
    if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.id}:${auth.secret}`).toString('base64')}`;
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : raw ? body : JSON.stringify(body) });
    const text = await res.text();
    let json;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    return { status: res.status, json, text };
  };
  const expect = async (status, promise, what) => {
    const res = await promise;
    if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text}`);
    return res.json;
  };
  return {
    call,
    get: (path) => expect(200, call('GET', path), `GET ${path}`),
    post: (path, body, status = 204, opts) => expect(status, call('POST', path, body, opts), `POST ${path}`),
    submitJob: (name, extra = {}) => expect(200, call('POST', '/api/v3/jobs', {
      name, type: 'echo-sleep-test', priority: 50, submitter_platform: 'linux',
      settings: { message: `hello from ${name}`, sleep_duration_seconds: 1 }, ...extra,
    }), 'submit a job'),
  };
}

/** A worker driven over REST: registers, signs on, wakes, takes tasks and reports on them. */
export async function worker(api, name) {
  const secret = `secret-${name}`;
  const registered = await api.post('/api/v3/worker/register-worker',
    { name, secret, platform: 'linux', supported_task_types: ['misc', 'blender', 'ffmpeg', 'file-management'] }, 200);
  const auth = { id: registered.uuid, secret };
  return {
    id: registered.uuid,
    async wake() {
      await api.post('/api/v3/worker/sign-on', { name, supported_task_types: ['misc', 'blender', 'ffmpeg', 'file-management'], software_version: '3.9' }, 200, { auth });
      await api.post('/api/v3/worker/state-changed', { status: 'awake' }, 204, { auth });
    },
    take: () => api.post('/api/v3/worker/task', undefined, 200, { auth }),
    update: (taskId, body) => api.post(`/api/v3/worker/task/${taskId}`, body, 204, { auth }),
    image: (taskId, bytes) => api.post(`/api/v3/worker/task/${taskId}/output-produced`, bytes, 202, { auth, raw: true, contentType: 'image/png' }),
    signOff: () => api.post('/api/v3/worker/sign-off', undefined, 204, { auth }),
  };
}

/** A real PNG image, `width`x`height`, a colour gradient shifted by `seed`: what a render might send. */
export function png(width, height, seed = 0) {
  const { deflateSync, crc32 } = zlib;
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = Math.round(40 + (150 * x) / width + 10 * (seed % 4));
      raw[row + 2 + x * 3] = Math.round(60 + (120 * y) / height);
      raw[row + 3 + x * 3] = Math.round(200 - (110 * x) / width - 10 * (seed % 4));
    }
  }
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'ascii'), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
