// The header: which view is open, the farm status in Flamenco's words, and whether updates
// are arriving.
import { setAttr, setText } from '../dom.js';
import { FARM_STATUS_WORDING } from '../format.js';

const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  connected: 'Live',
  disconnected: 'Not receiving updates: reconnecting…',
};

export class Header {
  constructor(root, store) {
    this.store = store;
    this.links = [...root.querySelectorAll('nav.views a[data-view]')];
    this.farm = root.querySelector('#farm-status');
    this.connection = root.querySelector('#connection');
  }

  setView(view) {
    for (const link of this.links) setAttr(link, 'aria-current', link.dataset.view === view ? 'page' : null);
  }

  render(changes) {
    const { store } = this;
    if (changes.farm) {
      const status = store.farmStatus;
      setText(this.farm.querySelector('.value'), status);
      setText(this.farm.querySelector('.explanation'), FARM_STATUS_WORDING[status] || '');
      this.farm.className = `farm-status farm-status-${status}`;
      this.farm.dataset.status = status;
    }
    if (changes.connection) {
      let state = store.connection;
      let text = CONNECTION_TEXT[state];
      // The manager says `manager-shutdown` before it closes the connection.
      if (store.lifecycle === 'manager-shutdown') {
        text = state === 'connected'
          ? 'The manager is shutting down; updates will stop'
          : 'Not receiving updates: the manager stopped; reconnecting…';
        state = 'disconnected';
      }
      setText(this.connection, text);
      this.connection.className = `connection ${state}`;
      this.connection.dataset.state = store.connection;
    }
  }
}

/** Messages for the person at the page: errors stay until dismissed, news goes by itself. */
export class Notices {
  constructor(root) {
    this.root = root;
  }

  error(text) {
    this.add(text, 'error');
  }

  info(text) {
    const notice = this.add(text, 'info');
    setTimeout(() => notice.remove(), 6000);
  }

  add(text, kind) {
    const notice = document.createElement('div');
    notice.className = `notice ${kind}`;
    notice.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    const message = document.createElement('span');
    message.textContent = text;
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'dismiss';
    close.setAttribute('aria-label', 'Dismiss');
    close.textContent = '×';
    close.addEventListener('click', () => notice.remove());
    notice.append(message, close);
    this.root.append(notice);
    while (this.root.children.length > 5) this.root.firstElementChild.remove();
    return notice;
  }
}
