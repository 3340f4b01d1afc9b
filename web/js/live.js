// The one WebSocket every view listens on (docs/progress.md). Views `watch(topic, handler)` and
// get back a function that stops watching; the feed subscribes a topic while anyone watches it.
// Per topic a TopicLog applies each seq once, in order; after a reconnect every topic is
// subscribed again with `after_seq` = the last seq applied, so the server's replay fills the gap.

import { TopicLog } from './seq.js';

const PROTOCOL = 'forgeflow.v1';
const PING_EVERY_MS = 30_000;
const RECONNECT_BASE_MS = 500;
const RECONNECT_MAX_MS = 30_000;
const RESUBSCRIBE_AFTER_MS = 1_000;
const RESUBSCRIBE_ATTEMPTS = 30;

export class LiveFeed {
  constructor(url, token, onState) {
    this.url = url;
    this.token = token;
    this.onState = onState;
    this.topics = new Map(); // topic → {log, handlers:Set, confirmed, retries}
    this.socket = null;
    this.failures = 0;
    this.closed = false;
    this.timers = new Set();
    this.state = 'connecting';
    this.connect();
  }

  /** Calls `handler(event)` for each event of `topic`, in seq order, from the first one. */
  watch(topic, handler) {
    let entry = this.topics.get(topic);
    if (!entry) {
      entry = { log: new TopicLog(), handlers: new Set(), confirmed: false, retries: 0, seen: [] };
      this.topics.set(topic, entry);
      entry.handlers.add(handler);
      this.sendSubscribe(topic);
    } else {
      entry.handlers.add(handler);
      // A second watcher gets what the first already had.
      for (const event of entry.seen) this.call(handler, event);
    }
    return () => this.unwatch(topic, handler);
  }

  unwatch(topic, handler) {
    const entry = this.topics.get(topic);
    if (!entry) return;
    entry.handlers.delete(handler);
    if (entry.handlers.size === 0) {
      this.topics.delete(topic);
      this.send({ action: 'unsubscribe', topic });
    }
  }

  close() {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    clearInterval(this.pinger);
    this.socket?.close(1000, 'done');
  }

  later(ms, work) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, ms);
    this.timers.add(timer);
  }

  setState(state) {
    this.state = state;
    this.onState(state, this.failures);
  }

  connect() {
    this.setState(this.failures ? 'reconnecting' : 'connecting');
    const socket = new WebSocket(this.url, [PROTOCOL, this.token]);
    socket.addEventListener('open', () => this.onOpen(socket));
    socket.addEventListener('message', (message) => this.onMessage(message.data));
    socket.addEventListener('close', () => this.onClose(socket));
    this.socket = socket;
  }

  onOpen(socket) {
    if (socket !== this.socket) return;
    this.failures = 0;
    this.setState('live');
    clearInterval(this.pinger);
    this.pinger = setInterval(() => this.send({ action: 'ping' }), PING_EVERY_MS);
    for (const [topic, entry] of this.topics) {
      entry.confirmed = false;
      this.sendSubscribe(topic);
    }
  }

  onClose(socket) {
    if (socket !== this.socket) return;
    clearInterval(this.pinger);
    if (this.closed) return;
    this.failures += 1;
    const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** (this.failures - 1));
    this.setState('reconnecting');
    this.later(ceiling / 2 + Math.random() * (ceiling / 2), () => this.connect());
  }

  send(message) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  sendSubscribe(topic) {
    const entry = this.topics.get(topic);
    if (entry) this.send({ action: 'subscribe', topic, after_seq: entry.log.applied });
  }

  onMessage(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    const entry = this.topics.get(frame.topic);
    if (frame.type === 'events' && entry) this.deliver(entry, entry.log.accept(frame.events));
    else if (frame.type === 'subscribed' && entry) {
      entry.confirmed = true;
      entry.retries = 0;
      this.deliver(entry, entry.log.flush());
    } else if (frame.type === 'error') this.refused(frame);
  }

  deliver(entry, events) {
    for (const event of events) {
      entry.seen.push(event);
      for (const handler of [...entry.handlers]) this.call(handler, event);
    }
  }

  call(handler, event) {
    try {
      handler(event);
    } catch (err) {
      console.warn('could not show event', event, err);
    }
  }

  /** A refused subscription (a generation not created yet): try again a little later. */
  refused(frame) {
    const topics = frame.topic ? [frame.topic] : [...this.topics.keys()];
    for (const topic of topics) {
      const entry = this.topics.get(topic);
      if (!entry || entry.confirmed || entry.retries >= RESUBSCRIBE_ATTEMPTS) continue;
      entry.retries += 1;
      this.later(RESUBSCRIBE_AFTER_MS, () => this.sendSubscribe(topic));
    }
  }
}
