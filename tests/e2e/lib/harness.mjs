// Shared helpers for the e2e suites: real socket.io clients of both generations, a
// recorder of what each client receives, and calls to the server under test.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';

const require = createRequire(import.meta.url);
const ioV2 = require('socket.io-client-v2');
const { io: ioV4 } = require('socket.io-client-v4');

export const SERVER_URL = process.env.E2E_URL;
if (!SERVER_URL) throw new Error('E2E_URL is not set; run the suites with `cargo xtask e2e`');

/** How long any single wait may take before the test fails with a message. */
export const WAIT_MS = 10_000;

/** Every event the server sends, per SPEC sections 3 and 7. */
export const SERVER_EVENTS = [
  '/message', '/jobs', '/task', '/tasklog', '/last-rendered', '/workers', '/workertags', '/status', '/lifecycle',
];

const common = { forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 200, randomizationFactor: 0, timeout: WAIT_MS };

/** The client generations and transports under test. */
export const CLIENTS = {
  // Flamenco's frontend: socket.io-client 2.x, websocket only.
  'v2-websocket': (url) => ioV2(url, { ...common, transports: ['websocket'] }),
  // socket.io-client 2.x default: long-polling first, then upgrade to websocket.
  'v2-polling': (url) => ioV2(url, { ...common }),
  'v4-websocket': (url) => ioV4(url, { ...common, transports: ['websocket'] }),
  'v4-polling': (url) => ioV4(url, { ...common }),
  // Long-polling that never upgrades, as behind a proxy that refuses websockets.
  'v2-polling-only': (url) => ioV2(url, { ...common, transports: ['polling'] }),
  'v4-polling-only': (url) => ioV4(url, { ...common, transports: ['polling'] }),
};

export function uuid() {
  return randomUUID();
}

export function withTimeout(promise, what, ms = WAIT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A connected client that records every server event it receives, in order. */
export class Client {
  constructor(kind, url = SERVER_URL) {
    this.kind = kind;
    this.socket = CLIENTS[kind](url);
    this.received = [];
    this.waiters = [];
    for (const event of SERVER_EVENTS) {
      this.socket.on(event, (payload) => {
        this.received.push({ event, payload });
        this.waiters = this.waiters.filter((w) => !w());
      });
    }
  }

  static async connect(kind) {
    const client = new Client(kind);
    await client.connected();
    return client;
  }

  connected() {
    if (this.socket.connected) return Promise.resolve();
    return withTimeout(new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('connect_error', reject);
    }), `${this.kind} to connect`);
  }

  get id() {
    return this.socket.id;
  }

  /** Emits `event` with `args` and resolves with the server's ack. */
  ack(event, ...args) {
    return withTimeout(new Promise((resolve) => this.socket.emit(event, ...args, resolve)), `ack of ${event}`);
  }

  subscribe(type, id) {
    return this.ack('/subscription', id === undefined ? { op: 'subscribe', type } : { op: 'subscribe', type, uuid: id });
  }

  unsubscribe(type, id) {
    return this.ack('/subscription', id === undefined ? { op: 'unsubscribe', type } : { op: 'unsubscribe', type, uuid: id });
  }

  /** Resolves once `predicate(received)` holds. */
  until(predicate, what) {
    return withTimeout(new Promise((resolve) => {
      const check = () => {
        if (predicate(this.received)) { resolve(); return true; }
        return false;
      };
      if (!check()) this.waiters.push(check);
    }), `${this.kind}: ${what}`);
  }

  /** What this client received that mentions `token` anywhere in its payload. */
  about(token) {
    return this.received.filter((r) => JSON.stringify(r.payload).includes(token));
  }

  close() {
    this.socket.close();
  }
}

/**
 * Resolves once every client has received a chat message sent after everything before it.
 * Each socket's updates arrive in the order the server queued them, so whatever a client
 * has not received by then, it was not sent.
 */
export async function barrier(sender, clients) {
  const token = `barrier-${uuid()}`;
  const ack = await sender.ack('/chat', { name: 'barrier', text: token });
  if (ack !== 'message sent successfully.') throw new Error(`chat ack was ${JSON.stringify(ack)}`);
  await Promise.all(clients.map((c) => c.until((r) => r.some((m) => m.event === '/message' && m.payload.text === token), `barrier ${token}`)));
}

/** Fires one of broadcast-core's notification rules on the fixture server. */
export async function fire(rule, payload) {
  const res = await fetch(`${SERVER_URL}/fixture/notify/${rule}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  if (res.status !== 204) throw new Error(`fire ${rule}: ${res.status} ${await res.text()}`);
}

/**
 * Sends `count` task updates to the job's room on the fixture server, and checks the answer:
 * 204 when every one was delivered, 500 when some member could not take them all.
 */
export async function burst(jobId, count, { expect = 204 } = {}) {
  const res = await fetch(`${SERVER_URL}/fixture/burst`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ job_id: jobId, count }),
  });
  if (res.status !== expect) throw new Error(`burst: ${res.status} (expected ${expect}) ${await res.text()}`);
}

/** The rooms socket `sid` is in on the server, sorted, or null when it is not connected. */
export async function socketRooms(sid) {
  const res = await fetch(`${SERVER_URL}/fixture/sockets/${encodeURIComponent(sid)}/rooms`);
  if (res.status === 404) return null;
  return res.json();
}

export async function roomSizes() {
  return (await (await fetch(`${SERVER_URL}/fixture/rooms`)).json()).rooms;
}

export async function eventually(check, what, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Payload builders, with the field names of the SocketIO* schemas.
export const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export function jobUpdate(id, extra = {}) {
  return { id, name: `job ${id}`, updated: now(), status: 'queued', type: 'echo-sleep-test', priority: 50, refresh_tasks: false, ...extra };
}

export function taskUpdate(id, jobId, extra = {}) {
  return { id, job_id: jobId, name: 'echo', updated: now(), status: 'active', activity: 'echoing', ...extra };
}

export function workerUpdate(id, extra = {}) {
  return { id, name: `worker ${id}`, updated: now(), status: 'awake', version: '3.5', can_restart: false, ...extra };
}
