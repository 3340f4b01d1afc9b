import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute, routeHref } from '../../../web/js/routes.js';

test('parses every screen', () => {
  assert.deepEqual(parseRoute(''), { name: 'projects', params: {} });
  assert.deepEqual(parseRoute('#/projects'), { name: 'projects', params: {} });
  assert.deepEqual(parseRoute('#/login'), { name: 'login', params: {} });
  assert.deepEqual(parseRoute('#/settings'), { name: 'settings', params: {} });
  assert.deepEqual(parseRoute('#/usage?month=2026-05'), { name: 'usage', params: { month: '2026-05' } });
  assert.deepEqual(parseRoute('#/new'), { name: 'new', params: {} });
  assert.deepEqual(parseRoute('#/agents'), { name: 'agents', params: {} });
  assert.deepEqual(parseRoute('#/projects/p1/settings'), { name: 'project', params: { id: 'p1', tab: 'settings' } });
  assert.deepEqual(parseRoute('#/projects/p1'), { name: 'project', params: { id: 'p1', tab: 'runs' } });
  assert.deepEqual(parseRoute('#/projects/p1/plan'), { name: 'project', params: { id: 'p1', tab: 'plan' } });
  assert.deepEqual(parseRoute('#/projects/p1/files?gen=g1&path=src%2Fmain.rs'), {
    name: 'project',
    params: { id: 'p1', tab: 'files', gen: 'g1', path: 'src/main.rs' },
  });
  assert.deepEqual(parseRoute('#/projects/p1/runs/e1'), { name: 'run', params: { id: 'p1', run: 'e1' } });
  assert.equal(parseRoute('#/projects/p1/nope').name, 'not-found');
  assert.equal(parseRoute('#/elsewhere').name, 'not-found');
});

test('builds the addresses it parses', () => {
  const cases = [
    ['projects', {}],
    ['settings', {}],
    ['agents', {}],
    ['project', { id: 'p1', tab: 'settings' }],
    ['usage', { month: '2026-05' }],
    ['project', { id: 'p1', tab: 'runs' }],
    ['project', { id: 'p1', tab: 'exports' }],
    ['project', { id: 'p 1', tab: 'files', gen: 'g1', path: 'a/b c.rs' }],
    ['run', { id: 'p1', run: 'e1' }],
  ];
  for (const [name, params] of cases) {
    const href = routeHref(name, params);
    assert.deepEqual(parseRoute(href), { name, params }, href);
  }
  assert.equal(routeHref('project', { id: 'p1' }), '#/projects/p1');
  assert.equal(routeHref('project', { id: 'p1', tab: 'files', gen: '', path: undefined }), '#/projects/p1/files');
});
