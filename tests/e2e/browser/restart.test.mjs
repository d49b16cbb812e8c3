// The manager stops and starts again while a page is open: the page says at once that
// updates are not arriving, reconnects by itself, subscribes again, and shows what changed
// while it was away (fetched again over REST: no update about it was ever sent to it).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { startManager, launchBrowser, openPage, screenshot, rest, connection, freePort, tempState, WAIT_MS } from './lib.mjs';

describe('the page across a manager restart', () => {
  const state = tempState();
  let manager;
  let browser;
  after(async () => {
    await browser?.close();
    manager?.kill();
    state.cleanup();
  });

  it('shows the connection lost, then re-subscribes and shows what changed meanwhile', async () => {
    const port = await freePort();
    manager = await startManager({ port, args: state.args });
    let api = rest(manager.url);
    const job = await api.submitJob('survives a restart');
    const gone = await api.submitJob('deleted while away');
    const tasks = (await api.get(`/api/v3/jobs/${job.id}/tasks`)).tasks;
    browser = await launchBrowser();
    const { page, problems, allow } = await openPage(browser, manager.url, `/jobs/${job.id}`);
    await connection(page, 'connected');
    await page.locator(`.jobs-table tr[data-id="${gone.id}"]`).waitFor();
    await page.locator('.tasks-table tbody tr').nth(1).waitFor();

    // Stopped: the page says so. Its reconnection attempts fail until the manager is back.
    allow(/ERR_CONNECTION_REFUSED|WebSocket connection to .* failed/);
    await manager.stop();
    await connection(page, 'disconnected');
    // It was told why: the manager said `manager-shutdown` before closing the connection.
    await page.locator('#connection').getByText('Not receiving updates: the manager stopped; reconnecting…').waitFor();
    await screenshot(page, 'restart-disconnected');

    // Meanwhile another manager on the same database changes things, on another port the
    // page does not know, so nothing of it reaches the page as an update.
    const other = await startManager({ port: await freePort(), args: state.args });
    const otherApi = rest(other.url);
    await otherApi.post(`/api/v3/jobs/${job.id}/setpriority`, { priority: 93 });
    await otherApi.post(`/api/v3/tasks/${tasks[1].id}/setstatus`, { status: 'canceled', reason: 'while away' });
    assert.equal((await otherApi.call('DELETE', `/api/v3/jobs/${gone.id}`)).status, 204);
    const added = await otherApi.submitJob('submitted while away');
    await other.stop();

    manager = await startManager({ port, args: state.args });
    api = rest(manager.url);
    await connection(page, 'connected');
    await page.locator('#connection').getByText('Live', { exact: true }).waitFor();
    const row = (id) => page.locator(`.jobs-table tr[data-id="${id}"]`);
    await row(added.id).getByText('submitted while away').waitFor();
    await row(job.id).locator('.col-priority').getByText('93').waitFor();
    await row(gone.id).waitFor({ state: 'detached' });
    await page.locator(`.tasks-table tr[data-id="${tasks[1].id}"]`).getByText('canceled').waitFor();
    assert.equal(await page.locator('#job-priority').inputValue(), '93');

    // Subscribed again: the open job's task updates arrive once more.
    await api.post(`/api/v3/tasks/${tasks[0].id}/setstatus`, { status: 'canceled', reason: 'after the restart' });
    await page.locator(`.tasks-table tr[data-id="${tasks[0].id}"]`).getByText('canceled').waitFor();
    await page.locator('.job-head .status').getByText('canceled').waitFor();
    await screenshot(page, 'restart-reconnected');
    assert.deepEqual(problems, []);
  }, { timeout: WAIT_MS * 6 });
});
