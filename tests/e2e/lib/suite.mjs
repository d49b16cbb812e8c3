// The web-updates suite, run once per client generation and transport (see ../test/).
// Covers SPEC sections 2-5 as a browser sees them.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Client, barrier, fire, burst, socketRooms, roomSizes, eventually, sleep, uuid,
  jobUpdate, taskUpdate, workerUpdate, now,
} from './harness.mjs';

const OK = 'ok';
// The rooms every client joins on connect, as the server lists them (sorted).
const DEFAULT_ROOMS = ['Chat', 'FarmStatus', 'Jobs', 'Lifecycle'];
// A client's rooms: the default ones but `left`, then `joined`, sorted as the server lists them.
const rooms = (joined = [], left = []) => [...DEFAULT_ROOMS.filter((r) => !left.includes(r)), ...joined].sort();
const CHAT_ACK = 'message sent successfully.';

export function webUpdatesSuite(kind) {
  describe(`web updates over ${kind}`, () => {
    const open = [];
    const connect = async () => {
      const c = await Client.connect(kind);
      open.push(c);
      return c;
    };
    after(() => open.forEach((c) => c.close()));

    describe('connection', () => {
      it('joins Chat, FarmStatus, Jobs and Lifecycle, and nothing else', async () => {
        const c = await connect();
        assert.deepEqual(await socketRooms(c.id), DEFAULT_ROOMS);
      });

      if (kind.endsWith('polling')) {
        it('upgrades from long-polling to websocket', async () => {
          const c = await connect();
          await eventually(() => c.socket.io.engine.transport.name === 'websocket', 'the upgrade to websocket');
          assert.equal((await c.ack('/subscription', { op: 'subscribe', type: 'allWorkers' })), OK);
        });
      }

      it('stays connected across several heartbeats and still receives', async () => {
        const c = await connect();
        const id = c.id;
        // The fixture server runs with a 500 ms ping interval.
        await sleep(2500);
        assert.equal(c.socket.connected, true);
        assert.equal(c.id, id);
        const job = uuid();
        await fire('job_updated', jobUpdate(job));
        await c.until((r) => r.some((m) => m.event === '/jobs' && m.payload.id === job), 'the job update');
      });

      it('leaves every room on disconnect', async () => {
        const c = await connect();
        const job = uuid();
        assert.equal(await c.subscribe('job', job), OK);
        assert.equal((await roomSizes())[`job-${job}`], 1);
        const sid = c.id;
        c.close();
        await eventually(async () => (await socketRooms(sid)) === null, 'the socket to be gone');
        await eventually(async () => (await roomSizes())[`job-${job}`] === undefined, 'the job room to be gone');
      });

      it('reconnects with a fresh membership of the default rooms only', async () => {
        const c = await connect();
        const job = uuid();
        assert.equal(await c.subscribe('job', job), OK);
        assert.equal(await c.subscribe('allWorkers'), OK);
        const oldId = c.id;
        const reconnected = new Promise((resolve) => c.socket.once('connect', resolve));
        c.socket.io.engine.close(); // the transport drops, as when the server restarts
        await reconnected;
        assert.notEqual(c.id, oldId);
        assert.deepEqual(await socketRooms(c.id), DEFAULT_ROOMS);
        await eventually(async () => (await socketRooms(oldId)) === null, 'the old socket to be gone');
        // The old subscriptions are gone with it: a task update of that job does not arrive.
        const task = uuid();
        await fire('task_updated', taskUpdate(task, job));
        await barrier(c, [c]);
        assert.deepEqual(c.about(task), []);
      });
    });

    describe('rooms and notifications', () => {
      it('new job: /jobs to Jobs, without previous_status', async () => {
        const [a, b] = [await connect(), await connect()];
        const job = uuid();
        const sent = jobUpdate(job, { previous_status: 'under-construction' });
        await fire('job_created', sent);
        const { previous_status: _, ...expected } = sent;
        for (const c of [a, b]) {
          await c.until((r) => r.some((m) => m.payload.id === job), 'the new job');
          assert.deepEqual(c.about(job), [{ event: '/jobs', payload: expected }]);
        }
      });

      it('job update: /jobs to Jobs, unchanged', async () => {
        const a = await connect();
        const job = uuid();
        const sent = jobUpdate(job, {
          status: 'cancel-requested', previous_status: 'active', priority: 70, refresh_tasks: true,
          delete_requested_at: now(),
        });
        await fire('job_updated', sent);
        await a.until((r) => r.some((m) => m.payload.id === job), 'the job update');
        assert.deepEqual(a.about(job), [{ event: '/jobs', payload: sent }]);
      });

      it('deleted job: /jobs with was_deleted and the deletion time', async () => {
        const a = await connect();
        const job = uuid();
        const deletedAt = '2030-01-02T03:04:05Z';
        await fire('job_deleted', { job: jobUpdate(job, { status: 'canceled' }), deleted_at: deletedAt });
        await a.until((r) => r.some((m) => m.payload.id === job), 'the deleted job');
        const [{ event, payload }] = a.about(job);
        assert.equal(event, '/jobs');
        assert.equal(payload.was_deleted, true);
        assert.equal(payload.updated, deletedAt);
        assert.equal(payload.status, 'canceled');
      });

      it('a client that left Jobs gets no job updates', async () => {
        const [a, b] = [await connect(), await connect()];
        assert.equal(await b.unsubscribe('allJobs'), OK);
        const job = uuid();
        await fire('job_updated', jobUpdate(job));
        await barrier(a, [a, b]);
        assert.equal(a.about(job).length, 1);
        assert.deepEqual(b.about(job), []);
        assert.deepEqual(await socketRooms(b.id), rooms([], ['Jobs']));
      });

      it('task update: /task to its job room only', async () => {
        const [inJob, otherJob, none] = [await connect(), await connect(), await connect()];
        const job = uuid();
        assert.equal(await inJob.subscribe('job', job), OK);
        assert.equal(await otherJob.subscribe('job', uuid()), OK);
        const task = uuid();
        const sent = taskUpdate(task, job, { previous_status: 'queued' });
        await fire('task_updated', sent);
        await barrier(inJob, [inJob, otherJob, none]);
        assert.deepEqual(inJob.about(task), [{ event: '/task', payload: sent }]);
        assert.deepEqual(otherJob.about(task), []);
        assert.deepEqual(none.about(task), []);
      });

      it('task log: /tasklog to the task-log room, not the job room', async () => {
        const [logWatcher, jobWatcher] = [await connect(), await connect()];
        const job = uuid();
        const task = uuid();
        assert.equal(await logWatcher.subscribe('tasklog', task), OK);
        assert.equal(await jobWatcher.subscribe('job', job), OK);
        assert.deepEqual(await socketRooms(logWatcher.id), rooms([`tasklog-${task}`]));
        const sent = { task_id: task, log: `line one ${task}\nline two\n` };
        await fire('task_log', sent);
        await barrier(logWatcher, [logWatcher, jobWatcher]);
        assert.deepEqual(logWatcher.about(task), [{ event: '/tasklog', payload: sent }]);
        assert.deepEqual(jobWatcher.about(task), []);
      });

      it('last-rendered: to the job room and Last-Rendered; twice to a client in both', async () => {
        const [both, jobOnly, allOnly, none] = [await connect(), await connect(), await connect(), await connect()];
        const job = uuid();
        assert.equal(await both.subscribe('job', job), OK);
        assert.equal(await both.subscribe('allLastRendered'), OK);
        assert.equal(await jobOnly.subscribe('job', job), OK);
        assert.equal(await allOnly.subscribe('allLastRendered'), OK);
        const sent = {
          job_id: job, task_id: uuid(),
          thumbnail: { base: `/job-files/${job}/last-rendered`, suffixes: ['last-rendered-small.jpg'] },
        };
        await fire('last_rendered', sent);
        await barrier(both, [both, jobOnly, allOnly, none]);
        const once = { event: '/last-rendered', payload: sent };
        assert.deepEqual(both.about(job), [once, once]);
        assert.deepEqual(jobOnly.about(job), [once]);
        assert.deepEqual(allOnly.about(job), [once]);
        assert.deepEqual(none.about(job), []);
      });

      it('workers: new, updated and deleted to Workers only', async () => {
        const [watcher, other] = [await connect(), await connect()];
        assert.equal(await watcher.subscribe('allWorkers'), OK);
        const worker = uuid();
        const created = workerUpdate(worker, { status: 'offline', previous_status: 'error' });
        const updated = workerUpdate(worker, {
          status: 'awake', previous_status: 'starting', last_seen: now(),
          status_change: { status: 'asleep', is_lazy: true },
        });
        await fire('worker_created', created);
        await fire('worker_updated', updated);
        await fire('worker_deleted', { worker: workerUpdate(worker, { status: 'offline' }), deleted_at: '2030-01-01T00:00:00Z' });
        await barrier(watcher, [watcher, other]);
        const { previous_status: _, ...createdExpected } = created;
        const got = watcher.about(worker);
        assert.equal(got.length, 3);
        assert.deepEqual(got[0], { event: '/workers', payload: createdExpected });
        assert.deepEqual(got[1], { event: '/workers', payload: updated });
        assert.equal(got[2].payload.deleted_at, '2030-01-01T00:00:00Z');
        assert.deepEqual(other.about(worker), []);
      });

      it('worker tags: updated and deleted to WorkerTags only', async () => {
        const [watcher, other] = [await connect(), await connect()];
        assert.equal(await watcher.subscribe('allWorkerTags'), OK);
        const tag = { id: uuid(), name: 'GPU-EEVEE', description: 'GPU rendering' };
        await fire('worker_tag_updated', tag);
        await fire('worker_tag_deleted', tag);
        await barrier(watcher, [watcher, other]);
        assert.deepEqual(watcher.about(tag.id), [
          { event: '/workertags', payload: { tag } },
          { event: '/workertags', payload: { tag, was_deleted: true } },
        ]);
        assert.deepEqual(other.about(tag.id), []);
      });

      it('a client in none of the target rooms gets nothing', async () => {
        const [lonely, sender] = [await connect(), await connect()];
        assert.equal(await lonely.unsubscribe('allJobs'), OK);
        const id = uuid();
        await fire('job_created', jobUpdate(id));
        await fire('task_updated', taskUpdate(uuid(), id));
        await fire('task_log', { task_id: id, log: 'x' });
        await fire('last_rendered', { job_id: id, task_id: uuid(), thumbnail: { base: '/', suffixes: [] } });
        await fire('worker_updated', workerUpdate(id));
        await fire('worker_tag_updated', { id, name: 'tag' });
        await barrier(sender, [lonely, sender]);
        assert.deepEqual(lonely.received.filter((m) => m.event !== '/message'), []);
      });

      it('unsubscribing stops delivery', async () => {
        const c = await connect();
        const job = uuid();
        assert.equal(await c.subscribe('job', job), OK);
        const first = uuid();
        await fire('task_updated', taskUpdate(first, job));
        await c.until((r) => r.some((m) => m.payload.id === first), 'the first task update');
        assert.equal(await c.unsubscribe('job', job), OK);
        const second = uuid();
        await fire('task_updated', taskUpdate(second, job));
        await barrier(c, [c]);
        assert.deepEqual(c.about(second), []);
      });

      it('keeps per-room order with no loss: 2,000 updates to 10 clients', async () => {
        const job = uuid();
        const clients = [];
        for (let i = 0; i < 10; i++) {
          const c = await connect();
          assert.equal(await c.subscribe('job', job), OK);
          clients.push(c);
        }
        const count = 2000;
        await burst(job, count);
        const expected = Array.from({ length: count }, (_, i) => String(i));
        for (const c of clients) {
          await c.until((r) => r.filter((m) => m.event === '/task' && m.payload.job_id === job).length >= count, `${count} task updates`);
          const got = c.received.filter((m) => m.event === '/task' && m.payload.job_id === job).map((m) => m.payload.activity);
          assert.deepEqual(got, expected);
        }
      });
    });

    describe('client messages', () => {
      it('/chat goes to everyone in Chat, the sender included, unchanged', async () => {
        const [a, b] = [await connect(), await connect()];
        const text = `hello ${uuid()} ✓`;
        assert.equal(await a.ack('/chat', { name: 'Sybren', text }), CHAT_ACK);
        for (const c of [a, b]) {
          await c.until((r) => r.some((m) => m.event === '/message' && m.payload.text === text), 'the chat message');
          assert.deepEqual(c.about(text), [{ event: '/message', payload: { name: 'Sybren', text } }]);
        }
      });

      it('/chat keeps one client\'s messages in order', async () => {
        const a = await connect();
        const tag = uuid();
        const ackOrder = [];
        const acks = await Promise.all(Array.from({ length: 50 }, (_, i) => a.ack('/chat', { name: tag, text: `${tag} ${i}` }).then((ack) => { ackOrder.push(i); return ack; })));
        assert.deepEqual(acks, Array(50).fill(CHAT_ACK));
        assert.deepEqual(ackOrder, Array.from({ length: 50 }, (_, i) => i), 'acks arrive in the order sent');
        await a.until((r) => a.about(tag).length >= 50, '50 chat messages');
        assert.deepEqual(a.about(tag).map((m) => m.payload.text), Array.from({ length: 50 }, (_, i) => `${tag} ${i}`));
      });

      it('answers each row of the subscription table', async () => {
        const c = await connect();
        const id = uuid();
        const cases = [
          [{ op: 'subscribe', type: 'allJobs' }, OK, 'Jobs'],
          [{ op: 'subscribe', type: 'allWorkers' }, OK, 'Workers'],
          [{ op: 'subscribe', type: 'allLastRendered' }, OK, 'Last-Rendered'],
          [{ op: 'subscribe', type: 'allWorkerTags' }, OK, 'WorkerTags'],
          [{ op: 'subscribe', type: 'job', uuid: id }, OK, `job-${id}`],
          [{ op: 'subscribe', type: 'tasklog', uuid: id }, OK, `tasklog-${id}`],
        ];
        for (const [payload, ack, room] of cases) {
          assert.equal(await c.ack('/subscription', payload), ack, JSON.stringify(payload));
          assert.ok((await socketRooms(c.id)).includes(room), `${room} after ${JSON.stringify(payload)}`);
        }
        for (const [payload, , room] of cases) {
          assert.equal(await c.ack('/subscription', { ...payload, op: 'unsubscribe' }), OK);
          assert.ok(!(await socketRooms(c.id)).includes(room), `${room} left`);
        }
        assert.deepEqual(await socketRooms(c.id), rooms([], ['Jobs']));
      });

      it('refuses bad subscriptions with the contract\'s ack texts, changing nothing', async () => {
        const c = await connect();
        const before = await socketRooms(c.id);
        const cases = [
          [{ op: 'subscribe', type: 'job', uuid: 'not-a-uuid' }, 'invalid UUID, ignoring request'],
          [{ op: 'subscribe', type: 'allJobs', uuid: '' }, 'invalid UUID, ignoring request'],
          [{ op: 'subscribe', type: 'job' }, 'operation on job requires a UUID'],
          [{ op: 'subscribe', type: 'tasklog' }, 'operation on task requires a UUID'],
          [{ op: 'subscribe', type: 'everything' }, 'unknown subscription type, ignoring request'],
          [{ op: 'join', type: 'allWorkers' }, 'invalid subscription operation, ignoring request'],
        ];
        for (const [payload, ack] of cases) {
          assert.equal(await c.ack('/subscription', payload), ack, JSON.stringify(payload));
        }
        assert.deepEqual(await socketRooms(c.id), before);
      });

      it('normalises an upper-case UUID; subscribing twice and leaving a room twice are harmless', async () => {
        const c = await connect();
        const id = uuid();
        assert.equal(await c.subscribe('job', id.toUpperCase()), OK);
        assert.equal(await c.subscribe('job', id), OK);
        assert.deepEqual(await socketRooms(c.id), rooms([`job-${id}`]));
        assert.equal((await roomSizes())[`job-${id}`], 1);
        assert.equal(await c.unsubscribe('job', id), OK);
        assert.equal(await c.unsubscribe('job', id), OK);
        assert.deepEqual(await socketRooms(c.id), DEFAULT_ROOMS);
      });

      it('a client may be in several job and task-log rooms at once, up to the cap', async () => {
        const c = await connect();
        // The fixture server runs with a cap of 8 dynamic rooms per socket.
        const ids = Array.from({ length: 8 }, () => uuid());
        for (const [i, id] of ids.entries()) {
          assert.equal(await c.subscribe(i % 2 ? 'job' : 'tasklog', id), OK);
        }
        assert.equal(await c.subscribe('job', uuid()), 'too many subscriptions, ignoring request');
        assert.equal(await c.subscribe('job', ids[1]), OK, 'a room it is in already');
        assert.equal(await c.subscribe('allWorkers'), OK, 'predefined rooms do not count');
        assert.equal((await socketRooms(c.id)).length, DEFAULT_ROOMS.length + 8 + 1);
        assert.equal(await c.unsubscribe('job', ids[1]), OK);
        assert.equal(await c.subscribe('job', uuid()), OK, 'room again after leaving one');
      });

      it('answers malformed payloads with a string ack and keeps working', async () => {
        const c = await connect();
        const before = await socketRooms(c.id);
        const malformed = [
          [[], 'missing subscription payload, ignoring request'],
          [['subscribe'], 'subscription payload must be an object, ignoring request'],
          [[42], 'subscription payload must be an object, ignoring request'],
          [[null], 'subscription payload must be an object, ignoring request'],
          [[[{ op: 'subscribe', type: 'allWorkers' }]], 'subscription payload must be an object, ignoring request'],
          [[{}], 'missing subscription type, ignoring request'],
          [[{ op: 'subscribe', type: 7 }], 'subscription type must be a string, ignoring request'],
          [[{ op: 'subscribe', type: 'job', uuid: 12 }], 'invalid UUID, ignoring request'],
          [[{ op: true, type: 'allWorkers' }], 'invalid subscription operation, ignoring request'],
          [[{ op: 'subscribe', type: 'job', uuid: 'a'.repeat(10 * 1024) }], 'invalid UUID, ignoring request'],
        ];
        for (const [args, ack] of malformed) {
          const got = await c.ack('/subscription', ...args);
          assert.equal(typeof got, 'string');
          assert.equal(got, ack, JSON.stringify(args).slice(0, 80));
        }
        assert.deepEqual(await socketRooms(c.id), before);
        // Bad chats and unknown events change nothing either.
        assert.match(await c.ack('/chat', 'hi'), /^invalid chat message/);
        assert.match(await c.ack('/chat', { name: 1, text: [] }), /^invalid chat message/);
        c.socket.emit('/no-such-event', { op: 'subscribe', type: 'allWorkers' });
        c.socket.emit('/jobs', { id: 'spoofed' });
        // ... and the connection still works, the chat round trip included.
        const text = `still here ${uuid()}`;
        assert.equal(await c.ack('/chat', { name: 'me', text }), CHAT_ACK);
        await c.until((r) => r.some((m) => m.event === '/message' && m.payload.text === text), 'the chat round trip');
        assert.equal(c.socket.connected, true);
        assert.deepEqual(await socketRooms(c.id), before);
      });
    });
  });
}
