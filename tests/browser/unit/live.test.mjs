// The one WebSocket, against a fake socket: subscribe while watched, apply each seq once and in
// order, resubscribe after a reconnect from the last seq applied, unsubscribe when nobody watches.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';

class FakeSocket {
  static OPEN = 1;
  static all = [];
  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    this.readyState = 0;
    this.sent = [];
    this.listeners = {};
    FakeSocket.all.push(this);
  }
  addEventListener(name, fn) {
    (this.listeners[name] ??= []).push(fn);
  }
  emit(name, data) {
    for (const fn of this.listeners[name] ?? []) fn(data);
  }
  open() {
    this.readyState = FakeSocket.OPEN;
    this.emit('open');
  }
  receive(frame) {
    this.emit('message', { data: JSON.stringify(frame) });
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.readyState = 3;
    this.emit('close');
  }
}

let LiveFeed;
let states;
beforeEach(async () => {
  FakeSocket.all = [];
  globalThis.WebSocket = FakeSocket;
  ({ LiveFeed } = await import('../../../web/js/live.js'));
  states = [];
});
afterEach(() => {
  delete globalThis.WebSocket;
});

const events = (...seqs) => ({ type: 'events', topic: 'execution:e1', events: seqs.map((seq) => ({ seq, kind: 'step_started' })) });

test('one socket, the token as subprotocol, each seq once and in order, resumed after a reconnect', async () => {
  const feed = new LiveFeed('ws://x/ws', 'tok', (state) => states.push(state));
  const socket = FakeSocket.all[0];
  assert.deepEqual(socket.protocols, ['forgeflow.v1', 'tok']);
  const seen = [];
  const other = [];
  feed.watch('execution:e1', (e) => seen.push(e.seq));
  socket.open();
  assert.deepEqual(socket.sent, [{ action: 'subscribe', topic: 'execution:e1', after_seq: 0 }]);
  socket.receive(events(2, 1, 1));
  socket.receive(events(4));
  assert.deepEqual(seen, [1, 2], '4 waits for 3');
  socket.receive({ type: 'subscribed', topic: 'execution:e1', last_seq: 4 });
  assert.deepEqual(seen, [1, 2, 4], 'the end of the replay releases 4');
  // A second watcher of the same topic gets what was already applied, without a new subscribe.
  feed.watch('execution:e1', (e) => other.push(e.seq));
  assert.deepEqual(other, [1, 2, 4]);
  assert.equal(socket.sent.length, 1);

  socket.close();
  assert.equal(states.at(-1), 'reconnecting');
  await new Promise((resolve) => setTimeout(resolve, 600));
  const second = FakeSocket.all[1];
  assert.ok(second, 'it reconnected');
  second.open();
  assert.equal(states.at(-1), 'live');
  assert.deepEqual(second.sent, [{ action: 'subscribe', topic: 'execution:e1', after_seq: 4 }]);
  second.receive(events(4, 5));
  assert.deepEqual(seen, [1, 2, 4, 5]);
  feed.close();
});

test('a topic nobody watches any more is unsubscribed', () => {
  const feed = new LiveFeed('ws://x/ws', 'tok', () => {});
  const socket = FakeSocket.all[0];
  socket.open();
  const stop = feed.watch('project:p1', () => {});
  stop();
  assert.deepEqual(socket.sent, [
    { action: 'subscribe', topic: 'project:p1', after_seq: 0 },
    { action: 'unsubscribe', topic: 'project:p1' },
  ]);
  feed.close();
});
