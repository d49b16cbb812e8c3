// A client that stops reading, among real socket.io clients of both generations. The
// fixture server runs with a send buffer of 16 packets. The stalled client must be evicted
// (its transport closed, no Socket.IO disconnect), and the real clients must get every
// message in order and stay connected: the adapter's probe for full queues, an ack for an
// id no client ever used, must be ignored by socket.io-client 2.x and 4.x.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Client, SERVER_URL, socketRooms, eventually, withTimeout, uuid, burst } from '../lib/harness.mjs';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');

/** A raw Engine.IO 3 websocket that joins `/` and then stops reading. */
async function stalledClient() {
  const ws = new WebSocket(`${SERVER_URL.replace('http', 'ws')}/socket.io/?EIO=3&transport=websocket`);
  const sid = await withTimeout(new Promise((resolve, reject) => {
    let id;
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('0')) id = JSON.parse(text.slice(1)).sid;
      if (text === '40') resolve(id);
    });
    ws.on('error', reject);
  }), 'the raw client to connect');
  ws._socket.pause(); // stop reading: the kernel buffers fill, then the server's queue
  return { ws, sid };
}

describe('a client that stops reading', () => {
  const open = [];
  after(() => open.forEach((c) => (c.close ? c.close() : c.ws.terminate())));

  it('is evicted, while 2.x and 4.x clients get everything in order and stay connected', async () => {
    const stalled = await stalledClient();
    open.push(stalled);
    const observers = [await Client.connect('v2-websocket'), await Client.connect('v4-websocket')];
    open.push(...observers);
    const disconnects = [];
    for (const o of observers) o.socket.on('disconnect', (reason) => disconnects.push(`${o.kind}: ${reason}`));
    const [sender] = observers;

    const total = 300;
    const filler = 'x'.repeat(60_000);
    for (let seq = 0; seq < total; seq++) {
      assert.equal(await sender.ack('/chat', { name: 'load', text: `${seq} ${filler}` }), 'message sent successfully.');
    }
    for (const o of observers) {
      await o.until((r) => r.filter((m) => m.event === '/message' && m.payload.name === 'load').length >= total, `${total} messages`);
      const seqs = o.received.filter((m) => m.event === '/message' && m.payload.name === 'load').map((m) => Number(m.payload.text.split(' ')[0]));
      assert.deepEqual(seqs, Array.from({ length: total }, (_, i) => i), `${o.kind}: every message, in order`);
      assert.equal(o.socket.connected, true, `${o.kind} still connected`);
    }
    assert.deepEqual(disconnects, []);
    await eventually(async () => (await socketRooms(stalled.sid)) === null, 'the stalled client to be evicted');
    for (const o of observers) assert.deepEqual(await socketRooms(o.id), ['Chat', 'FarmStatus', 'Jobs', 'Lifecycle']);
  });
});

// A long-polling client cannot have its TCP connection cut: its requests come and go. When
// its queue overflows it must not stay connected in no room, silently missing updates:
// its next request is refused, so the client drops the session, connects anew and can
// subscribe again.
describe('a long-polling client that falls behind', () => {
  const open = [];
  after(() => open.forEach((c) => c.close()));

  for (const kind of ['v2-polling-only', 'v4-polling-only']) {
    it(`${kind}: is made to reconnect, and receives again after subscribing again`, async () => {
      const job = uuid();
      const client = await Client.connect(kind);
      open.push(client);
      const reasons = [];
      client.socket.on('disconnect', (reason) => reasons.push(reason));
      const firstId = client.id;
      assert.equal(await client.subscribe('job', job), 'ok');

      // 300 task updates at once: far more than the 16 packets its queue holds. The burst
      // reports the updates it could not deliver.
      await burst(job, 300, { expect: 500 });

      await eventually(() => client.socket.connected && client.id !== firstId, 'a new session');
      assert.deepEqual(reasons, ['transport error'], 'the client saw its transport fail, not a server disconnect');
      const oldRooms = await socketRooms(firstId);
      assert.ok(oldRooms === null || oldRooms.length === 0, `the old session is in no room: ${JSON.stringify(oldRooms)}`);
      assert.deepEqual(await socketRooms(client.id), ['Chat', 'FarmStatus', 'Jobs', 'Lifecycle']);

      assert.equal(await client.subscribe('job', job), 'ok');
      const before = client.received.filter((m) => m.event === '/task').length;
      await burst(job, 5);
      await client.until((r) => r.filter((m) => m.event === '/task').length >= before + 5, 'the next 5 task updates');
    });
  }
});
