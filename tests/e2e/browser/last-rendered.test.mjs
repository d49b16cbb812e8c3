// The last-rendered view: the newest image of any job, fetched when the view opens (also
// after a reload) and replaced as `/last-rendered` arrives in the `Last-Rendered` room.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sharedFarm, openPage, screenshot, connection, worker, png } from './lib.mjs';

describe('the last-rendered view', () => {
  const farm = sharedFarm();

  it('shows the newest image of any job and follows new ones', async () => {
    const { page, problems } = await openPage(farm.browser, farm.manager.url, '/last-rendered');
    await connection(page, 'connected');
    await page.getByText('Nothing rendered yet.').waitFor();

    const w = await worker(farm.api, 'render-node-03');
    await w.wake();
    const jobs = [await farm.api.submitJob('shot 040 render', { priority: 60 }), await farm.api.submitJob('shot 050 render')];
    const image = page.locator('figure.large img');
    const shown = async (before) => page.waitForFunction((previous) => {
      const img = document.querySelector('figure.large img');
      return !img.hidden && img.getAttribute('src') !== previous && img.complete && img.naturalWidth > 0;
    }, before);

    // An image of the first job, then one of the second: each replaces the last, with the job named.
    const first = await w.take();
    await w.image(first.uuid, png(640, 360, 1));
    await shown(null);
    await page.locator('figure.large figcaption').getByText('shot 040 render').waitFor();
    const firstSrc = await image.getAttribute('src');
    assert.ok(firstSrc.startsWith(`/job-files/`), firstSrc);
    await w.update(first.uuid, { taskStatus: 'completed', activity: 'done' });
    const second = await w.take();
    await w.update(second.uuid, { taskStatus: 'completed', activity: 'done' });
    const third = await w.take();
    assert.equal(third.job, jobs[1].id);
    await w.image(third.uuid, png(640, 360, 2));
    await shown(firstSrc);
    await page.locator('figure.large figcaption').getByText('shot 050 render').waitFor();
    await screenshot(page, 'last-rendered');

    // A reload shows it again, fetched over REST.
    await page.reload();
    await connection(page, 'connected');
    await shown(null);
    const info = await farm.api.get('/api/v3/jobs/last-rendered');
    assert.ok((await image.getAttribute('src')).startsWith(info.base), 'the image of the newest info');
    assert.deepEqual(problems, []);
  });
});
