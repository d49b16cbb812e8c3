// The worker-tags view: every tag, kept current by `/workertags`.
import { h, setText } from '../dom.js';
import { subscriptionKey } from '../updates.js';
import { KeyedTable, loadList } from './table.js';

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

  load() {
    return loadList(this.context, {
      kind: 'tags', path: '/api/v3/worker-mgt/tags', what: 'the worker tags',
      apply: (answer) => this.store.setTags(answer.tags ?? []),
    });
  }

  render(changes) {
    this.table.render(changes.tagsReset, changes.tags);
  }

  unmount() {}
}
