// The last-rendered view: the newest image of any job, replaced as `/last-rendered` arrives
// in the `Last-Rendered` room.
import { h, setAttr, setText } from '../dom.js';
import { get, seg } from '../api.js';
import { jobPath } from '../router.js';
import { subscriptionKey } from '../updates.js';
import { imageUrl } from './job.js';

export class LastRenderedView {
  constructor(main, context) {
    this.context = context;
    this.store = context.store;
    this.image = h('img', { alt: 'The newest rendered image of any job', hidden: true });
    this.none = h('p', { class: 'empty' }, 'Nothing rendered yet.');
    this.caption = h('figcaption');
    this.names = new Map();
    main.append(h('section', { class: 'panel page' },
      h('h1', {}, 'Last rendered'),
      h('figure', { class: 'last-rendered large' }, this.image, this.none, this.caption)));
  }

  subscriptions() {
    return [subscriptionKey('allLastRendered')];
  }

  route() {
    return { image: true };
  }

  async load() {
    const { store } = this;
    try {
      const info = await get('/api/v3/jobs/last-rendered');
      store.imageVersion += 1;
      // The answer does not say which job; the next update will.
      store.anyImage = info ? { job_id: store.anyImage?.job_id ?? null, thumbnail: info, version: store.imageVersion } : null;
      store.changes.anyImage = true;
    } catch (e) {
      this.context.notices.error(`Could not fetch the last-rendered image: ${e.message}`);
    }
    this.context.render();
  }

  render(changes) {
    if (!changes.anyImage) return;
    const latest = this.store.anyImage;
    const url = latest && imageUrl({ ...latest.thumbnail, version: latest.version }, 'last-rendered.');
    this.image.hidden = !url;
    this.none.hidden = Boolean(url);
    if (url) setAttr(this.image, 'src', url);
    this.caption.replaceChildren();
    if (latest && latest.job_id) {
      const name = this.store.jobs.get(latest.job_id)?.name ?? this.names.get(latest.job_id);
      if (!this.names.has(latest.job_id) && name === undefined) this.fetchName(latest.job_id);
      this.caption.append('From ', h('a', { href: jobPath(latest.job_id), 'data-nav': true }, name ?? latest.job_id));
    } else {
      setText(this.caption, '');
    }
  }

  /** This view does not follow the jobs; it asks for the name of the job an image is from. */
  async fetchName(jobId) {
    this.names.set(jobId, null);
    try {
      const job = await get(`/api/v3/jobs/${seg(jobId)}`);
      this.names.set(jobId, job.name);
      this.store.changes.anyImage = true;
      this.context.render();
    } catch {
      this.names.delete(jobId); // deleted meanwhile: the id stays shown
    }
  }

  unmount() {}
}
