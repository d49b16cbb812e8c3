// The reference peer for `cargo xtask bench`: Node's socket.io 4 server, speaking to
// socket.io-client 2.x (Engine.IO 3) through `allowEIO3`, with the manager's web-update
// behaviour as far as the benchmark exercises it:
//
// - on connection a socket joins `Chat` and `Jobs`;
// - `/chat` {name, text} goes to `Chat` as `/message`, acked `message sent successfully.`;
// - `/subscription` {op, type, uuid}: `allJobs` is `Jobs`, `job` is `job-<uuid>`, acked `ok`;
// - `POST /api/v3/jobs` creates a job (200, the job as JSON) and tells `Jobs`;
// - `POST /api/v3/jobs/{id}/setpriority` {priority} sets it (204) and sends `/jobs` to `Jobs`.
//
// It listens on 127.0.0.1, on a port the OS picks, and prints `listening on http://ADDR`.
// PING_INTERVAL_MS sets the heartbeat interval (default 25000, as Flamenco's).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { Server } from 'socket.io';

const CHAT_ACK = 'message sent successfully.';
const CHAT_INVALID = 'invalid chat message: expected {name: string, text: string}, ignoring request';
const pingInterval = Number(process.env.PING_INTERVAL_MS ?? 25000);
const MAX_BODY = 100_000;

/** Jobs by id, as the REST API returns them. */
const jobs = new Map();

function jobUpdate(job) {
  return {
    id: job.id, name: job.name, updated: job.updated, status: job.status, type: job.type,
    priority: job.priority, refresh_tasks: false,
  };
}

function reply(res, status, body) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function error(res, status, message) {
  reply(res, status, { code: status, message });
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) { reject(new Error('body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => {
      try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch (e) { reject(e); }
    });
    req.on('error', reject);
  });
}

const httpServer = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  try {
    if (req.method === 'POST' && url.pathname === '/api/v3/jobs') {
      const body = await readJson(req);
      if (typeof body?.name !== 'string' || typeof body?.type !== 'string') return error(res, 400, 'invalid job');
      const now = new Date().toISOString();
      const job = {
        id: randomUUID(), name: body.name, type: body.type, priority: body.priority ?? 50,
        submitter_platform: body.submitter_platform, settings: body.settings ?? {}, metadata: body.metadata ?? {},
        status: 'queued', created: now, updated: now, activity: '',
      };
      jobs.set(job.id, job);
      io.to('Jobs').emit('/jobs', jobUpdate(job));
      return reply(res, 200, job);
    }
    const m = url.pathname.match(/^\/api\/v3\/jobs\/([^/]+)\/setpriority$/);
    if (req.method === 'POST' && m) {
      const body = await readJson(req);
      const job = jobs.get(m[1]);
      if (!job) return error(res, 404, 'no such job');
      const p = body?.priority;
      if (!Number.isInteger(p) || p < 0 || p > 100) return error(res, 400, 'priority must be 0-100');
      job.priority = p;
      job.updated = new Date().toISOString();
      io.to('Jobs').emit('/jobs', jobUpdate(job));
      res.writeHead(204);
      return res.end();
    }
    return error(res, 404, 'not found');
  } catch (e) {
    return error(res, 400, String(e?.message ?? e));
  }
});

const io = new Server(httpServer, {
  allowEIO3: true,
  serveClient: false,
  pingInterval,
  pingTimeout: 20000,
  maxHttpBufferSize: MAX_BODY,
});

/** The room a `/subscription` request names, or null. */
function subscriptionRoom(req) {
  switch (req?.type) {
    case 'allJobs': return 'Jobs';
    case 'allWorkers': return 'Workers';
    case 'allWorkerTags': return 'WorkerTags';
    case 'allLastRendered': return 'LastRendered';
    case 'job': return typeof req.uuid === 'string' ? `job-${req.uuid}` : null;
    case 'tasklog': return typeof req.uuid === 'string' ? `tasklog-${req.uuid}` : null;
    default: return null;
  }
}

io.on('connection', (socket) => {
  socket.join(['Chat', 'Jobs']);
  socket.on('/chat', (msg, ack) => {
    const ok = typeof msg?.name === 'string' && typeof msg?.text === 'string';
    if (ok) io.to('Chat').emit('/message', { name: msg.name, text: msg.text });
    if (typeof ack === 'function') ack(ok ? CHAT_ACK : CHAT_INVALID);
  });
  socket.on('/subscription', (req, ack) => {
    const room = subscriptionRoom(req);
    const ok = room !== null && (req.op === 'subscribe' || req.op === 'unsubscribe');
    if (ok && req.op === 'subscribe') socket.join(room);
    if (ok && req.op === 'unsubscribe') socket.leave(room);
    if (typeof ack === 'function') ack(ok ? 'ok' : 'invalid subscription, ignoring request');
  });
});

httpServer.listen(0, '127.0.0.1', () => {
  const { address, port } = httpServer.address();
  console.log(`listening on http://${address}:${port}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
