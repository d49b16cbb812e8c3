// Starts the page: one store, one connection, one view at a time, redrawn once per frame.
import { Store } from './store.js';
import { Updates } from './updates.js';
import { parseRoute } from './router.js';
import { h } from './dom.js';
import { Header, Notices } from './views/header.js';
import { JobsView } from './views/jobs.js';
import { WorkersView } from './views/workers.js';
import { TagsView } from './views/tags.js';
import { LastRenderedView } from './views/last-rendered.js';

class NotFoundView {
  constructor(main) {
    main.append(h('section', { class: 'panel empty-page' },
      h('h1', {}, 'Nothing here'),
      h('p', {}, 'This address shows nothing. ', h('a', { href: '/jobs', 'data-nav': true }, 'See the jobs'), '.')));
  }

  subscriptions() { return []; }
  route() {}
  load() {}
  render() {}
  unmount() {}
}

const VIEWS = { jobs: JobsView, workers: WorkersView, tags: TagsView, 'last-rendered': LastRenderedView, 'not-found': NotFoundView };

const main = document.getElementById('main');
const store = new Store();
const header = new Header(document.body, store);
const notices = new Notices(document.getElementById('notices'));
let view = null;
let viewName = null;

/** Redraws what changed since the last frame. */
function render() {
  if (store.refreshTasks) {
    store.refreshTasks = false;
    view.refreshTasks?.();
  }
  const changes = store.takeChanges();
  header.render(changes);
  view.render(changes);
}

const updates = new Updates({
  onBatch(batch) {
    for (const { event, payload } of batch) store.apply(event, payload);
    render();
  },
  onConnected() {
    store.connection = 'connected';
    store.lifecycle = null;
    store.changes.connection = true;
    render();
    // Subscribed again by now: fetch everything the view shows, changes made while away included.
    view.load();
  },
  onDisconnected() {
    if (store.connection === 'disconnected') return;
    store.connection = 'disconnected';
    store.changes.connection = true;
    render();
  },
  onRefused(text) {
    notices.error(`The manager refused a subscription (${text}).`);
  },
});

let renderScheduled = false;
/** Redraws at the next frame: REST answers arriving together cost one redraw. */
function scheduleRender() {
  if (renderScheduled) return;
  renderScheduled = true;
  requestAnimationFrame(() => {
    renderScheduled = false;
    render();
  });
}

const context = { store, notices, navigate, updates, render: scheduleRender };

/** Shows the view for the current address; loads its data when the subscriptions are in place. */
async function show() {
  const route = parseRoute(window.location.pathname);
  if (route.view !== viewName) {
    view?.unmount();
    main.replaceChildren();
    viewName = route.view;
    view = new VIEWS[route.view](main, context);
    header.setView(route.view);
  }
  const fresh = view.route(route);
  const acked = updates.want(view.subscriptions());
  render();
  if (updates.isConnected && fresh !== false) {
    await acked;
    view.load(fresh);
  }
}

function navigate(path, { replace = false } = {}) {
  if (path === window.location.pathname) return;
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  show();
}

// Links marked data-nav change the view without reloading the page.
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-nav]');
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(link.getAttribute('href'));
});
window.addEventListener('popstate', () => show());

show();
updates.start();
