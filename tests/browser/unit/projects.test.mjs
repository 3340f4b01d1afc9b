import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyProjectEvent } from '../../../web/js/state.js';

const done = { id: 'e1', status: 'succeeded', workflow: 'full-project', created_at: '2026-01-01T10:00:00Z', updated_at: '2026-01-01T10:01:00Z' };

test('a new run started makes it the last run, running', () => {
  const next = applyProjectEvent(done, { kind: 'execution_started', execution_id: 'e2', project_id: 'p', at: '2026-01-01T11:00:00Z' });
  assert.deepEqual(next, { id: 'e2', status: 'running', created_at: '2026-01-01T11:00:00Z', updated_at: '2026-01-01T11:00:00Z' });
  assert.equal(applyProjectEvent(null, { kind: 'execution_started', execution_id: 'e2', at: '2026-01-01T11:00:00Z' }).status, 'running');
});

test('a replayed start of a run already known or older changes nothing', () => {
  assert.equal(applyProjectEvent(done, { kind: 'execution_started', execution_id: 'e1', at: '2026-01-01T10:00:00Z' }), done);
  assert.equal(applyProjectEvent(done, { kind: 'execution_started', execution_id: 'e0', at: '2026-01-01T09:00:00Z' }), done);
});

test('the last run finishing sets its status; another run finishing does not', () => {
  const running = applyProjectEvent(done, { kind: 'execution_started', execution_id: 'e2', at: '2026-01-01T11:00:00Z' });
  const finished = applyProjectEvent(running, { kind: 'execution_finished', execution_id: 'e2', status: 'failed', at: '2026-01-01T11:02:00Z' });
  assert.equal(finished.status, 'failed');
  assert.equal(finished.updated_at, '2026-01-01T11:02:00Z');
  assert.equal(applyProjectEvent(running, { kind: 'execution_finished', execution_id: 'e1', status: 'failed' }), running);
  assert.equal(applyProjectEvent(done, { kind: 'export_done', export_id: 'x' }), done);
});
