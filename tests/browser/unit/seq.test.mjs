import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopicLog } from '../../../web/js/seq.js';

const ev = (...seqs) => seqs.map((seq) => ({ seq, kind: `e${seq}` }));
const seqs = (events) => events.map((e) => e.seq);

test('applies in seq order, each once', () => {
  const log = new TopicLog();
  assert.deepEqual(seqs(log.accept(ev(1, 2))), [1, 2]);
  assert.deepEqual(seqs(log.accept(ev(2, 3))), [3], 'a duplicate is dropped');
  assert.equal(log.applied, 3);
});

test('holds an early event until the gap fills', () => {
  const log = new TopicLog();
  assert.deepEqual(seqs(log.accept(ev(2, 4))), []);
  assert.deepEqual(seqs(log.accept(ev(1))), [1, 2]);
  assert.deepEqual(seqs(log.accept(ev(3))), [3, 4]);
  assert.deepEqual(seqs(log.accept(ev(4, 3, 1))), []);
});

test('the end of a replay releases what is held behind a gap, in order', () => {
  const log = new TopicLog(5);
  assert.deepEqual(seqs(log.accept(ev(9, 8))), []);
  assert.deepEqual(seqs(log.flush()), [8, 9]);
  assert.equal(log.applied, 9);
  assert.deepEqual(seqs(log.accept(ev(7, 10))), [10], 'older than applied is dropped');
  assert.deepEqual(log.flush(), []);
});

test('a resubscription resumes after the last applied seq', () => {
  const log = new TopicLog();
  log.accept(ev(1, 2, 3));
  // The replay after a reconnect sends 3 again (seen live) and then 4.
  assert.deepEqual(seqs(log.accept(ev(3, 4))), [4]);
  assert.equal(log.applied, 4);
});

test('ignores malformed events', () => {
  const log = new TopicLog();
  assert.deepEqual(log.accept([null, { kind: 'x' }, { seq: 'a' }, { seq: 1.5 }]), []);
  assert.deepEqual(log.accept(undefined), []);
});
