// The open job: its details, the actions an operator takes on it, its last-rendered image
// (replaced as `/last-rendered` arrives) and its tasks (kept current by `/task`).
import { arrowKeys, h, setAttr, setText } from '../dom.js';
import { percent, statusClass, time } from '../format.js';
import { del, get, post, seg } from '../api.js';
import { taskPath } from '../router.js';

/** Job actions, with the statuses each applies to (as Flamenco's web app offers them). */
const ACTIONS = [
  { label: 'Pause', status: 'pause-requested', from: ['active', 'queued'], done: 'marked for pausing' },
  { label: 'Resume', status: 'requeueing', from: ['paused'], done: 'marked for resuming' },
  { label: 'Cancel', status: 'cancel-requested', from: ['active', 'paused', 'failed', 'queued'], done: 'marked for cancellation' },
  { label: 'Requeue', status: 'requeueing', from: ['canceled', 'completed', 'failed'], done: 'marked for requeueing' },
];
const DELETABLE = ['canceled', 'completed', 'failed', 'paused', 'queued'];

/** The image file to show: the first suffix containing `prefer`, else the first one. */
export function imageUrl(info, prefer) {
  if (!info || !Array.isArray(info.suffixes) || info.suffixes.length === 0) return null;
  const suffix = info.suffixes.find((s) => s.includes(prefer)) ?? info.suffixes[0];
  return `${info.base}/${suffix}?v=${info.version ?? 0}`;
}

const TASK_COLUMNS = ['#', 'Task', 'Status', 'Type', 'Worker', 'Updated'];

export class JobPanel {
  constructor(parent, context) {
    this.context = context;
    this.store = context.store;
    this.rows = new Map();
    this.placeholder = h('p', { class: 'empty' }, 'Select a job to see its details, its tasks and its last-rendered image.');
    this.title = h('h2', { id: 'job-title' });
    this.status = h('span');
    this.fields = {};
    const field = (name, label, value = h('dd')) => {
      this.fields[name] = value;
      return [h('dt', {}, label), value];
    };
    this.priority = h('input', { type: 'number', min: 0, max: 100, step: 1, required: true, id: 'job-priority', 'aria-label': 'Priority' });
    const priorityForm = h('form', { class: 'priority-form', onsubmit: (e) => { e.preventDefault(); this.setPriority(); } },
      this.priority, h('button', { type: 'submit' }, 'Set priority'));
    this.buttons = ACTIONS.map((action) => h('button', { type: 'button', onclick: () => this.setStatus(action) }, action.label));
    this.deleteButton = h('button', { type: 'button', class: 'danger', onclick: () => this.askDelete(true) }, 'Delete…');
    this.confirm = h('div', { class: 'confirm', hidden: true, role: 'group', 'aria-label': 'Confirm deletion' },
      h('span', {}, 'Delete this job and its tasks?'),
      h('button', { type: 'button', class: 'danger', onclick: () => this.deleteJob() }, 'Delete'),
      h('button', { type: 'button', onclick: () => this.askDelete(false) }, 'Keep'));
    this.image = h('img', { alt: 'Last-rendered image of this job', hidden: true });
    this.noImage = h('p', { class: 'empty' }, 'Nothing rendered yet.');
    this.tbody = h('tbody');
    arrowKeys(this.tbody, 'a.row-link');
    this.tasksCount = h('span', { class: 'count' });
    this.body = h('div', { class: 'job-body', hidden: true },
      h('header', { class: 'job-head' }, this.title, this.status),
      h('div', { class: 'job-summary' },
        h('dl', { class: 'facts' },
          field('type', 'Type'), field('priority', 'Priority', h('dd', {}, priorityForm)),
          field('progress', 'Progress'), field('activity', 'Activity'),
          field('created', 'Created'), field('updated', 'Updated'), field('id', 'ID')),
        h('figure', { class: 'last-rendered small' }, this.image, this.noImage)),
      h('div', { class: 'actions', role: 'group', 'aria-label': 'Job actions' }, this.buttons, this.deleteButton, this.confirm),
      h('h3', {}, 'Tasks ', this.tasksCount),
      h('div', { class: 'scroll tasks-scroll' },
        h('table', { class: 'grid tasks-table', 'aria-label': 'Tasks' },
          h('thead', {}, h('tr', {}, TASK_COLUMNS.map((c) => h('th', { scope: 'col' }, c)))),
          this.tbody)));
    this.missing = h('p', { class: 'empty error-text', hidden: true });
    parent.append(this.placeholder, this.missing, this.body);
  }

  /** Fetches the open job, its tasks and its image. */
  load() {
    const id = this.store.openJobId;
    if (!id) return;
    this.loadJob(id);
    this.loadTasks();
    this.loadImage(id);
  }

  async loadJob(id) {
    const { store } = this;
    try {
      await store.snapshot('jobs', () => get(`/api/v3/jobs/${seg(id)}`), (job) => {
        if (id !== store.openJobId) return;
        store.job = job;
        store.jobs.set(job.id, { ...store.jobs.get(job.id), ...job });
        store.changes.job = true;
        store.changes.jobs.add(job.id);
      });
    } catch (e) {
      if (id !== store.openJobId) return;
      store.job = { id, error: e.message };
      store.changes.job = true;
    }
    this.rerender();
  }

  async loadTasks() {
    const { store } = this;
    const id = store.openJobId;
    if (!id) return;
    try {
      await store.snapshot('tasks', () => get(`/api/v3/jobs/${seg(id)}/tasks`), (answer) => store.setTasks(id, answer.tasks));
    } catch (e) {
      if (id === store.openJobId && store.job && !store.job.error) this.context.notices.error(`Could not fetch the job's tasks: ${e.message}`);
    }
    this.rerender();
  }

  async loadImage(id) {
    const { store } = this;
    try {
      const info = await get(`/api/v3/jobs/${seg(id)}/last-rendered`);
      if (id !== store.openJobId) return;
      store.imageVersion += 1;
      store.image = info && { ...info, version: store.imageVersion };
      store.changes.image = true;
    } catch {
      // The job's own fetch says what is wrong with it.
    }
    this.rerender();
  }

  /** A REST answer arrived outside a socket batch: draw it now. */
  rerender() {
    this.context.render?.();
  }

  async setPriority() {
    const id = this.store.openJobId;
    const priority = Number(this.priority.value);
    try {
      await post(`/api/v3/jobs/${seg(id)}/setpriority`, { priority });
      this.priorityEdited = false;
    } catch (e) {
      this.context.notices.error(`Could not set the priority to ${priority}: ${e.message}`);
    }
  }

  async setStatus(action) {
    const id = this.store.openJobId;
    try {
      await post(`/api/v3/jobs/${seg(id)}/setstatus`, { status: action.status, reason: 'requested from the web app' });
      this.context.notices.info(`Job ${action.done}.`);
    } catch (e) {
      this.context.notices.error(`Could not ${action.label.toLowerCase()} the job: ${e.message}`);
    }
  }

  askDelete(ask) {
    this.confirm.hidden = !ask;
    this.deleteButton.hidden = ask;
    (ask ? this.confirm.querySelector('button') : this.deleteButton).focus();
  }

  async deleteJob() {
    const id = this.store.openJobId;
    this.askDelete(false);
    try {
      await del(`/api/v3/jobs/${seg(id)}`);
      this.context.notices.info('Job marked for deletion.');
    } catch (e) {
      this.context.notices.error(`Could not delete the job: ${e.message}`);
    }
  }

  render(changes) {
    const { store } = this;
    if (changes.job) this.renderJob();
    if (changes.image) this.renderImage();
    if (changes.tasksReset) this.rebuildTasks();
    else for (const id of changes.tasks) this.renderTask(id);
    if (changes.tasksReset || changes.tasks.size || changes.job) this.renderProgress();
    if (changes.tasksReset || changes.tasks.size) setText(this.tasksCount, `(${store.tasks.size})`);
    if (changes.log && !changes.tasksReset) {
      for (const [id, row] of this.rows) setAttr(row.tr, 'aria-selected', id === store.openTaskId ? 'true' : null);
    }
  }

  renderJob() {
    const { store } = this;
    const job = store.job;
    this.placeholder.hidden = Boolean(store.openJobId);
    const error = job && (job.error || (job.deleted && 'This job has been deleted.'));
    this.missing.hidden = !error;
    setText(this.missing, error ? `Job ${job.id}: ${error}` : '');
    this.body.hidden = !job || Boolean(error);
    if (!job || error) return;
    setText(this.title, job.name);
    setText(this.status, job.status);
    setAttr(this.status, 'class', statusClass(job.status));
    setText(this.fields.type, job.type);
    setText(this.fields.activity, job.activity);
    setText(this.fields.created, time(job.created));
    setText(this.fields.updated, time(job.updated));
    setText(this.fields.id, job.id);
    if (document.activeElement !== this.priority) this.priority.value = job.priority;
    ACTIONS.forEach((action, i) => { this.buttons[i].disabled = !action.from.includes(job.status); });
    this.deleteButton.disabled = !DELETABLE.includes(job.status) || Boolean(job.delete_requested_at);
  }

  renderProgress() {
    const job = this.store.job;
    if (!job || job.error) return;
    const tasks = [...this.store.tasks.values()];
    const done = tasks.filter((t) => t.status === 'completed').length;
    const steps = percent(job.steps_completed, job.steps_total);
    const text = tasks.length ? `${done} of ${tasks.length} tasks completed` : '';
    setText(this.fields.progress, steps === null ? text : `${steps}% (${text})`);
  }

  renderImage() {
    const url = imageUrl(this.store.image, '-small');
    this.image.hidden = !url;
    this.noImage.hidden = Boolean(url);
    if (url) setAttr(this.image, 'src', url);
    else this.image.removeAttribute('src');
  }

  rebuildTasks() {
    this.rows.clear();
    const tasks = [...this.store.tasks.values()];
    tasks.sort((a, b) => (a.index_in_job ?? 0) - (b.index_in_job ?? 0));
    this.tbody.replaceChildren(...tasks.map((task, i) => {
      const row = this.makeRow(task.id, task.index_in_job ?? i + 1);
      this.fill(row, task);
      return row.tr;
    }));
  }

  renderTask(id) {
    const task = this.store.tasks.get(id);
    if (!task) return;
    let row = this.rows.get(id);
    if (!row) {
      row = this.makeRow(id, task.index_in_job ?? this.rows.size + 1);
      this.tbody.append(row.tr);
    }
    this.fill(row, task);
  }

  makeRow(id, index) {
    const link = h('a', { class: 'row-link', href: taskPath(this.store.openJobId, id), 'data-nav': true });
    const cells = {
      index: h('td', { class: 'num' }, index),
      name: h('td', {}, link),
      status: h('td', {}, h('span')),
      type: h('td'),
      worker: h('td'),
      updated: h('td'),
    };
    const tr = h('tr', { 'data-id': id }, Object.values(cells));
    const row = { tr, link, cells };
    this.rows.set(id, row);
    return row;
  }

  fill(row, task) {
    setText(row.link, task.name);
    const status = row.cells.status.firstChild;
    setText(status, task.status);
    setAttr(status, 'class', statusClass(task.status));
    setText(row.cells.type, task.task_type);
    setText(row.cells.worker, task.worker ? task.worker.name : '');
    setText(row.cells.updated, time(task.updated));
    setAttr(row.tr, 'aria-selected', task.id === this.store.openTaskId ? 'true' : null);
  }
}
