// The jobs view in Chromium against the real manager: jobs appear and change without a
// reload, an operator's changes made in the page reach the server and come back to every
// open page through `/jobs`, deep links survive a reload, and it all works by keyboard.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sharedFarm, openPage, screenshot, connection, WAIT_MS } from './lib.mjs';

describe('the jobs view', () => {
  const farm = sharedFarm();

  const row = (page, id) => page.locator(`.jobs-table tr[data-id="${id}"]`);
  const cell = (page, id, column) => row(page, id).locator(`td.col-${column}`);

  it('shows a submitted job at once; a priority set in one page reaches the server and every page', async () => {
    const a = await openPage(farm.browser, farm.manager.url, '/');
    const b = await openPage(farm.browser, farm.manager.url, '/jobs');
    await Promise.all([connection(a.page, 'connected'), connection(b.page, 'connected')]);
    await a.page.locator('.jobs-list .empty').waitFor();

    const job = await farm.api.submitJob('shot 010 lighting');
    for (const { page } of [a, b]) {
      await cell(page, job.id, 'name').getByText('shot 010 lighting').waitFor();
      assert.equal(await cell(page, job.id, 'status').innerText(), 'queued');
      assert.equal(await cell(page, job.id, 'priority').innerText(), '50');
    }
    assert.equal(a.page.url(), `${farm.manager.url}/`, 'no reload, no navigation');

    // Open the job by keyboard: Tab reaches the row's link, Enter opens it.
    await a.page.locator(`.jobs-table tr[data-id="${job.id}"] a`).focus();
    await a.page.keyboard.press('Enter');
    await a.page.waitForURL(`${farm.manager.url}/jobs/${job.id}`);
    await a.page.locator('#job-title').getByText('shot 010 lighting').waitFor();
    await a.page.locator('.tasks-table tbody tr').nth(1).waitFor();

    // Priority 80, typed and submitted with Enter.
    await a.page.locator('#job-priority').fill('80');
    await a.page.locator('#job-priority').press('Enter');
    for (const { page } of [a, b]) {
      await cell(page, job.id, 'priority').getByText('80', { exact: true }).waitFor();
    }
    assert.equal((await farm.api.get(`/api/v3/jobs/${job.id}`)).priority, 80, 'the server has it');
    await screenshot(a.page, 'jobs-priority');
    await screenshot(b.page, 'jobs-second-page');
    assert.deepEqual(a.problems, []);
    assert.deepEqual(b.problems, []);
    await a.context.close();
    await b.context.close();
  });

  it('cancels, requeues, pauses, resumes and deletes from the page; a deleted job leaves every page', async () => {
    const a = await openPage(farm.browser, farm.manager.url, '/');
    const b = await openPage(farm.browser, farm.manager.url, '/');
    await Promise.all([connection(a.page, 'connected'), connection(b.page, 'connected')]);
    const job = await farm.api.submitJob('to be canceled');
    await a.page.goto(`${farm.manager.url}/jobs/${job.id}`); // a deep link, loaded fresh
    await connection(a.page, 'connected');
    await a.page.locator('#job-title').getByText('to be canceled').waitFor();

    await a.page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await cell(b.page, job.id, 'status').getByText('canceled').waitFor();
    await a.page.locator('.job-head .status').getByText('canceled').waitFor();
    await a.page.locator('.tasks-table tbody tr').first().getByText('canceled').waitFor();

    await a.page.getByRole('button', { name: 'Requeue', exact: true }).click();
    await cell(b.page, job.id, 'status').getByText('queued').waitFor();

    // Pause (Flamenco 3.9's pause-requested): no task is active, so it is paused at once.
    await a.page.getByRole('button', { name: 'Pause', exact: true }).click();
    await cell(b.page, job.id, 'status').getByText('paused').waitFor();
    await a.page.locator('.tasks-table tbody tr').first().getByText('paused').waitFor();
    assert.equal((await farm.api.get(`/api/v3/jobs/${job.id}`)).status, 'paused');
    await screenshot(a.page, 'jobs-paused');
    await a.page.getByRole('button', { name: 'Resume', exact: true }).click();
    await cell(b.page, job.id, 'status').getByText('queued').waitFor();
    await a.page.locator('.tasks-table tbody tr').first().getByText('queued').waitFor();

    // Delete asks first; "Keep" changes nothing, "Delete" deletes.
    await a.page.getByRole('button', { name: 'Delete…' }).click();
    await a.page.getByRole('button', { name: 'Keep' }).click();
    assert.equal((await farm.api.get(`/api/v3/jobs/${job.id}`)).id, job.id);
    await a.page.getByRole('button', { name: 'Delete…' }).click();
    await a.page.getByRole('group', { name: 'Confirm deletion' }).getByRole('button', { name: 'Delete' }).click();
    await row(b.page, job.id).waitFor({ state: 'detached' });
    await row(a.page, job.id).waitFor({ state: 'detached' });
    await a.page.getByText('This job has been deleted.').waitFor();
    await screenshot(a.page, 'jobs-deleted');
    assert.equal((await farm.api.call('GET', `/api/v3/jobs/${job.id}`)).status, 404);
    assert.deepEqual(a.problems, []);
    assert.deepEqual(b.problems, []);
    await a.context.close();
    await b.context.close();
  });

  it('shows an error the API answers instead of swallowing it', async () => {
    const a = await openPage(farm.browser, farm.manager.url, '/');
    await connection(a.page, 'connected');
    const job = await farm.api.submitJob('refused change');
    await a.page.locator(`.jobs-table tr[data-id="${job.id}"] a`).click();
    await a.page.locator('#job-title').getByText('refused change').waitFor();
    // The job is canceled behind the page's back, which then asks to cancel it again: 409.
    await farm.api.post(`/api/v3/jobs/${job.id}/setstatus`, { status: 'cancel-requested', reason: 'test' });
    await a.page.locator('.job-head .status').getByText('canceled').waitFor();
    a.allow(/409/);
    await a.page.evaluate(() => document.querySelector('.actions button:nth-child(3)').removeAttribute('disabled'));
    await a.page.getByRole('button', { name: 'Cancel', exact: true }).click();
    const alert = a.page.getByRole('alert').filter({ hasText: 'Could not cancel the job' });
    await alert.waitFor();
    assert.match(await alert.innerText(), /the job is canceled and cannot be set to cancel-requested/);
    await screenshot(a.page, 'jobs-api-error');
    assert.deepEqual(a.problems, []);
    await a.context.close();
  });

  it('subscribes for what the view shows and unsubscribes from what it leaves', async () => {
    const job = await farm.api.submitJob('subscriptions');
    const [task] = (await farm.api.get(`/api/v3/jobs/${job.id}/tasks`)).tasks;
    const a = await openPage(farm.browser, farm.manager.url, `/jobs/${job.id}/tasks/${task.id}`);
    await connection(a.page, 'connected');
    await a.page.locator('#log-title').waitFor();
    // The /subscription messages the page has sent, once there are `count` (or the wait is over).
    const subscriptions = async (count) => {
      const all = () => a.sent.filter(([event]) => event === '/subscription').map(([, payload]) => payload);
      const deadline = Date.now() + WAIT_MS;
      while (all().length < count && Date.now() < deadline) await a.page.waitForTimeout(20);
      return all();
    };
    // Jobs is joined by default: only the job and its task's log are asked for.
    assert.deepEqual(await subscriptions(2), [
      { op: 'subscribe', type: 'job', uuid: job.id },
      { op: 'subscribe', type: 'tasklog', uuid: task.id },
    ]);
    await a.page.getByRole('link', { name: 'Workers' }).click();
    await a.page.locator('h1').getByText('Workers').waitFor();
    assert.deepEqual((await subscriptions(6)).slice(2), [
      { op: 'unsubscribe', type: 'allJobs' },
      { op: 'unsubscribe', type: 'job', uuid: job.id },
      { op: 'unsubscribe', type: 'tasklog', uuid: task.id },
      { op: 'subscribe', type: 'allWorkers' },
    ]);
    await a.page.getByRole('link', { name: 'Tags' }).click();
    assert.deepEqual((await subscriptions(8)).slice(6), [
      { op: 'unsubscribe', type: 'allWorkers' },
      { op: 'subscribe', type: 'allWorkerTags' },
    ]);
    await a.page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await a.page.locator(`.jobs-table tr[data-id="${job.id}"]`).waitFor();
    assert.deepEqual((await subscriptions(10)).slice(8), [
      { op: 'unsubscribe', type: 'allWorkerTags' },
      { op: 'subscribe', type: 'allJobs' },
    ]);
    await screenshot(a.page, 'jobs-subscriptions');
    assert.deepEqual(a.problems, []);
    await a.context.close();
  });

  it('keeps deep links across a reload and moves through rows with the arrow keys', async () => {
    const jobs = [];
    for (const name of ['first', 'second', 'third']) jobs.push(await farm.api.submitJob(`keys ${name}`));
    const tasks = (await farm.api.get(`/api/v3/jobs/${jobs[1].id}/tasks`)).tasks;
    const a = await openPage(farm.browser, farm.manager.url, `/jobs/${jobs[1].id}/tasks/${tasks[1].id}`);
    await connection(a.page, 'connected');
    await a.page.locator('#log-title').getByText(`Log of ${tasks[1].name}`).waitFor();
    await a.page.reload();
    await connection(a.page, 'connected');
    await a.page.locator('#job-title').getByText('keys second').waitFor();
    await a.page.locator('#log-title').getByText(`Log of ${tasks[1].name}`).waitFor();
    assert.equal(await a.page.locator('.tasks-table tr[aria-selected="true"]').getAttribute('data-id'), tasks[1].id);

    // Newest first: third, second, first. From "third", ArrowDown twice reaches "first".
    await row(a.page, jobs[2].id).locator('a').focus();
    await a.page.keyboard.press('ArrowDown');
    await a.page.keyboard.press('ArrowDown');
    await a.page.keyboard.press('Enter');
    await a.page.waitForURL(`${farm.manager.url}/jobs/${jobs[0].id}`);
    await a.page.locator('#job-title').getByText('keys first').waitFor();
    await a.page.goBack();
    await a.page.locator('#job-title').getByText('keys second').waitFor();

    // The views are reachable by keyboard from the header.
    await a.page.reload();
    await connection(a.page, 'connected');
    await a.page.keyboard.press('Tab'); // the skip link comes first
    assert.equal(await a.page.evaluate(() => document.activeElement.textContent), 'Skip to content');
    await a.page.getByRole('link', { name: 'Workers' }).press('Enter');
    await a.page.waitForURL(`${farm.manager.url}/workers`);
    assert.equal(await a.page.getByRole('link', { name: 'Workers' }).getAttribute('aria-current'), 'page');
    await screenshot(a.page, 'jobs-keyboard');
    assert.deepEqual(a.problems, []);
    await a.context.close();
  }, { timeout: WAIT_MS * 4 });
});
