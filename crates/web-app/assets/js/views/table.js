// A table whose rows are kept by id and redrawn only when their item changed, and the
// fetch that fills a view's list.
import { h, setText } from '../dom.js';
import { get } from '../api.js';

/**
 * Fetches `path` into the store as a snapshot of `kind` (updates that arrive meanwhile are
 * replayed on top), says so when it fails, and redraws.
 */
export async function loadList(context, { kind, path, apply, what }) {
  try {
    await context.store.snapshot(kind, () => get(path), apply);
  } catch (e) {
    context.notices.error(`Could not fetch ${what}: ${e.message}`);
  }
  context.render();
}

export class KeyedTable {
  /**
   * `make(id)` builds a row `{tr, ...}`, `fill(row, item)` writes an item into it, `items()`
   * is the Map it shows, `order` sorts a rebuild (new rows go to the end).
   */
  constructor({ label, columns, empty, make, fill, items, order }) {
    Object.assign(this, { make, fill, items, order });
    this.rows = new Map();
    this.tbody = h('tbody');
    this.count = h('span', { class: 'count' });
    this.empty = h('p', { class: 'empty', hidden: true }, empty);
    this.el = h('div', { class: 'scroll' },
      h('table', { class: 'grid', 'aria-label': label },
        h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
        this.tbody),
      this.empty);
    this.loaded = false;
  }

  render(reset, changed) {
    if (reset) {
      this.loaded = true;
      this.rows.clear();
      const items = [...this.items().values()].sort(this.order);
      this.tbody.replaceChildren(...items.map((item) => this.row(item.id, item).tr));
    } else {
      for (const id of changed) {
        const item = this.items().get(id);
        if (!item) {
          this.rows.get(id)?.tr.remove();
          this.rows.delete(id);
        } else {
          const known = this.rows.has(id);
          const row = this.row(id, item);
          if (!known) this.tbody.append(row.tr);
        }
      }
    }
    if (reset || changed.size) {
      setText(this.count, `(${this.items().size})`);
      this.empty.hidden = !this.loaded || this.items().size > 0;
    }
  }

  row(id, item) {
    let row = this.rows.get(id);
    if (!row) {
      row = this.make(id);
      this.rows.set(id, row);
    }
    this.fill(row, item);
    return row;
  }
}
