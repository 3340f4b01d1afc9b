// Least privilege: each function (route or worker) gets what its `permissions` list names, and nothing is
// granted with wildcard actions beyond the few object-level patterns of CDK's bucket grants (s3:DeleteObject*
// only for a worker that lists `bucket:delete`, only on the artifacts bucket's objects) and the two of its
// KMS encrypt grant. (Deny statements, such as the aws:SecureTransport guards, are not grants.) The
// KMS key permissions have their own suite, keys.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  actionsOf,
  actionsOn,
  allFunctions,
  bucketId,
  cloneManifests,
  deployerRoleIds,
  identityPolicies,
  functionId,
  manifests,
  ofType,
  permissionsOf,
  queueIdFromEnv,
  refTarget,
  resources,
  routeFunctions,
  statementsOf,
  synth,
  template,
  webBucketId,
  type Json,
  type Statement,
} from '../helpers';

const TABLE_WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const TABLE_READS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchGetItem'];
const BUCKET_WRITES = ['s3:PutObject', 's3:DeleteObject', 's3:Abort*'];
const BUCKET_READS = ['s3:GetObject*', 's3:List*'];
/** What bucket.grantDelete (`bucket:delete`) grants, on the bucket's objects only. */
const BUCKET_DELETE = 's3:DeleteObject*';
/**
 * The only partial wildcards a grant may use: the object-level patterns of CDK's bucket.grantRead and
 * grantPut, and the two of key.grantEncrypt (kms:ReEncrypt* and kms:GenerateDataKey* produce ciphertexts
 * or fresh data keys; neither reveals what the key encrypted). s3:DeleteObject* (bucket.grantDelete) is
 * allowed only in the policy of a function that lists `bucket:delete`. Anything else ending in `*` (s3:*,
 * sqs:*, dynamodb:*, kms:*) fails.
 */
const ALLOWED_PARTIAL_WILDCARDS = new Set([
  's3:GetObject*',
  's3:GetBucket*',
  's3:List*',
  's3:Abort*',
  'kms:ReEncrypt*',
  'kms:GenerateDataKey*',
]);

/** Whether `s` is the API guard's grant: writes limited to the rate-counter and audit partitions. */
function isGuardGrant(s: Statement & { Condition?: Json }): boolean {
  const keys = s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
  return Array.isArray(keys) && [...keys].sort().join() === 'AUDIT#*,RATE#*';
}

/** A function's statements without the guard's grant, which every HTTP function has (checked below). */
function grantsOf(t: ReturnType<typeof template>, name: string): Statement[] {
  return statementsOf(t, name).filter((s) => !isGuardGrant(s));
}

function allowStatements(doc: { Statement: Statement[] } | undefined): Statement[] {
  return (doc?.Statement ?? []).filter((s) => s.Effect === 'Allow');
}

const queueIds = (t: ReturnType<typeof template>) =>
  new Map(manifests.resources.queues.map((q) => [q.id, queueIdFromEnv(t, q.env)]));

/** The functions of the manifests that list `bucket:delete` (workers only: the synth refuses it elsewhere). */
const deleters = () => allFunctions().filter((f) => permissionsOf(f).includes('bucket:delete'));

/** Logical ids of what holds the permissions of function `name`: its role (inline) and any policy attached. */
function policyIdsOf(t: ReturnType<typeof template>, name: string): string[] {
  const roleId = refTarget(resources(t)[functionId(t, name)].Properties.Role);
  const attached = ofType(t, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Roles ?? []).some((r: Json) => r.Ref === roleId))
    .map(([id]) => id);
  return [roleId, ...attached];
}

describe('iam', () => {
  const t = template();

  it('gives read-only functions no table write actions', () => {
    const readOnly = allFunctions().filter(
      (f) => permissionsOf(f).includes('table:read') && !permissionsOf(f).includes('table:write'),
    );
    assert.ok(readOnly.length > 0, 'the manifest has read-only functions');
    for (const name of readOnly) {
      const actions = actionsOf(grantsOf(t, name));
      assert.ok(actions.includes('dynamodb:GetItem'), `${name} can read`);
      for (const write of TABLE_WRITES) assert.ok(!actions.includes(write), `${name} must not have ${write}`);
    }
  });

  it('lets every HTTP function write rate counters and audit entries, and nothing else of the table through that grant', () => {
    const routes = new Set(routeFunctions());
    for (const name of allFunctions()) {
      const guard = statementsOf(t, name).filter((s) => isGuardGrant(s as Statement & { Condition?: Json }));
      if (!routes.has(name)) {
        assert.equal(guard.length, 0, `${name} runs no API guard`);
        continue;
      }
      assert.equal(guard.length, 1, `${name} has the guard grant`);
      assert.deepEqual([...actionsOf(guard)].sort(), ['dynamodb:PutItem', 'dynamodb:UpdateItem'], name);
    }
  });

  it('gives writers table writes, and reads only when they ask for them', () => {
    for (const name of allFunctions().filter((f) => permissionsOf(f).includes('table:write'))) {
      const actions = actionsOf(statementsOf(t, name));
      assert.ok(actions.includes('dynamodb:PutItem'), `${name} can write`);
      if (!permissionsOf(name).includes('table:read')) {
        for (const read of TABLE_READS) assert.ok(!actions.includes(read), `${name} must not have ${read}`);
      }
    }
  });

  it('lets a function read a secret exactly when it lists secret:<id> (the JWT key, the providers\' keys)', () => {
    const secrets = ofType(t, 'AWS::SecretsManager::Secret');
    for (const spec of manifests.resources.secrets) {
      const [secretId] = secrets.find(([, p]) => String(p.Description).includes(spec.description)) ?? [];
      assert.ok(secretId, `the ${spec.id} secret is in the template`);
      let readers = 0;
      for (const name of allFunctions()) {
        const canRead = actionsOn(statementsOf(t, name), secretId).includes('secretsmanager:GetSecretValue');
        assert.equal(canRead, permissionsOf(name).includes(`secret:${spec.id}`), `${name} → ${spec.id}`);
        if (canRead) readers++;
      }
      assert.ok(readers > 0, `someone reads the ${spec.id} secret`);
    }
  });

  it('lets a function send to a queue exactly when it lists queue:<id>:send', () => {
    const queues = queueIds(t);
    let senders = 0;
    for (const name of allFunctions()) {
      const statements = statementsOf(t, name);
      for (const [id, queueId] of queues) {
        const canSend = actionsOn(statements, queueId).includes('sqs:SendMessage');
        assert.equal(canSend, permissionsOf(name).includes(`queue:${id}:send`), `${name} → ${id}`);
        if (canSend) senders++;
      }
    }
    assert.ok(senders > 0, 'the manifests have senders');
  });

  it('lets step-worker send to the generations queue', () => {
    const generations = queueIds(t).get('generations')!;
    assert.ok(actionsOn(statementsOf(t, 'step-worker'), generations).includes('sqs:SendMessage'));
  });

  it('lets executions-create send to the steps queue but not to the generations queue', () => {
    const queues = queueIds(t);
    const statements = statementsOf(t, 'executions-create');
    assert.ok(actionsOn(statements, queues.get('steps')!).includes('sqs:SendMessage'));
    assert.ok(!actionsOn(statements, queues.get('generations')!).includes('sqs:SendMessage'));
    assert.deepEqual(actionsOn(statements, queues.get('generations')!), [], 'no action at all on generations');
  });

  it('gives projects-get no queue sends and no bucket writes', () => {
    const statements = statementsOf(t, 'projects-get');
    const actions = actionsOf(statements);
    assert.ok(!actions.includes('sqs:SendMessage'), 'projects-get must not send to any queue');
    for (const write of BUCKET_WRITES) assert.ok(!actions.includes(write), `projects-get must not have ${write}`);
    assert.deepEqual(actionsOn(statements, bucketId(t)), [], 'no action at all on the bucket');
  });

  it('grants bucket reads, writes and deletes exactly as listed (bucket:write never deletes)', () => {
    const bucket = bucketId(t);
    for (const name of allFunctions()) {
      const onBucket = actionsOn(statementsOf(t, name), bucket);
      for (const read of BUCKET_READS) {
        assert.equal(onBucket.includes(read), permissionsOf(name).includes('bucket:read'), `${name}: ${read}`);
      }
      assert.equal(onBucket.includes('s3:PutObject'), permissionsOf(name).includes('bucket:write'), `${name}: put`);
      const deletes = onBucket.filter((a) => a.startsWith('s3:Delete'));
      const expected = permissionsOf(name).includes('bucket:delete') ? [BUCKET_DELETE] : [];
      assert.deepEqual([...new Set(deletes)], expected, `${name}: object deletion exactly when it lists bucket:delete`);
    }
    assert.ok(allFunctions().some((f) => permissionsOf(f).includes('bucket:write')), 'the manifests have a bucket writer');
    assert.ok(deleters().length > 0, 'the manifests have a bucket deleter');
  });

  it('grants bucket:delete as s3:DeleteObject* on the artifacts bucket’s objects only, never on the bucket itself', () => {
    const bucket = bucketId(t);
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/*']] };
    for (const name of deleters()) {
      const statements = statementsOf(t, name).filter((s) => actionsOf([s]).includes(BUCKET_DELETE));
      assert.ok(statements.length > 0, `${name} has the delete grant`);
      for (const s of statements) {
        assert.equal(s.Effect, 'Allow', name);
        assert.deepEqual(Array.isArray(s.Resource) ? s.Resource : [s.Resource], [objects], `${name}: objects only`);
        assert.equal((s as Statement & { Condition?: Json }).Condition, undefined, name);
      }
    }
  });

  it('lets a worker that lists bucket:delete with nothing else on the bucket delete objects and do nothing more there', () => {
    // A synthetic scheduled worker: its only bucket grant is the delete, so its statement stands alone.
    const m = cloneManifests();
    m.workers = [
      ...m.workers,
      { function: 'bucket-sweeper', schedule: 'rate(1 day)', memory_mb: 128, timeout_s: 60, permissions: ['bucket:delete'] },
    ];
    const t2 = synth(m);
    const bucket = bucketId(t2);
    assert.deepEqual(actionsOn(statementsOf(t2, 'bucket-sweeper'), bucket), [BUCKET_DELETE]);
    assert.deepEqual(statementsOf(t2, 'bucket-sweeper'), [
      {
        Effect: 'Allow',
        Action: BUCKET_DELETE,
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/*']] },
      },
    ]);
  });

  it('grants only sqs:GetQueueAttributes on a queue a worker lists as read-attributes', () => {
    // A synthetic scheduled worker (no queue of its own) that only reads the generations queue's attributes.
    const m = cloneManifests();
    m.workers = [
      ...m.workers,
      {
        function: 'queue-watcher', schedule: 'rate(5 minutes)', memory_mb: 128, timeout_s: 30,
        permissions: ['queue:generations:read-attributes'],
      },
    ];
    const t2 = synth(m);
    const generations = queueIdFromEnv(t2, 'FORGEFLOW_GENERATIONS_QUEUE_URL');
    const onGenerations = actionsOn(statementsOf(t2, 'queue-watcher'), generations);
    assert.ok(onGenerations.includes('sqs:GetQueueAttributes'));
    for (const action of onGenerations) assert.equal(action, 'sqs:GetQueueAttributes');
    assert.deepEqual(
      statementsOf(t2, 'queue-watcher').filter((st) => st.Action === 'sqs:GetQueueAttributes'),
      [{ Effect: 'Allow', Action: 'sqs:GetQueueAttributes', Resource: { 'Fn::GetAtt': [generations, 'Arn'] } }],
    );
  });

  it('refuses an unknown permission, an unknown queue or secret, and read-attributes or bucket:delete outside a worker', () => {
    const withRoutePermission = (permission: string) => {
      const m = cloneManifests();
      m.routes[0].permissions = [...m.routes[0].permissions, permission];
      return m;
    };
    const route = manifests.routes[0].function;
    assert.throws(
      () => synth(withRoutePermission('bucket:delete')),
      new RegExp(`${route}: permission "bucket:delete" is for workers only, not a route function`),
    );
    const wsDelete = cloneManifests();
    wsDelete.websocket.routes[0].permissions = [...wsDelete.websocket.routes[0].permissions, 'bucket:delete'];
    assert.throws(
      () => synth(wsDelete),
      new RegExp(`${manifests.websocket.routes[0].function}: permission "bucket:delete" is for workers only, not a websocket function`),
    );
    assert.throws(() => synth(withRoutePermission('table:admin')), /unknown permission "table:admin"/);
    assert.throws(() => synth(withRoutePermission('queue:steps:purge')), /unknown permission "queue:steps:purge"/);
    assert.throws(() => synth(withRoutePermission('queue:nope:send')), /"queue:nope:send" names no queue/);
    assert.throws(() => synth(withRoutePermission('secret:nope')), /"secret:nope" names no secret/);
    assert.throws(
      () => synth(withRoutePermission('queue:steps:read-attributes')),
      /unknown permission "queue:steps:read-attributes"/,
    );
    const w = cloneManifests();
    w.workers[0].permissions = [...w.workers[0].permissions, 's3:everything'];
    assert.throws(() => synth(w), /step-worker: unknown permission "s3:everything"/);
    assert.throws(() => synth(withRoutePermission('connections:delete')), /unknown permission "connections:delete"/);
    const ws = cloneManifests();
    ws.websocket.routes[0].permissions = [...ws.websocket.routes[0].permissions, 'queue:steps:read-attributes'];
    assert.throws(() => synth(ws), /unknown permission "queue:steps:read-attributes" \(known for a websocket:/);
  });

  it('grants nothing beyond the table, the bucket, the queues, the secrets, the KMS keys and the WebSocket connections', () => {
    for (const name of allFunctions()) {
      for (const action of actionsOf(statementsOf(t, name))) {
        assert.match(action, /^(dynamodb|s3|secretsmanager|sqs|kms):[A-Za-z]+\*?$|^execute-api:ManageConnections$/, `${name}: ${action}`);
      }
    }
  });

  it('gives no manifest function any action on the web page’s bucket', () => {
    const web = webBucketId(t);
    for (const name of allFunctions()) assert.deepEqual(actionsOn(statementsOf(t, name), web), [], name);
  });

  it('has no Allow statement with a wildcard action, except the bucket and key grants’ patterns', () => {
    // CDK's web deployment handler syncs web/ into the web bucket with `prune`, so it deletes stale files
    // (s3:DeleteObject*): that is checked in web.ts (only on the web bucket), and skipped here.
    const deployers = deployerRoleIds(t);
    assert.equal(deployers.size, 1);
    // s3:DeleteObject* is allowed in the policies of the functions that list bucket:delete (their grant is
    // checked above: the artifacts bucket's objects only), nowhere else.
    const deleterPolicies = new Set(deleters().flatMap((name) => policyIdsOf(t, name)));
    assert.ok(deleterPolicies.size > 0, 'the manifests have a bucket deleter');
    const deployerPolicies = new Set(
      ofType(t, 'AWS::IAM::Policy')
        .filter(([, p]) => (p.Roles ?? []).some((r: { Ref?: string }) => r.Ref !== undefined && deployers.has(r.Ref)))
        .map(([id]) => id),
    );
    const docs = [
      ...identityPolicies(t).filter(([id]) => !deployerPolicies.has(id) && !deployers.has(id)),
      ...['AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy'].flatMap((type) =>
        ofType(t, type).map(([id, p]) => [id, p.PolicyDocument] as const),
      ),
    ];
    const checked = docs.flatMap(([, doc]) => actionsOf(allowStatements(doc as { Statement: Statement[] })));
    // The check covers every kind of data grant the manifests use, so it cannot pass vacuously.
    for (const service of ['dynamodb', 's3', 'sqs', 'secretsmanager', 'kms', 'execute-api']) {
      assert.ok(checked.some((a) => a.startsWith(`${service}:`)), `some ${service} grant is checked`);
    }
    for (const [id, doc] of docs) {
      for (const action of actionsOf(allowStatements(doc as { Statement: Statement[] }))) {
        assert.notEqual(action, '*', id);
        assert.doesNotMatch(action, /^[a-z0-9-]+:\*$/, `${id}: ${action}`);
        if (action === BUCKET_DELETE) assert.ok(deleterPolicies.has(id), `${id}: ${action} without bucket:delete`);
        else if (action.includes('*')) assert.ok(ALLOWED_PARTIAL_WILDCARDS.has(action), `${id}: ${action}`);
      }
    }
  });

  it('scopes every data-plane Allow statement to named resources', () => {
    const docs = identityPolicies(t);
    assert.ok(docs.length > allFunctions().length, 'every function has its permissions checked');
    for (const [id, doc] of docs) {
      for (const s of allowStatements(doc)) {
        const onData = actionsOf([s]).some((a) => /^(dynamodb|s3|sqs|secretsmanager|kms|execute-api):/.test(a));
        if (onData) assert.notEqual(s.Resource, '*', `${id}: ${JSON.stringify(s.Action)}`);
      }
    }
  });

  it('keeps route functions off the queues except for the sends they list', () => {
    const queues = [...queueIds(t).entries()];
    for (const name of routeFunctions()) {
      const statements = statementsOf(t, name);
      for (const [id, queueId] of queues) {
        for (const action of actionsOn(statements, queueId)) {
          assert.ok(permissionsOf(name).includes(`queue:${id}:send`), `${name}: ${action} on ${id}`);
          assert.ok(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'].includes(action), `${name}: ${action}`);
        }
      }
      // No route function consumes a queue.
      const fnId = functionId(t, name);
      for (const [, mapping] of ofType(t, 'AWS::Lambda::EventSourceMapping')) {
        assert.notEqual(refTarget(mapping.FunctionName), fnId, name);
      }
    }
  });
});
