// The page's subscription code: one socket.io-client 2.x connection over websocket (as
// Flamenco's own web app connects), `/subscription` messages for what the current view
// shows and for nothing it has left, and every update handed on once per animation frame.
//
// On every (re)connect the server has put the connection in its default rooms again (Jobs
// among them), so the page starts from those, subscribes to what its view wants, leaves
// what it does not, and then asks the view to fetch its data over REST: whatever changed
// while the page was not connected shows up.

/** Every event the server sends that the page uses. */
export const SERVER_EVENTS = ['/jobs', '/task', '/tasklog', '/last-rendered', '/workers', '/workertags', '/status', '/lifecycle'];

/** What a new connection is subscribed to without asking: the server's default `Jobs` room. */
export const DEFAULT_SUBSCRIPTIONS = ['allJobs'];

/** A subscription as a key: `allWorkers`, or `job:<uuid>` / `tasklog:<uuid>`. */
export function subscriptionKey(type, uuid) {
  return uuid ? `${type}:${uuid}` : type;
}

function subscriptionPayload(op, key) {
  const [type, uuid] = key.split(':');
  return uuid ? { op, type, uuid } : { op, type };
}

/**
 * The connection. `onBatch(messages)` gets the updates received since the last frame, in
 * order, as `{event, payload}`; `onConnected(reconnected)` runs after each connect, once the
 * subscriptions are sent; `onDisconnected(reason)` at once when updates stop arriving;
 * `onRefused(text)` when the server refuses a subscription.
 */
export class Updates {
  constructor({ onBatch, onConnected, onDisconnected, onRefused }) {
    Object.assign(this, { onBatch, onConnected, onDisconnected, onRefused });
    this.socket = null;
    this.desired = new Set(DEFAULT_SUBSCRIPTIONS);
    this.current = new Set();
    this.connects = 0;
    this.pending = [];
    this.scheduled = false;
  }

  /** Connects to the Socket.IO server of the page's own origin. */
  start() {
    // `io` is the global of the vendored socket.io-client 2.5.0 bundle.
    const socket = window.io({ transports: ['websocket'] });
    this.socket = socket;
    socket.on('connect', () => this.connected());
    socket.on('disconnect', (reason) => this.disconnected(reason));
    socket.on('connect_error', () => this.disconnected('cannot connect'));
    socket.on('reconnect_error', () => this.disconnected('cannot reconnect'));
    for (const event of SERVER_EVENTS) {
      socket.on(event, (payload) => this.receive(event, payload));
    }
  }

  /**
   * Says what the current view wants to receive, as subscription keys; resolves once the
   * server has answered every change this asked for.
   */
  want(keys) {
    this.desired = new Set(keys);
    return this.isConnected ? this.sync() : Promise.resolve();
  }

  get isConnected() {
    return Boolean(this.socket && this.socket.connected);
  }

  async connected() {
    this.current = new Set(DEFAULT_SUBSCRIPTIONS);
    const reconnected = this.connects > 0;
    this.connects += 1;
    await this.sync();
    if (this.isConnected) this.onConnected(reconnected);
  }

  disconnected(reason) {
    this.current = new Set();
    this.onDisconnected(reason);
  }

  /** Leaves what is no longer wanted, then joins what is newly wanted; resolves on the acks. */
  sync() {
    const sent = [];
    for (const key of [...this.current]) {
      if (!this.desired.has(key)) sent.push(this.send('unsubscribe', key));
    }
    for (const key of this.desired) {
      if (!this.current.has(key)) sent.push(this.send('subscribe', key));
    }
    return Promise.all(sent);
  }

  /** One `/subscription` message; resolves with the server's ack (or on disconnect). */
  send(op, key) {
    if (op === 'subscribe') this.current.add(key);
    else this.current.delete(key);
    return new Promise((resolve) => {
      const socket = this.socket;
      const gone = () => resolve('disconnected');
      socket.once('disconnect', gone);
      socket.emit('/subscription', subscriptionPayload(op, key), (ack) => {
        socket.off('disconnect', gone);
        if (ack !== 'ok') this.onRefused(`${op} ${key}: ${ack}`);
        resolve(ack);
      });
    });
  }

  receive(event, payload) {
    this.pending.push({ event, payload });
    if (this.scheduled) return;
    this.scheduled = true;
    // A hidden tab gets no animation frames; it still keeps up, four times a second.
    if (document.hidden) setTimeout(() => this.flush(), 250);
    else requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length) this.onBatch(batch);
  }
}
