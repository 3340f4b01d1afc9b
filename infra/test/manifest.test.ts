// The manifest loader: the real manifests load, and malformed ones are refused with a clear message.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadManifests, parseResources, parseRoutes, parseWebSocket, parseWorkers } from '../lib/manifest';
import { cloneManifests, manifests, scratchDir } from './helpers';

describe('manifest', () => {
  it('loads the repository manifests', () => {
    assert.ok(manifests.routes.length > 0);
    assert.ok(manifests.resources.queues.length > 0);
    assert.ok(manifests.resources.secrets.some((s) => s.id === 'jwt'));
    assert.ok(manifests.resources.keys.some((k) => k.id === 'credentials'));
    assert.ok(manifests.workers.length > 0);
    assert.deepEqual(manifests.websocket.routes.map((r) => r.route), ['$connect', '$disconnect', '$default']);
  });

  it('reads manifests from another directory', () => {
    const dir = scratchDir('forgeflow-manifest');
    const m = cloneManifests();
    m.routes = m.routes.slice(0, 1);
    writeFileSync(path.join(dir, 'routes.json'), JSON.stringify({ routes: m.routes, websocket: [] }));
    writeFileSync(path.join(dir, 'resources.json'), JSON.stringify(m.resources));
    writeFileSync(path.join(dir, 'workers.json'), JSON.stringify({ workers: [] }));
    assert.throws(() => loadManifests(dir), /manifest not found: .*websocket\.json/);
    writeFileSync(path.join(dir, 'websocket.json'), JSON.stringify(m.websocket));
    const loaded = loadManifests(dir);
    assert.equal(loaded.routes.length, 1);
    assert.deepEqual(loaded.workers, []);
    assert.deepEqual(loaded.websocket, m.websocket);
  });

  it('checks workers against resources when loading', () => {
    const dir = scratchDir('forgeflow-manifest');
    const m = cloneManifests();
    writeFileSync(path.join(dir, 'routes.json'), JSON.stringify({ routes: m.routes }));
    writeFileSync(path.join(dir, 'resources.json'), JSON.stringify(m.resources));
    writeFileSync(path.join(dir, 'workers.json'), JSON.stringify({ workers: [{ ...m.workers[0], queue: 'nope' }] }));
    writeFileSync(path.join(dir, 'websocket.json'), JSON.stringify(m.websocket));
    assert.throws(() => loadManifests(dir), /does not define/);
  });

  it('reads a queue worker and a scheduled worker', () => {
    const workers = parseWorkers({
      workers: [
        { function: 'step-worker', queue: 'steps', memory_mb: 512, max_concurrency: 20, permissions: ['table:read'] },
        { function: 'export-scheduler', schedule: 'cron(0/5 * * * ? *)', memory_mb: 128, timeout_s: 60, permissions: [] },
      ],
    });
    assert.equal(workers[0].queue, 'steps');
    assert.equal(workers[0].max_concurrency, 20);
    assert.equal(workers[0].timeout_s, undefined);
    assert.equal(workers[1].schedule, 'cron(0/5 * * * ? *)');
    assert.equal(workers[1].timeout_s, 60);
  });

  it('refuses malformed workers', () => {
    const q = { function: 'step-worker', queue: 'steps', memory_mb: 512, max_concurrency: 20, permissions: [] };
    const s = { function: 'export-scheduler', schedule: 'rate(1 minute)', memory_mb: 128, timeout_s: 60, permissions: [] };
    const refuse = (w: object, pattern: RegExp) => assert.throws(() => parseWorkers({ workers: [w] }), pattern);
    refuse({ ...q, schedule: 'rate(1 minute)' }, /exactly one of "queue".*or "schedule"/);
    refuse({ ...q, queue: undefined }, /exactly one of/);
    refuse({ ...q, max_concurrency: 1 }, /max_concurrency/);
    refuse({ ...q, max_concurrency: undefined }, /max_concurrency/);
    refuse({ ...q, timeout_s: 30 }, /consumer_timeout_s; remove "timeout_s"/);
    refuse({ ...s, schedule: 'every minute' }, /rate\(\.\.\.\) or cron/);
    refuse({ ...s, timeout_s: undefined }, /timeout_s/);
    refuse({ ...s, max_concurrency: 5 }, /queue workers only/);
    refuse({ ...q, function: 'Step_Worker' }, /function name/);
    assert.throws(() => parseWorkers({ workers: [q, { ...q, queue: 'exports' }] }), /duplicate worker function/);
  });

  it('reads the WebSocket manifest, and refuses what API Gateway would', () => {
    const ok = cloneManifests().websocket;
    assert.deepEqual(parseWebSocket(ok), ok);
    const refuse = (change: (ws: any) => void, pattern: RegExp) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const ws = cloneManifests().websocket;
      change(ws);
      assert.throws(() => parseWebSocket(ws), pattern);
    };
    refuse((ws) => (ws.routes[0].route = '$other'), /route must be one of/);
    refuse((ws) => (ws.routes[0].route = 'has space'), /route must be one of/);
    refuse((ws) => ws.routes.push({ ...ws.routes[0], function: 'ws-other' }), /duplicate route \$connect/);
    refuse((ws) => (ws.routes[1].function = ws.routes[0].function), /serves two routes/);
    refuse((ws) => (ws.routes[0].timeout_s = 30), /timeout_s/);
    refuse((ws) => (ws.routes[0].function = 'WS_Connect'), /function name/);
    refuse((ws) => (ws.routes = []), /at least one route/);
    refuse((ws) => (ws.stage = '$default'), /stage must match/);
    refuse((ws) => (ws.stage = 'a/b'), /stage must match/);
    refuse((ws) => (ws.path = 'ws'), /path must start with/);
    refuse((ws) => (ws.connection_ttl_s = 7201), /connection_ttl_s/);
    refuse((ws) => (ws.max_frame_bytes = 32 * 1024 + 1), /max_frame_bytes/);
    refuse((ws) => delete ws.event_ttl_s, /event_ttl_s/);
  });

  it('refuses a duplicate route', () => {
    const routes = [manifests.routes[0], { ...manifests.routes[0], function: 'other' }];
    assert.throws(() => parseRoutes({ routes }), /duplicate route/);
  });

  it('refuses an unknown method, a bad function name and an API timeout over 30 s', () => {
    const base = manifests.routes[0];
    assert.throws(() => parseRoutes({ routes: [{ ...base, method: 'FETCH' }] }), /unknown method/);
    assert.throws(() => parseRoutes({ routes: [{ ...base, function: 'Bad_Name' }] }), /function name/);
    assert.throws(() => parseRoutes({ routes: [{ ...base, timeout_s: 31 }] }), /timeout_s/);
  });

  it('refuses a missing key and a duplicate environment variable in resources', () => {
    const m = cloneManifests();
    delete m.resources.table.partition_key;
    assert.throws(() => parseResources(m.resources), /partition_key/);
    const n = cloneManifests();
    n.resources.bucket.env = n.resources.table.env;
    assert.throws(() => parseResources(n.resources), /unique/);
  });

  it('reads KMS keys, and refuses a bad key id or a key variable another resource uses', () => {
    const m = cloneManifests();
    const parsed = parseResources(m.resources);
    assert.deepEqual(parsed.keys, m.resources.keys);
    const { keys: _keys, ...withoutKeys } = m.resources;
    assert.deepEqual(parseResources(withoutKeys).keys, []);
    const badId = cloneManifests();
    badId.resources.keys[0].id = 'Credentials Key';
    assert.throws(() => parseResources(badId.resources), /key id must match/);
    const sharedEnv = cloneManifests();
    sharedEnv.resources.keys[0].env = sharedEnv.resources.secrets[0].env;
    assert.throws(() => parseResources(sharedEnv.resources), /unique/);
    const duplicate = cloneManifests();
    duplicate.resources.keys.push({ ...duplicate.resources.keys[0], env: 'FORGEFLOW_OTHER_KEY_ID' });
    assert.throws(() => parseResources(duplicate.resources), /duplicate id/);
  });

  it('refuses a dead-letter retention SQS cannot keep', () => {
    const m = cloneManifests();
    m.resources.queues[0].dlq_retention_days = 15;
    assert.throws(() => parseResources(m.resources), /dlq_retention_days/);
  });
});
