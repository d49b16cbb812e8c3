// The open task's log: the tail fetched over REST, then `/tasklog` chunks appended as they
// arrive, the last MAX_LOG_LINES lines kept, with a link to the whole log.
import { h, setAttr, setText } from '../dom.js';
import { statusClass } from '../format.js';
import { get, seg } from '../api.js';
import { jobPath } from '../router.js';
import { MAX_LOG_LINES } from '../store.js';

export class TaskLogPanel {
  constructor(parent, context) {
    this.context = context;
    this.store = context.store;
    this.title = h('h3', { id: 'log-title' });
    this.status = h('span');
    this.activity = h('span', { class: 'activity' });
    this.whole = h('a', { href: '#', target: '_blank', rel: 'noopener', hidden: true }, 'Whole log');
    this.close = h('a', { href: '/jobs', 'data-nav': true, class: 'close' }, 'Close log');
    this.dropped = h('p', { class: 'dropped', hidden: true });
    this.pre = h('pre', { class: 'log', tabindex: 0, 'aria-labelledby': 'log-title' });
    this.el = h('section', { class: 'task-log', hidden: true, 'aria-labelledby': 'log-title' },
      h('header', { class: 'log-head' }, this.title, this.status, this.activity, h('span', { class: 'spacer' }), this.whole, this.close),
      this.dropped, this.pre);
    parent.append(this.el);
  }

  /** Fetches the open task's log tail and the address of its whole log. */
  async load() {
    const { store } = this;
    const taskId = store.openTaskId;
    this.askedForUrl = false;
    if (!taskId) return;
    const path = `/api/v3/tasks/${seg(taskId)}`;
    try {
      const [info] = await Promise.all([
        get(`${path}/log`),
        store.snapshot('log', () => get(`${path}/logtail`),
          (tail) => store.setLogTail(taskId, tail),
          (tail, m) => Boolean(tail) && tail.includes(m.payload.log)),
      ]);
      if (taskId !== store.openTaskId) return;
      store.log.url = info ? info.url : null;
      store.changes.log = true;
    } catch (e) {
      if (taskId === store.openTaskId) this.context.notices.error(`Could not fetch the task's log: ${e.message}`);
    }
    this.context.render();
  }

  render(changes) {
    if (!changes.log) return;
    const { store } = this;
    const taskId = store.openTaskId;
    this.el.hidden = !taskId;
    if (!taskId) return;
    const task = store.tasks.get(taskId);
    setText(this.title, `Log of ${task ? task.name : 'task'}`);
    setText(this.status, task ? task.status : '');
    setAttr(this.status, 'class', task ? statusClass(task.status) : null);
    setText(this.activity, task && task.activity ? task.activity : '');
    setAttr(this.close, 'href', jobPath(store.openJobId));
    this.whole.hidden = !store.log.url;
    if (store.log.url) setAttr(this.whole, 'href', store.log.url);
    else if (store.log.lines.length && !this.askedForUrl) {
      // The first chunk of a log that had none: its file exists now.
      this.askedForUrl = true;
      get(`/api/v3/tasks/${seg(taskId)}/log`).then((info) => {
        if (info && taskId === store.openTaskId) {
          store.log.url = info.url;
          store.changes.log = true;
          this.context.render();
        }
      }, () => {});
    }
    this.dropped.hidden = store.log.dropped === 0;
    setText(this.dropped, `Showing the last ${MAX_LOG_LINES} lines; ${store.log.dropped} earlier ones are in the whole log.`);
    const atBottom = this.pre.scrollTop + this.pre.clientHeight >= this.pre.scrollHeight - 4;
    const text = store.log.lines.length ? store.log.lines.join('\n') : 'No log yet.';
    setText(this.pre, text);
    if (atBottom) this.pre.scrollTop = this.pre.scrollHeight;
  }
}
