// The manifest loader: the real manifests load, and malformed ones are refused with a clear message.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadManifests, parseResources, parseRoutes } from '../lib/manifest';
import { cloneManifests, manifests } from './helpers';

describe('manifest', () => {
  it('loads the repository manifests', () => {
    assert.ok(manifests.routes.length > 0);
    assert.ok(manifests.resources.queues.length > 0);
    assert.ok(manifests.resources.secrets.some((s) => s.id === 'jwt'));
  });

  it('reads manifests from another directory', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'forgeflow-manifest-'));
    const m = cloneManifests();
    m.routes = m.routes.slice(0, 1);
    writeFileSync(path.join(dir, 'routes.json'), JSON.stringify({ routes: m.routes, websocket: [] }));
    writeFileSync(path.join(dir, 'resources.json'), JSON.stringify(m.resources));
    assert.equal(loadManifests(dir).routes.length, 1);
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

  it('refuses a dead-letter retention SQS cannot keep', () => {
    const m = cloneManifests();
    m.resources.queues[0].dlq_retention_days = 15;
    assert.throws(() => parseResources(m.resources), /dlq_retention_days/);
  });
});
