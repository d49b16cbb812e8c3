// A worker (driven over REST) renders a job while a page watches in Chromium: the tasks
// table, the task log and the last-rendered image follow; the workers and tags views follow
// their updates, and a worker is sent to sleep and woken from the page.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sharedFarm, openPage, screenshot, connection, worker, png, WAIT_MS } from './lib.mjs';

describe('a render as the page sees it', () => {
  const farm = sharedFarm();

  const taskRow = (page, id) => page.locator(`.tasks-table tr[data-id="${id}"]`);

  /** Waits until the header shows farm status `status`, in Flamenco's words. */
  const farmStatus = async (page, status, words) => {
    await page.locator(`#farm-status[data-status="${status}"]`).waitFor();
    assert.equal(await page.locator('#farm-status').innerText(), `Farm status: ${status} ${words}`);
  };

  it('follows the tasks, the log, the last-rendered image and the farm status', async () => {
    const { page, problems } = await openPage(farm.browser, farm.manager.url, '/');
    await connection(page, 'connected');
    await farmStatus(page, 'inoperative', 'Cannot work: there are no workers, or all are offline.');
    await screenshot(page, 'render-inoperative');

    const w = await worker(farm.api, 'render-node-01');
    await w.wake();
    await farmStatus(page, 'idle', 'Workers are awake and ready for work.');
    // Other jobs on the farm, waiting behind this one (lower priority) or canceled.
    const layout = await farm.api.submitJob('shot 010 layout', { priority: 30 });
    const comp = await farm.api.submitJob('shot 030 comp', { priority: 40 });
    await farm.api.post(`/api/v3/jobs/${comp.id}/setstatus`, { status: 'cancel-requested', reason: 'not needed' });
    const job = await farm.api.submitJob('shot 020 render');
    await farmStatus(page, 'waiting', 'Work has been queued, but all workers are asleep.');
    const tasks = (await farm.api.get(`/api/v3/jobs/${job.id}/tasks`)).tasks;
    await page.locator(`.jobs-table tr[data-id="${job.id}"] a`).click();
    await taskRow(page, tasks[0].id).locator('a').click();
    await page.waitForURL(`${farm.manager.url}/jobs/${job.id}/tasks/${tasks[0].id}`);
    await page.locator('pre.log').getByText('No log yet.').waitFor();

    // The worker takes the first task: it turns active, with the worker's name.
    const first = await w.take();
    assert.equal(first.uuid, tasks[0].id);
    await taskRow(page, first.uuid).getByText('active').waitFor();
    await taskRow(page, first.uuid).getByText('render-node-01').waitFor();
    await page.locator('.job-head .status').getByText('active').waitFor();
    await farmStatus(page, 'active', 'Actively working on a job.');

    // Its log arrives in chunks, appended as they come; then a whole link appears.
    await w.update(first.uuid, { activity: 'rendering frame 1', log: 'Blender 4.2 starting\nFra:1 Mem:12M | Syncing\n' });
    await page.locator('pre.log').getByText('Fra:1 Mem:12M | Syncing').waitFor();
    await page.locator('.log-head .activity').getByText('rendering frame 1').waitFor();
    await w.update(first.uuid, { log: 'Fra:1 Mem:14M | Rendering 1/64 samples\n' });
    await page.locator('pre.log').getByText('Rendering 1/64 samples').waitFor();
    const whole = page.getByRole('link', { name: 'Whole log' });
    await whole.waitFor();
    const href = await whole.getAttribute('href');
    assert.match(href, /^\/job-files\//);
    const log = await (await fetch(farm.manager.url + href)).text();
    assert.equal(log, 'Blender 4.2 starting\nFra:1 Mem:12M | Syncing\nFra:1 Mem:14M | Rendering 1/64 samples\n');
    assert.equal(await page.locator('pre.log').innerText(),
      'Blender 4.2 starting\nFra:1 Mem:12M | Syncing\nFra:1 Mem:14M | Rendering 1/64 samples');

    // Steps (Flamenco 3.9): one of the job's two steps done is half its progress.
    await w.update(first.uuid, { steps_completed: 1 });
    await page.locator(`.jobs-table tr[data-id="${job.id}"] .progress-text`).getByText('50%').waitFor();
    await page.getByText('50% (0 of 2 tasks completed)').waitFor();

    // An image: the job's last-rendered picture is replaced as each arrives.
    const image = page.locator('.job-summary figure img');
    await w.image(first.uuid, png(320, 180, 1));
    await image.waitFor();
    await page.waitForFunction(() => document.querySelector('.job-summary figure img').naturalWidth > 0);
    const firstSrc = await image.getAttribute('src');
    assert.match(firstSrc, /\/last-rendered-small\.jpg\?/, 'the 600x338 thumbnail fits the panel');
    await w.image(first.uuid, png(320, 180, 2));
    await page.waitForFunction((before) => {
      const img = document.querySelector('.job-summary figure img');
      return img.getAttribute('src') !== before && img.complete && img.naturalWidth > 0;
    }, firstSrc);
    await screenshot(page, 'render-active');

    // A long log keeps its last 1,000 lines.
    const lines = Array.from({ length: 1200 }, (_, i) => `sample line ${i + 1}`);
    await w.update(first.uuid, { log: `${lines.join('\n')}\n` });
    await page.locator('pre.log').getByText('sample line 1200').waitFor();
    const shown = (await page.locator('pre.log').innerText()).split('\n');
    assert.equal(shown.length, 1000);
    assert.equal(shown[0], 'sample line 201');
    await page.getByText(/Showing the last 1000 lines; 203 earlier ones/).waitFor();

    await w.update(first.uuid, { taskStatus: 'completed', activity: 'done' });
    await taskRow(page, first.uuid).getByText('completed').waitFor();
    const second = await w.take();
    await w.update(second.uuid, { taskStatus: 'completed', activity: 'done' });
    await taskRow(page, second.uuid).getByText('completed').waitFor();
    await page.locator('.job-head .status').getByText('completed').waitFor();
    await page.locator(`.jobs-table tr[data-id="${job.id}"] .col-status`).getByText('completed').waitFor();
    await page.getByText('2 of 2 tasks completed').waitFor();
    // The other job is queued still, so the farm waits for a worker to ask for it.
    await farmStatus(page, 'waiting', 'Work has been queued, but all workers are asleep.');
    await farm.api.post(`/api/v3/jobs/${layout.id}/setstatus`, { status: 'cancel-requested', reason: 'not needed' });
    await farmStatus(page, 'idle', 'Workers are awake and ready for work.');
    await screenshot(page, 'render-completed');
    assert.deepEqual(problems, []);
  }, { timeout: WAIT_MS * 4 });

  it('workers follow /workers; sleep and wake from the page reach the server', async () => {
    const w = await worker(farm.api, 'render-node-02');
    const { page, problems } = await openPage(farm.browser, farm.manager.url, '/workers');
    await connection(page, 'connected');
    const row = page.locator(`tr[data-id="${w.id}"]`);
    await row.getByText('offline').waitFor();
    await w.wake();
    await row.getByText('awake').waitFor();

    await page.getByRole('button', { name: 'Send render-node-02 to sleep' }).click();
    await row.getByText('→ asleep').waitFor();
    const requested = await farm.api.get(`/api/v3/worker-mgt/workers/${w.id}`);
    assert.deepEqual(requested.status_change, { status: 'asleep', is_lazy: false });
    // The worker obeys: it says it is asleep now.
    await farm.api.post('/api/v3/worker/state-changed', { status: 'asleep' }, 204,
      { auth: { id: w.id, secret: 'secret-render-node-02' } });
    await row.locator('.status').getByText('asleep').waitFor();

    await page.getByRole('button', { name: 'Wake render-node-02 up' }).click();
    await row.getByText('→ awake').waitFor();
    assert.equal((await farm.api.get(`/api/v3/worker-mgt/workers/${w.id}`)).status_change.status, 'awake');
    await screenshot(page, 'workers');

    // Deleted workers leave the table.
    assert.equal((await farm.api.call('DELETE', `/api/v3/worker-mgt/workers/${w.id}`)).status, 204);
    await row.waitFor({ state: 'detached' });
    assert.deepEqual(problems, []);
  });

  it('worker tags follow /workertags', async () => {
    const { page, problems } = await openPage(farm.browser, farm.manager.url, '/tags');
    await connection(page, 'connected');
    await page.getByText('No worker tags.').waitFor();
    const tag = await farm.api.post('/api/v3/worker-mgt/tags', { name: 'GPU-EEVEE', description: 'GPU rendering with EEVEE' }, 200);
    const row = page.locator(`tr[data-id="${tag.id}"]`);
    await row.getByText('GPU rendering with EEVEE').waitFor();
    assert.equal((await farm.api.call('PUT', `/api/v3/worker-mgt/tag/${tag.id}`, { name: 'GPU-Cycles', description: 'GPU rendering with Cycles' })).status, 204);
    await row.getByText('GPU-Cycles').waitFor();
    await screenshot(page, 'tags');
    assert.equal((await farm.api.call('DELETE', `/api/v3/worker-mgt/tag/${tag.id}`)).status, 204);
    await row.waitFor({ state: 'detached' });
    assert.deepEqual(problems, []);
  });
});
