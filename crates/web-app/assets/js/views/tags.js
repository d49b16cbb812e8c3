// The worker-tags view: every tag, kept current by `/workertags`.
import { h, setText } from '../dom.js';
import { get } from '../api.js';
import { subscriptionKey } from '../updates.js';
import { KeyedTable } from './table.js';

export class TagsView {
  constructor(main, context) {
    this.context = context;
    this.store = context.store;
    this.table = new KeyedTable({
      label: 'Worker tags',
      columns: ['Name', 'Description'],
      empty: 'No worker tags. Tags limit jobs to the workers that carry them.',
      make: (id) => {
        const name = h('td');
        const description = h('td');
        return { tr: h('tr', { 'data-id': id }, name, description), name, description };
      },
      fill: (row, tag) => {
        setText(row.name, tag.name);
        setText(row.description, tag.description);
      },
      items: () => this.store.tags,
      order: (a, b) => a.name.localeCompare(b.name),
    });
    main.append(h('section', { class: 'panel page' }, h('h1', {}, 'Worker tags ', this.table.count), this.table.el));
  }

  subscriptions() {
    return [subscriptionKey('allWorkerTags')];
  }

  route() {
    return { tags: true };
  }

  async load() {
    try {
      await this.store.snapshot('tags', () => get('/api/v3/worker-mgt/tags'), (answer) => this.store.setTags(answer.tags ?? []));
    } catch (e) {
      this.context.notices.error(`Could not fetch the worker tags: ${e.message}`);
    }
    this.context.render();
  }

  render(changes) {
    this.table.render(changes.tagsReset, changes.tags);
  }

  unmount() {}
}
