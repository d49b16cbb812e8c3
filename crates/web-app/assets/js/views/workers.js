// The workers view: every worker's status and when it was last seen, kept current by
// `/workers`, with the actions to send a worker to sleep or wake it.
import { h, setAttr, setText } from '../dom.js';
import { statusClass, time } from '../format.js';
import { post, seg } from '../api.js';
import { subscriptionKey } from '../updates.js';
import { KeyedTable, loadList } from './table.js';

export class WorkersView {
  constructor(main, context) {
    this.context = context;
    this.store = context.store;
    this.table = new KeyedTable({
      label: 'Workers',
      columns: ['Name', 'Status', 'Last seen', 'Version', 'Actions'],
      empty: 'No workers yet. A worker appears here once it registers with the manager.',
      make: (id) => this.makeRow(id),
      fill: (row, worker) => this.fill(row, worker),
      items: () => this.store.workers,
      order: (a, b) => a.name.localeCompare(b.name),
    });
    main.append(h('section', { class: 'panel page' }, h('h1', {}, 'Workers ', this.table.count), this.table.el));
  }

  subscriptions() {
    return [subscriptionKey('allWorkers')];
  }

  route() {
    return { workers: true };
  }

  load() {
    return loadList(this.context, {
      kind: 'workers', path: '/api/v3/worker-mgt/workers', what: 'the workers',
      apply: (answer) => this.store.setWorkers(answer.workers),
    });
  }

  render(changes) {
    this.table.render(changes.workersReset, changes.workers);
  }

  makeRow(id) {
    const name = h('td');
    const status = h('span');
    const change = h('span', { class: 'status-change' });
    const sleep = h('button', { type: 'button', onclick: () => this.request(id, 'asleep') }, 'Send to sleep');
    const wake = h('button', { type: 'button', onclick: () => this.request(id, 'awake') }, 'Wake up');
    const cells = [name, h('td', {}, status, change), h('td'), h('td'), h('td', {}, h('div', { class: 'row-actions' }, sleep, wake))];
    return { tr: h('tr', { 'data-id': id }, cells), name, status, change, cells, sleep, wake };
  }

  fill(row, worker) {
    setText(row.name, worker.name);
    setText(row.status, worker.status);
    setAttr(row.status, 'class', statusClass(worker.status));
    const requested = worker.status_change;
    setText(row.change, requested ? ` → ${requested.status}${requested.is_lazy ? ' (after its task)' : ''}` : '');
    setText(row.cells[2], time(worker.last_seen));
    setText(row.cells[3], worker.version);
    setAttr(row.sleep, 'aria-label', `Send ${worker.name} to sleep`);
    setAttr(row.wake, 'aria-label', `Wake ${worker.name} up`);
    row.sleep.disabled = worker.status === 'asleep' || worker.status === 'offline';
    row.wake.disabled = worker.status === 'awake' || worker.status === 'offline';
  }

  async request(id, status) {
    const worker = this.store.workers.get(id);
    try {
      await post(`/api/v3/worker-mgt/workers/${seg(id)}/setstatus`, { status, is_lazy: false });
      this.context.notices.info(`Asked ${worker ? worker.name : 'the worker'} to ${status === 'awake' ? 'wake up' : 'go to sleep'}.`);
    } catch (e) {
      this.context.notices.error(`Could not ask ${worker ? worker.name : 'the worker'} to change: ${e.message}`);
    }
  }

  unmount() {}
}
