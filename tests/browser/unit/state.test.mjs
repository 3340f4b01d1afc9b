import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyExecutionEvent, filterProjects, isFinished, timeline, totals, waitingStep } from '../../../web/js/state.js';
import { buildTree, ancestors } from '../../../web/js/tree.js';

const run = () => ({
  id: 'e1',
  status: 'running',
  created_at: '2026-01-01T00:00:00Z',
  steps: [
    { id: 'plan', status: 'queued', input_tokens: 0, output_tokens: 0, cost_usd: 0 },
    { id: 'code', status: 'pending', input_tokens: 0, output_tokens: 0, cost_usd: 0 },
  ],
});

const at = (s) => `2026-01-01T00:00:${String(s).padStart(2, '0')}Z`;

test('a run moves with its events', () => {
  let e = run();
  e = applyExecutionEvent(e, { kind: 'step_started', step: 'plan', at: at(1) });
  assert.equal(e.steps[0].status, 'running');
  assert.equal(e.steps[0].started_at, at(1));
  e = applyExecutionEvent(e, { kind: 'step_progress', step: 'plan', output_tokens: 40 });
  e = applyExecutionEvent(e, { kind: 'step_progress', step: 'plan', output_tokens: 30 });
  assert.equal(e.steps[0].output_tokens, 40, 'a coalesced count never goes back');
  e = applyExecutionEvent(e, { kind: 'step_completed', step: 'plan', at: at(3), input_tokens: 100, output_tokens: 50, cost_usd: 0.25, attempts: 1 });
  assert.equal(e.steps[0].status, 'succeeded');
  assert.equal(e.steps[0].duration_ms, 2000);
  assert.deepEqual(e.totals, { input_tokens: 100, output_tokens: 50, cost_usd: 0.25 });
  e = applyExecutionEvent(e, { kind: 'step_failed', step: 'code', at: at(4), error: 'boom' });
  assert.equal(e.steps[1].error, 'boom');
  e = applyExecutionEvent(e, { kind: 'execution_finished', status: 'failed', error: 'boom', at: at(5) });
  assert.equal(e.status, 'failed');
  assert.ok(isFinished(e.status));
  const before = e;
  assert.equal(applyExecutionEvent(e, { kind: 'unknown' }), before, 'unknown kinds change nothing');
});

test('approvals: requested, rejected, given', () => {
  let e = run();
  e = applyExecutionEvent(e, { kind: 'approval_requested', step: 'plan', deadline: at(59) });
  assert.equal(e.status, 'awaiting_approval');
  assert.equal(waitingStep(e).id, 'plan');
  e = { ...e, steps: e.steps.map((s) => (s.id === 'plan' ? { ...s, output: { stories: [] } } : s)) };
  e = applyExecutionEvent(e, { kind: 'approval_rejected', step: 'plan', feedback: 'more' });
  assert.equal(e.steps[0].output, undefined, 'the rejected artifact is gone: the step writes a new one');
  assert.equal(e.status, 'running');
  assert.equal(e.steps[0].rejections, 1);
  assert.equal(waitingStep(e), null);
  e = applyExecutionEvent(e, { kind: 'approval_given', step: 'plan', edited: true });
  assert.equal(e.steps[0].status, 'succeeded');
});

test('an event for a step the page did not know adds it', () => {
  const e = applyExecutionEvent(run(), { kind: 'step_started', step: 'extra', at: at(2) });
  assert.deepEqual(e.steps.map((s) => s.id), ['plan', 'code', 'extra']);
});

test('the timeline places each step on the run time axis; a running one grows with the clock', () => {
  const e = {
    created_at: at(0),
    steps: [
      { id: 'a', status: 'succeeded', started_at: at(0), finished_at: at(5) },
      { id: 'b', status: 'running', started_at: at(5) },
      { id: 'c', status: 'pending' },
    ],
  };
  const [a, b, c] = timeline(e, Date.parse(at(10)));
  assert.deepEqual([a.left, a.width, a.ms], [0, 50, 5000]);
  assert.deepEqual([b.left, b.width, b.ms], [50, 50, 5000]);
  assert.deepEqual([c.width, c.ms], [0, 0]);
  const later = timeline(e, Date.parse(at(20)));
  assert.equal(later[1].ms, 15_000);
  assert.equal(later[0].width, 25);
  assert.deepEqual(totals({ steps: [{ input_tokens: 1, output_tokens: 2, cost_usd: 0.5 }, {}] }), { input_tokens: 1, output_tokens: 2, cost_usd: 0.5 });
});

test('projects search by name or brief, filtered by their last run status', () => {
  const rows = [
    { name: 'Lending library', brief: 'books', lastRun: { status: 'succeeded' } },
    { name: 'Shop', brief: 'sells BOOKS too', lastRun: { status: 'failed' } },
    { name: 'Blog', brief: 'posts', lastRun: null },
  ];
  assert.deepEqual(filterProjects(rows, { query: 'books' }).map((r) => r.name), ['Lending library', 'Shop']);
  assert.deepEqual(filterProjects(rows, { query: ' LEND ' }).map((r) => r.name), ['Lending library']);
  assert.deepEqual(filterProjects(rows, { status: 'failed' }).map((r) => r.name), ['Shop']);
  assert.deepEqual(filterProjects(rows, { status: 'none' }).map((r) => r.name), ['Blog']);
  assert.equal(filterProjects(rows).length, 3);
});

test('the file tree: folders first, then files, by name', () => {
  const tree = buildTree(['src/main.rs', 'README.md', 'src/lib/a.rs', 'Cargo.toml', 'src/b.rs']);
  assert.deepEqual(tree.map((n) => n.name), ['src', 'Cargo.toml', 'README.md']);
  assert.deepEqual(tree[0].children.map((n) => n.name), ['lib', 'b.rs', 'main.rs']);
  assert.equal(tree[0].children[0].children[0].path, 'src/lib/a.rs');
  assert.deepEqual(ancestors('src/lib/a.rs'), ['src', 'src/lib']);
  assert.deepEqual(ancestors('README.md'), []);
});
