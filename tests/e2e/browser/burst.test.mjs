// A burst of job updates (about a thousand a second, as fast as the manager takes them)
// while a page shows the jobs: the page applies them once per frame and stays responsive.
// The figures are reported, never asserted: the machine is shared and its speed varies.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { startManager, launchBrowser, openPage, screenshot, rest, connection, WAIT_MS } from './lib.mjs';

const JOBS = 20;
const UPDATES = 1000;
const PARALLEL = 32;

describe('a burst of /jobs updates', () => {
  let manager;
  let browser;
  after(async () => {
    await browser?.close();
    await manager?.stop();
  });

  it('leaves the page responsive and ends showing the last value of every job', async () => {
    manager = await startManager();
    const api = rest(manager.url);
    const jobs = [];
    for (let i = 0; i < JOBS; i++) jobs.push(await api.submitJob(`burst ${String(i).padStart(2, '0')}`));
    browser = await launchBrowser();
    const { page, problems } = await openPage(browser, manager.url, '/');
    await connection(page, 'connected');
    await page.locator('.jobs-table tbody tr').nth(JOBS - 1).waitFor();

    // In the page: the longest gap between two frames, and every frame's time, from now on.
    await page.evaluate(() => {
      window.frameStats = { longest: 0, frames: 0 };
      let last = performance.now();
      const tick = (now) => {
        window.frameStats.longest = Math.max(window.frameStats.longest, now - last);
        window.frameStats.frames += 1;
        last = now;
        if (!window.frameStats.stop) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      // When the table last changed, in the machine's clock (the test's clock too).
      new MutationObserver(() => { window.frameStats.lastChange = performance.timeOrigin + performance.now(); })
        .observe(document.querySelector('.jobs-table tbody'), { subtree: true, childList: true, characterData: true });
    });

    // Every update sets a job's priority, several jobs at a time.
    const started = Date.now();
    let next = 0;
    const send = async () => {
      while (next < UPDATES) {
        const i = next++;
        await api.post(`/api/v3/jobs/${jobs[i % JOBS].id}/setpriority`, { priority: i % 101 });
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, send));
    const sentAt = Date.now();
    // Requests for one job overlap, so which one the manager applied last is its to say.
    const final = [];
    for (const job of jobs) final.push([job.id, (await api.get(`/api/v3/jobs/${job.id}`)).priority]);
    // Visible when every row shows its job's last priority.
    await page.waitForFunction((expected) => expected.every(([id, p]) =>
      document.querySelector(`.jobs-table tr[data-id="${id}"] .col-priority`)?.textContent === String(p)),
    final, { polling: 'raf', timeout: WAIT_MS });
    const stats = await page.evaluate(() => { window.frameStats.stop = true; return window.frameStats; });
    // Still responsive: a click on a row opens the job.
    await page.locator(`.jobs-table tr[data-id="${jobs[3].id}"] a`).click();
    await page.locator('#job-title').getByText('burst 03').waitFor();

    const seconds = (sentAt - started) / 1000;
    console.log(`burst: ${UPDATES} /jobs updates in ${seconds.toFixed(2)} s (${Math.round(UPDATES / seconds)}/s); ` +
      `the table's last change ${Math.round(stats.lastChange - sentAt)} ms after the last answer; ` +
      `${stats.frames} frames, the longest gap between two ${Math.round(stats.longest)} ms`);
    await screenshot(page, 'burst');
    assert.deepEqual(problems, []);
  }, { timeout: WAIT_MS * 6 });
});
