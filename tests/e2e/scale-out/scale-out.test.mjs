// Scale-out: the manager and two webupdates-node processes share rooms through a real
// redis-server. socket.io-client 2.5.0 (websocket, and polling with upgrade) and 4.x on
// each of them get every REST-caused update in the same order; subscriptions are per node;
// chat crosses nodes; a stalled client is evicted on its node; Redis killed mid-stream and
// started again leaves no client with a gap its transport did not announce.
// This suite starts every process itself (MANAGER_BIN, NODE_BIN, redis-server on PATH).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, createConnection } from 'node:net';
import { createRequire } from 'node:module';

const MANAGER_BIN = process.env.MANAGER_BIN;
const NODE_BIN = process.env.NODE_BIN;
if (!MANAGER_BIN || !NODE_BIN) throw new Error('MANAGER_BIN and NODE_BIN must be set; run the suites with `cargo xtask e2e`');
const WAIT_MS = 20_000;

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function eventually(check, what, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Whether a Redis server on `port` answers PING. */
function pings(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'));
    socket.setTimeout(1000, () => { socket.destroy(); resolve(false); });
    socket.on('data', (d) => { socket.destroy(); resolve(d.toString().startsWith('+PONG')); });
    socket.on('error', () => resolve(false));
  });
}

/** redis-server on `port`, nothing saved to disk; stopped by its pid. */
async function startRedis(port) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const failed = new Promise((_, reject) => child.on('error', (e) => reject(new Error(
    e.code === 'ENOENT'
      ? 'redis-server is not installed: install Debian\'s `redis-server` package (apt-get install redis-server; `cargo xtask ci` does it as root)'
      : `cannot start redis-server: ${e.message}`))));
  await Promise.race([failed, eventually(() => pings(port), `redis-server on port ${port}`)]);
  return child;
}

/** Starts a binary that logs `listening on http://ADDR`; resolves with its URL. */
async function startServer(bin, args, name) {
  const child = spawn(bin, args, { env: { ...process.env, RUST_LOG: 'info', NO_COLOR: '1' } });
  const log = [];
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not listen in time: ${log.join('')}`)), WAIT_MS);
    child.stderr.on('data', (chunk) => {
      log.push(chunk.toString());
      const m = chunk.toString().match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => reject(new Error(`${name} exited early (${code}): ${log.join('')}`)));
  });
  child.stderr.on('data', (chunk) => log.push(chunk.toString()));
  return { child, url, log, name };
}

async function ready(server) {
  return (await fetch(`${server.url}/ready`)).status === 200;
}

async function metric(server, line) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(line));
  return found ? Number(found.slice(line.length).trim()) : 0;
}

// The harness reads the manager's URL from E2E_URL when it is imported, so the manager's
// port is chosen first and the harness imported after.
const managerPort = await freePort();
process.env.E2E_URL = `http://127.0.0.1:${managerPort}`;
const { Client, uuid } = await import('../lib/harness.mjs');
const { get, post, echoSleepJob } = await import('../lib/rest.mjs');
const require = createRequire(import.meta.url);
const WebSocket = require('ws');

const KINDS = ['v2-websocket', 'v2-polling', 'v4-websocket', 'v4-polling'];
const BIG = ['--max-chat-text', '70000', '--max-payload', '200000'];

/**
 * A page that, like Flamenco's frontend, subscribes to the workers list on every connect,
 * and logs what it receives and when its transport closes.
 */
function workersPage(kind, url) {
  const client = new Client(kind, url);
  const page = { client, kind, url, log: [], connects: 0, acked: 0 };
  client.socket.on('connect', () => {
    page.connects += 1;
    client.socket.emit('/subscription', { op: 'subscribe', type: 'allWorkers' }, (ack) => { if (ack === 'ok') page.acked += 1; });
  });
  client.socket.on('disconnect', (reason) => page.log.push({ closed: reason }));
  client.socket.on('/workers', (w) => page.log.push({ name: w.name }));
  return page;
}

/** The numbers of the workers named `${prefix}-N` a page received, in order. */
function numbers(page, prefix) {
  return page.log.filter((e) => e.name?.startsWith(`${prefix}-`)).map((e) => Number(e.name.slice(prefix.length + 1)));
}

async function registerWorkers(prefix, from, to, { concurrency = 1 } = {}) {
  let next = from;
  const one = async () => {
    while (next < to) {
      const n = next++;
      const res = await post('/api/v3/worker/register-worker', { name: `${prefix}-${n}`, secret: 's', platform: 'linux', supported_task_types: ['misc'] });
      if (res.status !== 200) throw new Error(`register-worker: ${res.status} ${res.text}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
}

describe('the manager and two nodes through Redis', () => {
  let redis;
  let redisPort;
  let manager;
  let nodes;
  const pages = [];
  const extra = [];

  before(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    manager = await startServer(MANAGER_BIN, ['--listen', `127.0.0.1:${managerPort}`, '--redis', redisUrl, ...BIG], 'manager');
    nodes = [
      await startServer(NODE_BIN, ['--listen', '127.0.0.1:0', '--redis', redisUrl, '--send-buffer', '64', ...BIG], 'node 1'),
      await startServer(NODE_BIN, ['--listen', '127.0.0.1:0', '--redis', redisUrl, ...BIG], 'node 2'),
    ];
    for (const s of [manager, ...nodes]) await eventually(() => ready(s), `${s.name} to be ready`);
    for (const s of [manager, ...nodes]) for (const kind of KINDS) pages.push(workersPage(kind, s.url));
    await eventually(() => pages.every((p) => p.acked >= 1), 'every page to subscribe');
  });

  after(() => {
    [...pages.map((p) => p.client), ...extra].forEach((c) => c.close());
    for (const s of [manager, ...(nodes ?? [])]) s?.child.kill('SIGKILL');
    redis?.kill('SIGKILL');
  });

  it('2,000 REST-caused updates arrive complete and in the same order on every node', async () => {
    const total = 2000;
    await registerWorkers('burst', 0, total, { concurrency: 8 });
    await eventually(() => pages.every((p) => numbers(p, 'burst').length >= total), `${total} worker updates on every page`, 60_000);
    const reference = numbers(pages[0], 'burst');
    assert.equal(new Set(reference).size, total, 'every update, once');
    for (const p of pages) {
      assert.deepEqual(numbers(p, 'burst'), reference, `${p.kind} on ${p.url}: the same order`);
      assert.equal(p.log.filter((e) => e.closed).length, 0, `${p.kind} on ${p.url} stayed connected`);
    }
  });

  it('subscriptions and unsubscriptions work per node', async () => {
    const job = await post('/api/v3/jobs', echoSleepJob('scale-out'));
    assert.equal(job.status, 200, job.text);
    const [task] = (await get(`/api/v3/jobs/${job.json.id}/tasks`)).json.tasks;
    const watcher = await Client.connect('v2-websocket'); // on the manager
    const onNode1 = new Client('v2-websocket', nodes[0].url);
    const onNode2 = new Client('v4-websocket', nodes[1].url);
    extra.push(watcher, onNode1, onNode2);
    await onNode1.connected();
    await onNode2.connected();
    assert.equal(await onNode1.subscribe('job', job.json.id), 'ok');
    const setStatus = (status) => post(`/api/v3/tasks/${task.id}/setstatus`, { status, reason: 'scale-out test' });
    assert.equal((await setStatus('canceled')).status, 204);
    await onNode1.until((r) => r.some((m) => m.event === '/task' && m.payload.id === task.id), 'the task update on node 1');
    // A chat message sent after the update reaches node 2 after it too: node 2's client,
    // not subscribed, got no task update.
    const token = `after-${uuid()}`;
    assert.equal(await watcher.ack('/chat', { name: 'barrier', text: token }), 'message sent successfully.');
    await onNode2.until((r) => r.some((m) => m.event === '/message' && m.payload.text === token), 'the barrier on node 2');
    assert.deepEqual(onNode2.about(task.id), []);

    assert.equal(await onNode1.unsubscribe('job', job.json.id), 'ok');
    assert.equal((await setStatus('queued')).status, 204);
    const token2 = `after-${uuid()}`;
    assert.equal(await watcher.ack('/chat', { name: 'barrier', text: token2 }), 'message sent successfully.');
    await onNode1.until((r) => r.some((m) => m.event === '/message' && m.payload.text === token2), 'the second barrier on node 1');
    assert.equal(onNode1.about(task.id).filter((m) => m.event === '/task').length, 1, 'no task update after unsubscribing');
  });

  it('a chat message from a client of one node reaches Chat on every node', async () => {
    const sender = new Client('v4-polling', nodes[1].url);
    extra.push(sender);
    await sender.connected();
    const token = `chat-${uuid()}`;
    assert.equal(await sender.ack('/chat', { name: 'node 2', text: token }), 'message sent successfully.');
    for (const p of pages) {
      await p.client.until((r) => r.some((m) => m.event === '/message' && m.payload.text === token), `${p.kind} on ${p.url}: the chat`);
    }
  });

  it('a stalled client on a node is evicted there and counted, and no one else is', async () => {
    const before1 = await metric(nodes[0], 'webupdates_overflow_disconnects_total');
    const before2 = await metric(nodes[1], 'webupdates_overflow_disconnects_total');
    const ws = new WebSocket(`${nodes[0].url.replace('http', 'ws')}/socket.io/?EIO=3&transport=websocket`);
    extra.push({ close: () => ws.terminate() });
    await new Promise((resolve, reject) => {
      ws.on('message', (data) => { if (data.toString() === '40') resolve(); });
      ws.on('error', reject);
    });
    ws._socket.pause(); // stop reading: the kernel's buffers fill, then the node's queue
    const sender = pages.find((p) => p.url === manager.url && p.kind === 'v2-websocket').client;
    const filler = 'x'.repeat(60_000);
    for (let i = 0; i < 400 && (await metric(nodes[0], 'webupdates_overflow_disconnects_total')) === before1; i++) {
      assert.equal(await sender.ack('/chat', { name: 'load', text: `${i} ${filler}` }), 'message sent successfully.');
    }
    await eventually(async () => (await metric(nodes[0], 'webupdates_overflow_disconnects_total')) > before1, 'the stalled client to be evicted on node 1');
    assert.equal(await metric(nodes[1], 'webupdates_overflow_disconnects_total'), before2, 'nothing evicted on node 2');
    assert.ok(pages.every((p) => p.log.filter((e) => e.closed).length === 0), 'the pages stayed connected');
  });

  it('Redis killed mid-stream and started again: no gap without a closed transport, and all receive again', async () => {
    const total = 600;
    let sent = 0;
    const sending = (async () => {
      for (; sent < total; sent++) {
        const res = await post('/api/v3/worker/register-worker', { name: `restart-${sent}`, secret: 's', platform: 'linux', supported_task_types: ['misc'] });
        assert.equal(res.status, 200, 'REST keeps working without Redis');
      }
    })();
    await eventually(() => sent >= 200, '200 updates sent');
    redis.kill('SIGKILL');
    assert.ok(sent < total, 'Redis goes away while updates are being sent');
    await eventually(async () => !(await ready(nodes[0])) && !(await ready(nodes[1])) && !(await ready(manager)), 'every server to say it is not ready');
    const refused = await fetch(`${nodes[0].url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(refused.status, 503, 'new connections are refused while Redis is away');
    await sleep(300);
    redis = await startRedis(redisPort);
    await sending;
    for (const s of [manager, ...nodes]) await eventually(() => ready(s), `${s.name} to be ready again`);
    await eventually(() => pages.every((p) => p.client.socket.connected && p.acked === p.connects), 'every page to reconnect and subscribe again');

    await registerWorkers('again', 0, 20);
    await eventually(() => pages.every((p) => numbers(p, 'again').length === 20), 'every page to receive again');
    for (const p of pages) {
      assert.ok(p.log.some((e) => e.closed), `${p.kind} on ${p.url}: its transport was closed`);
      assert.deepEqual(numbers(p, 'again'), Array.from({ length: 20 }, (_, i) => i));
      let last = null;
      for (const e of p.log.filter((x) => x.closed || x.name?.startsWith('restart-'))) {
        if (e.closed) { last = null; continue; }
        const n = Number(e.name.slice('restart-'.length));
        if (last !== null) assert.equal(n, last + 1, `${p.kind} on ${p.url}: update ${last + 1} missing without a closed transport before it`);
        last = n;
      }
    }
    for (const s of [manager, ...nodes]) {
      assert.ok(await metric(s, 'webupdates_redis_resyncs_total{reason="connection_lost"}') >= 1, `${s.name} counted the resync`);
    }
  });
});

describe('a node started before Redis', () => {
  let node;
  let redis;
  after(() => { node?.child.kill('SIGKILL'); redis?.kill('SIGKILL'); });

  it('becomes ready once Redis is up', async () => {
    const port = await freePort();
    node = await startServer(NODE_BIN, ['--listen', '127.0.0.1:0', '--redis', `redis://127.0.0.1:${port}`], 'node');
    const res = await fetch(`${node.url}/ready`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /not ready: .*Redis/);
    redis = await startRedis(port);
    await eventually(() => ready(node), 'the node to be ready');
    const client = new Client('v2-websocket', node.url);
    try {
      await client.connected();
    } finally {
      client.close();
    }
  });
});
