// The whole render flow against the real manager binary, as a worker and the web pages
// (socket.io-client 2.5.0 over websocket, Flamenco's way) see it.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, barrier } from '../lib/harness.mjs';
import { get, post, del, echoSleepJob, registerWorker } from '../lib/rest.mjs';

const KIND = 'v2-websocket';
const ONE_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const THUMBNAILS = ['last-rendered.jpg', 'last-rendered-small.jpg', 'last-rendered-tiny.jpg'];

describe('render flow against the manager', () => {
  const pages = [];
  const page = async () => {
    const c = await Client.connect(KIND);
    pages.push(c);
    return c;
  };
  after(() => pages.forEach((p) => p.close()));

  it('keeps every page current from submission to completion', async () => {
    const [jobsPage, jobPage, logPage, lastRenderedPage, workersPage] =
      [await page(), await page(), await page(), await page(), await page()];
    // A page of socket.io-client 4.x too, for the farm's status.
    const v4Page = await Client.connect('v4-websocket');
    pages.push(v4Page);
    assert.equal(await workersPage.subscribe('allWorkers'), 'ok');
    assert.equal(await lastRenderedPage.subscribe('allLastRendered'), 'ok');

    // A worker registers: it appears on the workers page, offline.
    const worker = await registerWorker(`flow-${Date.now()}`);
    assert.equal(worker.registered.status, 'offline');
    await workersPage.until((r) => r.some((m) => m.event === '/workers' && m.payload.id === worker.id), 'the new worker');
    const [newWorker] = workersPage.about(worker.id);
    assert.equal(newWorker.payload.status, 'offline');
    assert.equal(newWorker.payload.previous_status, undefined);

    // A job is submitted: the jobs page sees it once its tasks exist.
    const submitted = await post('/api/v3/jobs', echoSleepJob('flow'));
    assert.equal(submitted.status, 200, submitted.text);
    const job = submitted.json;
    assert.equal(job.status, 'queued');
    await jobsPage.until((r) => r.some((m) => m.event === '/jobs' && m.payload.id === job.id), 'the new job');
    const [newJob] = jobsPage.about(job.id);
    assert.equal(newJob.payload.previous_status, undefined);
    assert.equal(newJob.payload.type, 'echo-sleep-test');
    const tasks = (await get(`/api/v3/jobs/${job.id}/tasks`)).json.tasks;
    assert.equal(tasks.length, 2);

    // Pages look at the job and at the first task's log.
    assert.equal(await jobPage.subscribe('job', job.id), 'ok');
    assert.equal(await logPage.subscribe('tasklog', tasks[0].id), 'ok');

    // The worker signs on and wakes up.
    const signOn = await post('/api/v3/worker/sign-on', {
      name: 'flow worker', supported_task_types: ['misc'], software_version: '3.5',
    }, { auth: worker });
    assert.equal(signOn.status, 200, signOn.text);
    assert.deepEqual(signOn.json, { status_requested: 'awake' });
    const awake = await post('/api/v3/worker/state-changed', { status: 'awake' }, { auth: worker });
    assert.equal(awake.status, 204, awake.text);

    // It works through every task: take it, log, report progress, produce output, finish.
    for (let i = 0; i < tasks.length; i++) {
      const assigned = await post('/api/v3/worker/task', undefined, { auth: worker });
      assert.equal(assigned.status, 200, assigned.text);
      const task = assigned.json;
      assert.equal(task.job, job.id);
      const url = `/api/v3/worker/task/${task.uuid}`;
      assert.equal((await post(url, { activity: `working on ${task.name}`, log: `log of ${task.name}\n` }, { auth: worker })).status, 204);
      const png = Buffer.from(ONE_PIXEL_PNG, 'base64');
      const output = await post(`${url}/output-produced`, png, { auth: worker, raw: true, contentType: 'image/png' });
      assert.equal(output.status, 202, output.text);
      assert.equal((await post(url, { taskStatus: 'completed', activity: 'done' }, { auth: worker })).status, 204);
    }
    assert.equal((await post('/api/v3/worker/task', undefined, { auth: worker })).status, 204, 'nothing left to do');
    assert.equal((await post('/api/v3/worker/sign-off', undefined, { auth: worker })).status, 204);
    assert.equal((await get(`/api/v3/jobs/${job.id}`)).json.status, 'completed');

    await barrier(jobsPage, [jobsPage, jobPage, logPage, lastRenderedPage, workersPage, v4Page]);

    // The farm's status, first thing on connect and then at each change: no workers, the
    // worker signs on to a queued job, gets its first task, the job completes, the worker
    // signs off.
    for (const p of [jobsPage, v4Page]) {
      assert.equal(p.received[0]?.event, '/status', `${p.kind}: /status comes first`);
      assert.deepEqual(p.received.filter((m) => m.event === '/status').map((m) => m.payload),
        ['inoperative', 'waiting', 'active', 'idle', 'inoperative'].map((status) => ({ status })), p.kind);
    }
    assert.deepEqual((await get('/api/v3/status')).json, { status: 'inoperative' });

    // Jobs: queued, active, completed, in that order.
    const jobStatuses = jobsPage.about(job.id).filter((m) => m.event === '/jobs').map((m) => m.payload.status);
    assert.deepEqual(jobStatuses.filter((s, i) => s !== jobStatuses[i - 1]), ['queued', 'active', 'completed']);

    // The job page: /task updates of both tasks, ending completed, and the last-rendered images.
    const taskUpdates = jobPage.received.filter((m) => m.event === '/task' && m.payload.job_id === job.id);
    for (const t of tasks) {
      const mine = taskUpdates.filter((m) => m.payload.id === t.id).map((m) => m.payload);
      assert.ok(mine.some((p) => p.status === 'active'), `${t.name} went active`);
      assert.ok(mine.some((p) => p.activity === `working on ${t.name}`), `${t.name} activity`);
      assert.equal(mine.at(-1).status, 'completed');
      assert.equal(mine.at(-1).previous_status, 'active');
    }
    const jobPageImages = jobPage.received.filter((m) => m.event === '/last-rendered');
    assert.equal(jobPageImages.length, 2);
    assert.ok(jobPageImages.every((m) => m.payload.job_id === job.id && Array.isArray(m.payload.thumbnail.suffixes)));

    // The log page: exactly the first task's log chunk.
    assert.deepEqual(logPage.received.filter((m) => m.event === '/tasklog').map((m) => m.payload),
      [{ task_id: tasks[0].id, log: `log of ${tasks[0].name}\n` }]);

    // Last-Rendered: both images; the jobs page (not subscribed) none.
    assert.equal(lastRenderedPage.about(job.id).filter((m) => m.event === '/last-rendered').length, 2);
    assert.deepEqual(jobsPage.received.filter((m) => m.event === '/last-rendered' || m.event === '/task'), []);

    // Workers: new (offline), starting, awake, ..., offline after sign-off.
    const workerStatuses = workersPage.about(worker.id).map((m) => m.payload.status);
    assert.deepEqual(workerStatuses.filter((s, i) => s !== workerStatuses[i - 1]), ['offline', 'starting', 'awake', 'offline']);

    // The thumbnail URLs work: Flamenco's three JPEGs.
    const image = jobPageImages[0].payload.thumbnail;
    assert.deepEqual(image.suffixes, THUMBNAILS);
    for (const suffix of image.suffixes) {
      const fetched = await fetch(`${process.env.E2E_URL}${image.base}/${suffix}`);
      assert.equal(fetched.status, 200, suffix);
      assert.equal(fetched.headers.get('content-type'), 'image/jpeg', suffix);
    }
  });
});

// Flamenco 3.9's job life: pausing, soft failures and blocklists, seen by socket.io-client
// 2.5.0 pages. Render jobs and workers that only run blender and ffmpeg tasks, so the echo
// jobs other tests leave behind are never handed out here.
describe('pausing, failing and blocklisting against the manager', () => {
  const pages = [];
  const page = async () => {
    const c = await Client.connect(KIND);
    pages.push(c);
    return c;
  };
  after(() => pages.forEach((p) => p.close()));

  const renderJob = (name, frames) => ({
    name, type: 'simple-blender-render', priority: 50, submitter_platform: 'linux',
    settings: { frames, chunk_size: 1, blendfile: '/render/e2e.blend' },
  });
  const startWorker = async (name) => {
    const secret = `secret-${name}`;
    const types = ['blender', 'ffmpeg'];
    const res = await post('/api/v3/worker/register-worker', { name, secret, platform: 'linux', supported_task_types: types });
    assert.equal(res.status, 200, res.text);
    const worker = { id: res.json.uuid, secret };
    assert.equal((await post('/api/v3/worker/sign-on', { name, supported_task_types: types, software_version: '3.9' }, { auth: worker })).status, 200);
    assert.equal((await post('/api/v3/worker/state-changed', { status: 'awake' }, { auth: worker })).status, 204);
    return worker;
  };
  const ask = async (worker) => {
    const res = await post('/api/v3/worker/task', undefined, { auth: worker });
    assert.ok(res.status === 200 || res.status === 204, res.text);
    return res.status === 200 ? res.json : undefined;
  };
  const report = async (worker, task, update) => {
    const res = await post(`/api/v3/worker/task/${task.uuid}`, update, { auth: worker });
    assert.equal(res.status, 204, res.text);
  };
  const setJobStatus = async (job, status) => {
    const res = await post(`/api/v3/jobs/${job.id}/setstatus`, { status, reason: 'e2e' });
    assert.equal(res.status, 204, res.text);
  };
  const submit = async (job) => {
    const res = await post('/api/v3/jobs', job);
    assert.equal(res.status, 200, res.text);
    return res.json;
  };
  const changes = (statuses) => statuses.filter((s, i) => s !== statuses[i - 1]);

  it('answers what the web app asks for first', async () => {
    const config = await get('/api/v3/configuration');
    assert.equal(config.status, 200, config.text);
    assert.equal(config.json.isFirstRun, false);
    assert.equal(config.json.shamanEnabled, false);
    const types = (await get('/api/v3/jobs/types')).json.job_types;
    assert.deepEqual(types.map((t) => t.name), ['simple-blender-render', 'echo-sleep-test']);
    const render = (await get('/api/v3/jobs/type/simple-blender-render')).json;
    assert.deepEqual(render, types[0]);
    const stale = await post('/api/v3/jobs', { ...renderJob('stale', '1'), type_etag: 'not-the-etag' });
    assert.equal(stale.status, 412, stale.text);
    const current = await submit({ ...renderJob('current', '1'), type_etag: render.etag });
    assert.equal((await get(`/api/v3/jobs/${current.id}/what-would-delete-do`)).json.shaman_checkout, false);
    assert.equal((await del(`/api/v3/jobs/${current.id}`)).status, 204);
  });

  it('pauses a job while its active task finishes, then resumes it', async () => {
    const [jobsPage, jobPage] = [await page(), await page()];
    const worker = await startWorker(`pausing-${Date.now()}`);
    const job = await submit(renderJob('pausing', '1-3'));
    assert.equal(await jobPage.subscribe('job', job.id), 'ok');
    const first = await ask(worker);
    assert.equal(first.job, job.id);

    await setJobStatus(job, 'pause-requested');
    assert.equal((await get(`/api/v3/jobs/${job.id}`)).json.status, 'pause-requested', 'waits for the active task');
    const tasks = (await get(`/api/v3/jobs/${job.id}/tasks`)).json.tasks;
    assert.deepEqual(tasks.map((t) => t.status), ['active', 'paused', 'paused', 'paused']);
    assert.deepEqual(tasks.map((t) => t.index_in_job), [1, 2, 3, 4]);
    assert.equal(tasks[0].worker.id, worker.id);

    await report(worker, first, { taskStatus: 'completed', steps_completed: 1 });
    assert.equal((await get(`/api/v3/jobs/${job.id}`)).json.status, 'paused');
    assert.equal(await ask(worker), undefined, 'a paused job hands out nothing');

    await setJobStatus(job, 'requeueing');
    const next = await ask(worker);
    assert.equal(next.job, job.id);
    assert.equal(next.name, 'render-2');

    await barrier(jobsPage, [jobsPage, jobPage]);
    const statuses = jobsPage.about(job.id).filter((m) => m.event === '/jobs').map((m) => m.payload.status);
    assert.deepEqual(changes(statuses), ['queued', 'active', 'pause-requested', 'paused', 'requeueing', 'queued', 'active']);
    const paused = jobsPage.about(job.id).find((m) => m.event === '/jobs' && m.payload.status === 'paused').payload;
    assert.equal(paused.previous_status, 'pause-requested');
    assert.deepEqual([paused.steps_completed, paused.steps_total], [1, 4]);
    const firstUpdates = jobPage.received.filter((m) => m.event === '/task' && m.payload.id === first.uuid).map((m) => m.payload);
    assert.deepEqual(changes(firstUpdates.map((p) => p.status)), ['active', 'completed']);
    assert.ok(firstUpdates.every((p) => p.worker?.id === worker.id), 'the worker is named once assigned');

    await setJobStatus(job, 'cancel-requested');
    assert.equal((await get(`/api/v3/jobs/${job.id}`)).json.status, 'canceled');
    assert.equal((await post('/api/v3/worker/sign-off', undefined, { auth: worker })).status, 204);
  });

  it('retries a soft-failed task on another worker, which finishes it', async () => {
    const [jobPage, logPage] = [await page(), await page()];
    const a = await startWorker(`soft-a-${Date.now()}`);
    const b = await startWorker(`soft-b-${Date.now()}`);
    const job = await submit(renderJob('soft failure', '1'));
    assert.equal(await jobPage.subscribe('job', job.id), 'ok');
    const render = await ask(a);
    assert.equal(await logPage.subscribe('tasklog', render.uuid), 'ok');
    await report(a, render, { taskStatus: 'failed', log: 'Blender crashed\n' });
    assert.equal((await get(`/api/v3/tasks/${render.uuid}`)).json.status, 'soft-failed');
    assert.equal(await ask(a), undefined, 'the worker that failed it does not get it again');

    const retried = await ask(b);
    assert.equal(retried.uuid, render.uuid);
    await report(b, retried, { taskStatus: 'completed' });
    const preview = await ask(b);
    assert.equal(preview.name, 'preview-video');
    await report(b, preview, { taskStatus: 'completed' });
    assert.equal((await get(`/api/v3/jobs/${job.id}`)).json.status, 'completed');

    await barrier(jobPage, [jobPage, logPage]);
    const updates = jobPage.received.filter((m) => m.event === '/task' && m.payload.id === render.uuid).map((m) => m.payload);
    assert.deepEqual(changes(updates.map((p) => p.status)), ['active', 'soft-failed', 'active', 'completed']);
    assert.equal(updates.find((p) => p.status === 'soft-failed').previous_status, 'active');
    const log = logPage.received.filter((m) => m.event === '/tasklog').map((m) => m.payload.log);
    assert.equal(log[0], 'Blender crashed\n');
    assert.match(log[1], /soft failure/);
    for (const w of [a, b]) assert.equal((await post('/api/v3/worker/sign-off', undefined, { auth: w })).status, 204);
  });

  it('blocklists a worker that fails a task type too often, until it is taken off', async () => {
    const a = await startWorker(`block-a-${Date.now()}`);
    const b = await startWorker(`block-b-${Date.now()}`);
    const job = await submit(renderJob('blocklist', '1-3'));
    for (let i = 0; i < 3; i++) {
      const task = await ask(a);
      assert.equal(task.task_type, 'blender');
      await report(a, task, { taskStatus: 'failed' });
    }
    const blocklist = await get(`/api/v3/jobs/${job.id}/blocklist`);
    assert.equal(blocklist.status, 200, blocklist.text);
    assert.deepEqual(blocklist.json.map((e) => [e.worker_id, e.task_type]), [[a.id, 'blender']]);
    assert.match(blocklist.json[0].worker_name, /^block-a-/);
    assert.equal(await ask(a), undefined, 'no more render tasks of this job for it');
    assert.equal((await ask(b)).task_type, 'blender', 'another worker takes them');

    const removed = await del(`/api/v3/jobs/${job.id}/blocklist`, { body: [{ worker_id: a.id, task_type: 'blender' }] });
    assert.equal(removed.status, 204, removed.text);
    assert.deepEqual((await get(`/api/v3/jobs/${job.id}/blocklist`)).json, []);

    await setJobStatus(job, 'cancel-requested');
    for (const w of [a, b]) assert.equal((await post('/api/v3/worker/sign-off', undefined, { auth: w })).status, 204);
  });
});

describe('bad input against the manager', () => {
  it('answers with Flamenco error bodies and the right codes', async () => {
    const check = (res, status, what) => {
      assert.equal(res.status, status, `${what}: ${res.text}`);
      if (status !== 401 || res.json) {
        assert.equal(res.json?.code, status, `${what}: code in ${res.text}`);
        assert.equal(typeof res.json?.message, 'string', what);
      }
    };
    const { call } = await import('../lib/rest.mjs');
    check(await call('POST', '/api/v3/jobs', { body: '{"name": ', raw: true }), 400, 'malformed JSON');
    check(await post('/api/v3/jobs', { name: 7 }), 400, 'wrong field types');
    const unknownType = await post('/api/v3/jobs', echoSleepJob('x', { type: 'no-such-type' }));
    check(unknownType, 400, 'unknown job type');
    assert.match(unknownType.json.message, /no-such-type/);
    check(await get('/api/v3/jobs/2b1c3c8e-0000-4000-8000-000000000000'), 404, 'unknown job');
    check(await get('/api/v3/jobs/not-a-uuid'), 400, 'bad job id');
    const job = (await post('/api/v3/jobs', echoSleepJob('bad-input'))).json;
    check(await post(`/api/v3/jobs/${job.id}/setpriority`, { priority: 101 }), 400, 'priority 101');
    check(await post(`/api/v3/jobs/${job.id}/setpriority`, { priority: -1 }), 400, 'priority -1');
    assert.equal((await post(`/api/v3/jobs/${job.id}/setpriority`, { priority: 100 })).status, 204);

    const noAuth = await post('/api/v3/worker/sign-on', { name: 'x', supported_task_types: [], software_version: '1' });
    check(noAuth, 401, 'no credentials');
    assert.match(noAuth.headers.get('www-authenticate') ?? '', /^Basic/);
    const worker = await registerWorker(`bad-${Date.now()}`);
    check(await post('/api/v3/worker/sign-on', { name: 'x', supported_task_types: [], software_version: '1' },
      { auth: { id: worker.id, secret: 'wrong' } }), 401, 'wrong secret');
    check(await post('/api/v3/worker/task', undefined, { auth: worker }), 409, 'asking for work while not awake');

    const other = await registerWorker(`other-${Date.now()}`);
    for (const w of [worker, other]) {
      await post('/api/v3/worker/sign-on', { name: 'w', supported_task_types: ['misc'], software_version: '1' }, { auth: w });
      await post('/api/v3/worker/state-changed', { status: 'awake' }, { auth: w });
    }
    const assigned = await post('/api/v3/worker/task', undefined, { auth: worker });
    assert.equal(assigned.status, 200, assigned.text);
    check(await post(`/api/v3/worker/task/${assigned.json.uuid}`, { activity: 'not mine' }, { auth: other }), 409, 'not assigned');
  });
});
