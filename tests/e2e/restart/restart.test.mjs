// Restart: on SIGTERM the manager sends `/lifecycle` `manager-shutdown`, exits 0 within
// seconds and closes connections at the transport level; socket.io-client 2.x (and 4.x) clients reconnect by themselves when it is
// back on the same port, re-subscribe as Flamenco's frontend does, and receive again.
// This suite starts the manager itself (MANAGER_BIN), so it can stop and restart it.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ioV2 = require('socket.io-client-v2');
const { io: ioV4 } = require('socket.io-client-v4');

const BIN = process.env.MANAGER_BIN;
if (!BIN) throw new Error('MANAGER_BIN is not set; run the suites with `cargo xtask e2e`');
const WAIT_MS = 15_000;

function within(promise, what, ms = WAIT_MS) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

function startManager(port) {
  const child = spawn(BIN, ['--listen', `127.0.0.1:${port}`], { env: { ...process.env, RUST_LOG: 'info', NO_COLOR: '1' } });
  const log = [];
  const listening = new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      log.push(chunk.toString());
      if (chunk.toString().includes('listening on http://')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`manager exited early (${code}): ${log.join('')}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, log, listening: within(listening, 'the manager to listen'), exited };
}

async function registerWorker(url, name) {
  const res = await fetch(`${url}/api/v3/worker/register-worker`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, secret: 's', platform: 'linux', supported_task_types: ['misc'] }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).uuid;
}

/** A page that, like Flamenco's frontend, (re-)subscribes to the workers list on every connect. */
function workersPage(make, url) {
  const socket = make(url);
  const page = { socket, workers: [], connects: 0, disconnects: [], lifecycle: [], statuses: [] };
  socket.on('connect', () => {
    page.connects += 1;
    socket.emit('/subscription', { op: 'subscribe', type: 'allWorkers' }, (ack) => { page.lastAck = ack; });
  });
  socket.on('disconnect', (reason) => page.disconnects.push(reason));
  socket.on('/workers', (w) => page.workers.push(w));
  // What it heard, and how many disconnects it had seen by then.
  socket.on('/lifecycle', (e) => page.lifecycle.push({ type: e.type, disconnects: page.disconnects.length }));
  socket.on('/status', (s) => page.statuses.push({ status: s.status, connects: page.connects }));
  return page;
}

async function until(check, what) {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('restarting the manager', () => {
  let manager;
  after(() => manager?.child.kill('SIGKILL'));

  it('sends manager-shutdown, exits 0 on SIGTERM, and 2.x and 4.x clients reconnect, re-subscribe and receive', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    manager = startManager(port);
    await manager.listening;

    const options = { reconnectionDelay: 100, reconnectionDelayMax: 500, randomizationFactor: 0, transports: ['websocket'] };
    const pages = [
      workersPage((u) => ioV2(u, { ...options, forceNew: true }), url),
      workersPage((u) => ioV4(u, { ...options, forceNew: true }), url),
    ];
    try {
      await until(() => pages.every((p) => p.connects === 1 && p.lastAck === 'ok'), 'both pages to subscribe');
      const first = await registerWorker(url, 'before-restart');
      await until(() => pages.every((p) => p.workers.some((w) => w.id === first)), 'the first worker update');

      const stoppedAt = Date.now();
      manager.child.kill('SIGTERM');
      const { code, signal } = await within(manager.exited, 'the manager to exit', 10_000);
      assert.equal(code, 0, `exit code (signal ${signal}); log:\n${manager.log.join('')}`);
      assert.ok(Date.now() - stoppedAt < 10_000, 'exited within seconds');
      await until(() => pages.every((p) => p.disconnects.length === 1), 'both pages to see the disconnect');
      for (const p of pages) {
        assert.equal(p.disconnects[0], 'transport close', 'a closed transport, not "io server disconnect"');
        // manager-shutdown arrived, before the transport closed.
        assert.deepEqual(p.lifecycle, [{ type: 'manager-shutdown', disconnects: 0 }]);
      }

      manager = startManager(port);
      await manager.listening;
      await until(() => pages.every((p) => p.connects === 2 && p.lastAck === 'ok'), 'both pages to reconnect and re-subscribe');
      const second = await registerWorker(url, 'after-restart');
      await until(() => pages.every((p) => p.workers.some((w) => w.id === second)), 'the worker update after the restart');
      // The farm's status was given on each connect, the restarted manager's too.
      for (const p of pages) {
        assert.deepEqual(p.statuses.filter((s) => s.connects === 2), [{ status: 'inoperative', connects: 2 }]);
      }
    } finally {
      pages.forEach((p) => p.socket.close());
    }
  });
});
