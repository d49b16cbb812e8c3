// The jobs view: every job in a table, kept current by `/jobs`; the open job beside it
// (views/job.js) and the open task's log below that (views/tasklog.js).
import { arrowKeys, h, setAttr, setText } from '../dom.js';
import { percent, statusClass, time } from '../format.js';
import { jobPath } from '../router.js';
import { subscriptionKey } from '../updates.js';
import { JobPanel } from './job.js';
import { TaskLogPanel } from './tasklog.js';
import { loadList } from './table.js';

const COLUMNS = ['Name', 'Type', 'Status', 'Priority', 'Progress', 'Updated'];

export class JobsView {
  constructor(main, context) {
    this.context = context;
    this.store = context.store;
    this.rows = new Map();
    this.tbody = h('tbody');
    this.empty = h('p', { class: 'empty', hidden: true }, 'No jobs yet. Submitted jobs appear here as they arrive.');
    this.count = h('span', { class: 'count' });
    const table = h('table', { class: 'grid jobs-table', 'aria-labelledby': 'jobs-title' },
      h('thead', {}, h('tr', {}, COLUMNS.map((c) => h('th', { scope: 'col', class: `col-${c.toLowerCase()}` }, c)))),
      this.tbody);
    arrowKeys(this.tbody, 'a.row-link');
    const list = h('section', { class: 'panel jobs-list' },
      h('h1', { id: 'jobs-title' }, 'Jobs ', this.count),
      h('div', { class: 'scroll' }, table, this.empty));
    const detail = h('section', { class: 'panel job-detail', 'aria-label': 'Job' });
    this.job = new JobPanel(detail, context);
    this.log = new TaskLogPanel(detail, context);
    main.append(h('div', { class: 'jobs-layout' }, list, detail));
  }

  subscriptions() {
    const keys = [subscriptionKey('allJobs')];
    if (this.store.openJobId) keys.push(subscriptionKey('job', this.store.openJobId));
    if (this.store.openTaskId) keys.push(subscriptionKey('tasklog', this.store.openTaskId));
    return keys;
  }

  /** Opens the route's job and task; says what needs fetching. */
  route({ jobId = null, taskId = null }) {
    const fresh = { jobs: !this.loaded, job: jobId !== this.store.openJobId, task: taskId !== this.store.openTaskId };
    this.store.openJob(jobId);
    this.store.openTask(taskId);
    this.markSelected();
    return fresh;
  }

  /** Fetches what the view shows: everything, or only what `fresh` names. */
  load(fresh = { jobs: true, job: true, task: true }) {
    if (fresh.jobs) this.loadJobs();
    if (fresh.job) this.job.load();
    if (fresh.task) this.log.load();
  }

  loadJobs() {
    this.loaded = true;
    return loadList(this.context, {
      kind: 'jobs', path: '/api/v3/jobs', what: 'the jobs', apply: (answer) => this.store.setJobs(answer.jobs),
    });
  }

  refreshTasks() {
    this.job.loadTasks();
  }

  render(changes) {
    if (changes.jobsReset) this.rebuild();
    else for (const id of changes.jobs) this.renderJob(id);
    if (changes.jobsReset || changes.jobs.size) {
      setText(this.count, `(${this.store.jobs.size})`);
      this.empty.hidden = !this.store.jobsLoaded || this.store.jobs.size > 0;
    }
    this.job.render(changes);
    this.log.render(changes);
  }

  rebuild() {
    this.rows.clear();
    const rows = [];
    for (const job of this.store.jobs.values()) {
      const row = this.makeRow(job.id);
      this.fill(row, job);
      rows.push(row.tr);
    }
    // Newest first: the answer lists jobs in submission order.
    this.tbody.replaceChildren(...rows.reverse());
    this.markSelected();
  }

  renderJob(id) {
    const job = this.store.jobs.get(id);
    let row = this.rows.get(id);
    if (!job) {
      row?.tr.remove();
      this.rows.delete(id);
      return;
    }
    if (!row) {
      row = this.makeRow(id);
      this.tbody.prepend(row.tr);
      setAttr(row.tr, 'aria-selected', id === this.store.openJobId ? 'true' : null);
    }
    this.fill(row, job);
  }

  makeRow(id) {
    const link = h('a', { class: 'row-link', href: jobPath(id), 'data-nav': true });
    const bar = h('span', { class: 'bar' });
    const progressText = h('span', { class: 'progress-text' });
    const cells = {
      name: h('td', { class: 'col-name' }, link),
      type: h('td', { class: 'col-type' }),
      status: h('td', { class: 'col-status' }, h('span')),
      priority: h('td', { class: 'col-priority num' }),
      progress: h('td', { class: 'col-progress' }, h('span', { class: 'progress' }, bar), progressText),
      updated: h('td', { class: 'col-updated' }),
    };
    const tr = h('tr', { 'data-id': id }, Object.values(cells));
    const row = { tr, link, cells, bar, progressText };
    this.rows.set(id, row);
    return row;
  }

  fill(row, job) {
    setText(row.link, job.name || job.id);
    setText(row.cells.type, job.type);
    const status = row.cells.status.firstChild;
    setText(status, job.status);
    setAttr(status, 'class', statusClass(job.status));
    setText(row.cells.priority, job.priority);
    const pct = percent(job.steps_completed, job.steps_total) ?? this.taskProgress(job);
    row.bar.parentElement.hidden = pct === null;
    row.bar.style.width = `${pct ?? 0}%`;
    setText(row.progressText, pct === null ? '' : `${pct}%`);
    setText(row.cells.updated, time(job.updated));
  }

  /** Without steps (before Flamenco 3.9), the open job's share of completed tasks. */
  taskProgress(job) {
    if (job.status === 'completed') return 100;
    if (job.id !== this.store.openJobId || this.store.tasks.size === 0) return null;
    const done = [...this.store.tasks.values()].filter((t) => t.status === 'completed').length;
    return percent(done, this.store.tasks.size);
  }

  markSelected() {
    for (const [id, row] of this.rows) setAttr(row.tr, 'aria-selected', id === this.store.openJobId ? 'true' : null);
  }

  unmount() {
    this.store.openJob(null);
    this.store.openTask(null);
  }
}
