// Drift: the local stack's bootstrap must create what CDK synthesizes (table keys and attribute types,
// indexes, TTL attribute, billing mode; every queue's visibility timeout, retention, maxReceiveCount and
// dead-letter queue; the HTTP routes and WebSocket routes with their functions; what each function's process
// gets in its environment and what its role may do).
//
// The local side is `forgeflow-local describe` (local/src/describe.rs): it bootstraps a fresh moto and reads
// everything back through the AWS APIs, as JSON. scripts/test-infra.sh writes that JSON to a file and passes
// its path in FORGEFLOW_LOCAL_DESCRIBE; without it this suite is skipped (say so, never pass silently).
// The CDK side is the synthesized template, turned into the same shape here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Template } from 'aws-cdk-lib/assertions';
import type { ForgeflowStack } from '../lib/forgeflow-stack';
import { functionNames } from '../lib/manifest';
import {
  apiId,
  manifests,
  cloneManifests,
  functionNameOf,
  ofType,
  permissionsOf,
  refTarget,
  routeFunctionId,
  routesOf,
  synthApp,
  synthesized,
} from './helpers';
import { manifestResourceKinds, policyKinds } from './policies';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** SQS defaults, which apply when a queue's template (or CreateQueue call) does not set the attribute. */
const SQS_DEFAULT_VISIBILITY_TIMEOUT_S = 30;
const SQS_DEFAULT_RETENTION_S = 4 * 86400;

export interface KeyElement {
  attribute: string;
  key_type: string;
}

export interface QueueDescription {
  visibility_timeout_s: number;
  message_retention_s: number;
  max_receive_count: number | null;
  dead_letter_queue: string | null;
}

/** The neutral shape both sides are described in (see local/src/describe.rs). */
export interface StackDescription {
  table: {
    key_schema: KeyElement[];
    attributes: Record<string, string>;
    billing_mode: string | null;
    global_secondary_indexes: Record<string, { key_schema: KeyElement[]; projection: string | null }>;
    ttl: { attribute: string | null; status: string | null };
  };
  queues: Record<string, QueueDescription>;
  /** What a function process gets (`forgeflow_local::Stack::function_env`), each value by what it points at. */
  function_environment?: Record<string, string>;
  /**
   * What each function's principal may do locally, by function name: `<action> <resource>[ if <condition>]`
   * per action and resource, sorted (test/policies.ts reads the template's side).
   */
  function_policies?: Record<string, string[]>;
  http_routes: Record<string, string>;
  websocket_routes: Record<string, string>;
}

const keySchema = (elements: Json[]): KeyElement[] =>
  elements.map((e) => ({ attribute: e.AttributeName, key_type: e.KeyType }));

/** What CDK synthesized, in the neutral shape. Queue names are their construct ids (`steps`, `steps-dlq`). */
export function describeTemplate(t: Template, stack: ForgeflowStack): StackDescription {
  const tables = ofType(t, 'AWS::DynamoDB::GlobalTable');
  assert.equal(tables.length, 1, 'one table');
  const [, table] = tables[0];
  const ttl = table.TimeToLiveSpecification;

  // Queue logical id → name, from the constructs that made them; then every property from the template.
  const names = new Map<string, string>();
  for (const { queue, dlq } of stack.queues.all) {
    for (const q of [queue, dlq]) names.set(stack.getLogicalId(q.node.defaultChild as sqs.CfnQueue), q.node.id);
  }
  const queues: Record<string, QueueDescription> = {};
  for (const [id, q] of ofType(t, 'AWS::SQS::Queue')) {
    const name = names.get(id);
    assert.ok(name, `queue ${id} is not one of the manifest's queues or DLQs`);
    const redrive = q.RedrivePolicy;
    queues[name] = {
      visibility_timeout_s: q.VisibilityTimeout ?? SQS_DEFAULT_VISIBILITY_TIMEOUT_S,
      message_retention_s: q.MessageRetentionPeriod ?? SQS_DEFAULT_RETENTION_S,
      max_receive_count: redrive?.maxReceiveCount ?? null,
      dead_letter_queue: redrive ? (names.get(refTarget(redrive.deadLetterTargetArn)) ?? 'not a manifest queue') : null,
    };
  }

  const routeTable = (protocol: 'HTTP' | 'WEBSOCKET'): Record<string, string> =>
    Object.fromEntries(
      routesOf(t, apiId(t, protocol)).map(([, r]) => [r.RouteKey, functionNameOf(t, routeFunctionId(t, r))]),
    );

  return {
    table: {
      key_schema: keySchema(table.KeySchema),
      attributes: Object.fromEntries(table.AttributeDefinitions.map((a: Json) => [a.AttributeName, a.AttributeType])),
      billing_mode: table.BillingMode ?? null,
      global_secondary_indexes: Object.fromEntries(
        (table.GlobalSecondaryIndexes ?? []).map((g: Json) => [
          g.IndexName,
          { key_schema: keySchema(g.KeySchema), projection: g.Projection?.ProjectionType ?? null },
        ]),
      ),
      ttl: ttl
        ? { attribute: ttl.AttributeName, status: ttl.Enabled ? 'ENABLED' : 'DISABLED' }
        : { attribute: null, status: null },
    },
    queues,
    http_routes: routeTable('HTTP'),
    websocket_routes: routeTable('WEBSOCKET'),
  };
}

const describeFile = process.env.FORGEFLOW_LOCAL_DESCRIBE;
const skip = describeFile
  ? false
  : 'FORGEFLOW_LOCAL_DESCRIBE is not set: run `bash scripts/test-infra.sh`, which writes ' +
    '`cargo run -p forgeflow-local -- describe` to a file and sets it';

describe('drift: local bootstrap (moto) vs CDK template', { skip }, () => {
  const local: StackDescription = describeFile ? JSON.parse(readFileSync(describeFile, 'utf8')) : ({} as StackDescription);
  const { template: t, stack } = synthesized();
  const cdk = describeTemplate(t, stack);

  it('reads a complete local description', () => {
    for (const key of ['table', 'queues', 'http_routes', 'websocket_routes'] as const) {
      assert.ok(local[key], `${describeFile} has "${key}"`);
    }
  });

  it('table: same key schema and attribute types', () => {
    assert.deepEqual(local.table.key_schema, cdk.table.key_schema);
    assert.deepEqual(local.table.attributes, cdk.table.attributes);
  });

  it('table: same global secondary indexes (keys and projection)', () => {
    assert.deepEqual(local.table.global_secondary_indexes, cdk.table.global_secondary_indexes);
    assert.ok(Object.keys(cdk.table.global_secondary_indexes).length > 0);
  });

  it('table: same TTL attribute, enabled, and on-demand billing', () => {
    assert.deepEqual(local.table.ttl, cdk.table.ttl);
    assert.equal(cdk.table.ttl.status, 'ENABLED');
    assert.equal(local.table.billing_mode, cdk.table.billing_mode);
    assert.equal(cdk.table.billing_mode, 'PAY_PER_REQUEST');
  });

  it('queues: the same queues and DLQs, with the same visibility timeout, retention, maxReceiveCount and DLQ', () => {
    assert.deepEqual(Object.keys(local.queues).sort(), Object.keys(cdk.queues).sort(), 'same queue names');
    for (const [name, queue] of Object.entries(cdk.queues)) assert.deepEqual(local.queues[name], queue, name);
    // Every main queue has its own DLQ, which has none itself.
    const dlqs = Object.values(cdk.queues).map((q) => q.dead_letter_queue).filter((d): d is string => d !== null);
    assert.equal(new Set(dlqs).size, dlqs.length, 'no shared DLQ');
    for (const dlq of dlqs) assert.equal(cdk.queues[dlq]?.dead_letter_queue, null, dlq);
  });

  it('HTTP API: the same routes (method and path), served by the same functions', () => {
    assert.deepEqual(Object.keys(local.http_routes).sort(), Object.keys(cdk.http_routes).sort());
    assert.deepEqual(local.http_routes, cdk.http_routes);
  });

  it('WebSocket API: the same routes, served by the same functions', () => {
    assert.deepEqual(Object.keys(local.websocket_routes).sort(), Object.keys(cdk.websocket_routes).sort());
    assert.deepEqual(local.websocket_routes, cdk.websocket_routes);
  });
});

/** A function's `Environment.Variables`, each value named as the local description names it. */
export function environmentKinds(t: Template, stack: ForgeflowStack, variables: Record<string, Json>): Record<string, string> {
  const kindOf = manifestResourceKinds(t, stack);
  const resources = t.toJSON().Resources as Record<string, { Type: string }>;
  const kind = (value: Json): string => {
    if (typeof value === 'string') return `literal:${value}`;
    const target = value?.Ref ?? value?.['Fn::GetAtt']?.[0];
    if (typeof target === 'string') return kindOf(target) ?? `unknown ${JSON.stringify(value)}`;
    // The management endpoint: https://{api-id}.execute-api.{region}.{suffix}/live
    const refs = JSON.stringify(value).match(/"Ref":"([^"]+)"/g) ?? [];
    const api = refs.map((r) => r.slice(7, -1)).find((id) => resources[id]?.Type === 'AWS::ApiGatewayV2::Api');
    return api ? 'websocket-endpoint' : `unknown ${JSON.stringify(value)}`;
  };
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, kind(value)]));
}

describe('drift: every function process gets its template environment', { skip }, () => {
  const local: StackDescription = describeFile ? JSON.parse(readFileSync(describeFile, 'utf8')) : ({} as StackDescription);
  const { template: t, stack } = synthesized();
  const functions = ofType(t, 'AWS::Lambda::Function').filter(([, fn]) =>
    (fn.Tags ?? []).some((tag: Json) => tag.Key === 'forgeflow:function'),
  );

  it('covers every function of the manifests', () => {
    assert.equal(functions.length, functionNames(manifests).length);
    assert.ok(local.function_environment, `${describeFile} has "function_environment"`);
  });

  for (const [, fn] of functions) {
    const name = (fn.Tags as Json[]).find((tag) => tag.Key === 'forgeflow:function').Value;
    it(`${name}: the same variables, pointing at the same resources`, () => {
      assert.deepEqual(environmentKinds(t, stack, fn.Environment?.Variables ?? {}), local.function_environment);
    });
  }
});

// The local stack has no IAM: its principals are what it allows each function process. A grant CDK adds (a
// manifest permission, an event source's consume, the API guard) that the local side lacks would let a local
// run pass with a call that AWS denies, and one only the local side has would hide a missing grant.
describe("drift: every function's role has the statements the local stack gives its principal", { skip }, () => {
  const local: StackDescription = describeFile ? JSON.parse(readFileSync(describeFile, 'utf8')) : ({} as StackDescription);
  const { template: t, stack } = synthesized();
  const cdk = policyKinds(t, stack);

  it('the same functions on both sides', () => {
    assert.ok(local.function_policies, `${describeFile} has "function_policies"`);
    assert.deepEqual(Object.keys(local.function_policies).sort(), Object.keys(cdk).sort());
  });

  for (const fn of Object.keys(cdk).sort()) {
    it(`${fn}: the same actions on the same resources, under the same conditions`, () => {
      assert.deepEqual(local.function_policies?.[fn], cdk[fn], fn);
    });
  }
});

describe('drift: the comparison itself', () => {
  it('names the resource of every statement of every function role (nothing `unknown`)', () => {
    const { template: t, stack } = synthesized();
    const policies = policyKinds(t, stack);
    assert.deepEqual(Object.keys(policies).sort(), [...functionNames(manifests)].sort());
    for (const [fn, entries] of Object.entries(policies)) {
      assert.deepEqual(entries.filter((e) => e.includes('unknown')), [], fn);
    }
  });

  it('names bucket:delete as `s3:DeleteObject* bucket/*` (the line local/src/iam.rs gives a deleter), and no other function deletes', () => {
    const { template: t, stack } = synthesized();
    const policies = policyKinds(t, stack);
    const deleters = functionNames(manifests).filter((f) => permissionsOf(f).includes('bucket:delete'));
    assert.ok(deleters.length > 0, 'the manifests have a bucket deleter');
    for (const [fn, entries] of Object.entries(policies)) {
      const deletes = entries.filter((e) => e.startsWith('s3:Delete'));
      assert.deepEqual(deletes, deleters.includes(fn) ? ['s3:DeleteObject* bucket/*'] : [], fn);
    }
  });

  it('sees a change of visibility timeout, retention, TTL attribute, route or permission (synthetic manifests)', () => {
    const base = synthesized();
    const before = describeTemplate(base.template, base.stack);
    const m = cloneManifests();
    m.resources.queues[0].visibility_timeout_s += 60;
    m.resources.queues[0].dlq_retention_days -= 1;
    m.resources.table.ttl_attribute = 'gone_at';
    m.routes = m.routes.slice(1);
    m.websocket.routes = m.websocket.routes.slice(1);
    const worker = m.workers[0];
    worker.permissions = [...worker.permissions.filter((p: string) => p !== 'connections:manage'), 'key:credentials:decrypt'];
    const changed = synthApp(m);
    const after = describeTemplate(changed.template, changed.stack);
    const id = m.resources.queues[0].id;
    assert.notDeepEqual(after.queues[id], before.queues[id]);
    assert.notDeepEqual(after.queues[`${id}-dlq`], before.queues[`${id}-dlq`]);
    assert.notDeepEqual(after.table.ttl, before.table.ttl);
    assert.notDeepEqual(after.http_routes, before.http_routes);
    assert.notDeepEqual(after.websocket_routes, before.websocket_routes);
    const [policiesBefore, policiesAfter] = [policyKinds(base.template, base.stack), policyKinds(changed.template, changed.stack)];
    assert.ok(!policiesAfter[worker.function].includes('execute-api:ManageConnections connections'));
    assert.ok(policiesAfter[worker.function].includes('kms:Decrypt key:credentials'));
    assert.notDeepEqual(policiesAfter[worker.function], policiesBefore[worker.function]);
  });
});
