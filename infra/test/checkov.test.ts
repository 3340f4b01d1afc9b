// What the checkov scan (scripts/test-infra.sh) made real in the template, asserted directly so a change that
// undoes one fails here too: access logs on both API stages, encryption on every queue and log group, a
// versioned artifacts bucket, no IAM grant on `*`. And the suppressions: every one comes from the single table
// in lib/checkov.ts with a one-line reason, and a resource nobody classified stops the synth.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { applyCheckovSkips, CHECKOV_METADATA, CHECKOV_SKIPS, type CheckovSkip } from '../lib/checkov';
import { NONCURRENT_VERSION_DAYS } from '../lib/data';
import { HTTP_ACCESS_LOG_FIELDS } from '../lib/http-api';
import { WS_ACCESS_LOG_FIELDS } from '../lib/websocket-api';
import {
  apiId,
  bucketId,
  keyIdFromEnv,
  manifests,
  ofType,
  refTarget,
  referencedIds,
  resources,
  synthApp,
  template,
  webBucketId,
  type Json,
} from './helpers';

const list = (value: Json): Json[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

describe('checkov: the real findings, fixed', () => {
  const t = template();
  const all = resources(t) as Record<string, Json>;

  /** The log group (properties) a stage's access logs go to. */
  const accessLogGroup = (api: 'HTTP' | 'WEBSOCKET'): [Json, Json] => {
    const stages = ofType(t, 'AWS::ApiGatewayV2::Stage').filter(([, p]) => refTarget(p.ApiId) === apiId(t, api));
    assert.equal(stages.length, 1, `one ${api} stage`);
    const [[stageId, stage]] = stages;
    const settings = stage.AccessLogSettings;
    assert.ok(settings, `${api} stage ${stageId} has access log settings`);
    const group = all[refTarget(settings.DestinationArn)];
    assert.equal(group?.Type, 'AWS::Logs::LogGroup', `${api} access logs go to a log group of the stack`);
    return [settings, group.Properties];
  };

  it('writes access logs of the HTTP API stage: one JSON line per request, without headers or query strings', () => {
    const [settings, group] = accessLogGroup('HTTP');
    assert.deepEqual(JSON.parse(settings.Format), HTTP_ACCESS_LOG_FIELDS);
    assert.match(settings.Format, /\$context\.requestId/);
    assert.doesNotMatch(settings.Format, /querystring|header|authorizer\.|requestOverride/i);
    assert.ok(group.RetentionInDays > 0);
  });

  it('writes access logs of the WebSocket stage (never the $connect query string, which may hold the token)', () => {
    const [settings, group] = accessLogGroup('WEBSOCKET');
    assert.deepEqual(JSON.parse(settings.Format), WS_ACCESS_LOG_FIELDS);
    assert.match(settings.Format, /\$context\.requestId/);
    assert.doesNotMatch(settings.Format, /querystring|header|authorizer\./i);
    assert.ok(group.RetentionInDays > 0);
  });

  it('sets the account’s API Gateway CloudWatch role before the WebSocket stage, and retains it', () => {
    const accounts = ofType(t, 'AWS::ApiGateway::Account');
    assert.equal(accounts.length, 1);
    const [[accountId, account]] = accounts;
    assert.equal(all[accountId].DeletionPolicy, 'Retain');
    const roleId = refTarget(account.CloudWatchRoleArn);
    const role = all[roleId];
    assert.equal(role.Type, 'AWS::IAM::Role');
    assert.equal(role.DeletionPolicy, 'Retain');
    assert.deepEqual(role.Properties.AssumeRolePolicyDocument.Statement.map((s: Json) => s.Principal), [
      { Service: 'apigateway.amazonaws.com' },
    ]);
    assert.match(JSON.stringify(role.Properties.ManagedPolicyArns), /service-role\/AmazonAPIGatewayPushToCloudWatchLogs/);
    assert.equal(role.Properties.Policies, undefined, 'nothing but AWS’s logging policy');
    const [[stageId]] = ofType(t, 'AWS::ApiGatewayV2::Stage').filter(([, p]) => refTarget(p.ApiId) === apiId(t, 'WEBSOCKET'));
    assert.ok(list((all[stageId] as Json).DependsOn).includes(accountId), 'the stage waits for the account setting');
  });

  it('encrypts every queue and dead-letter queue (SSE-SQS or a KMS key)', () => {
    const queues = ofType(t, 'AWS::SQS::Queue');
    assert.equal(queues.length, 2 * manifests.resources.queues.length);
    for (const [id, q] of queues) assert.ok(q.SqsManagedSseEnabled === true || q.KmsMasterKeyId !== undefined, id);
  });

  it('versions the artifacts bucket, and expires noncurrent versions and lone delete markers', () => {
    const bucket = all[bucketId(t)].Properties;
    assert.deepEqual(bucket.VersioningConfiguration, { Status: 'Enabled' });
    const rules: Json[] = bucket.LifecycleConfiguration.Rules;
    const everywhere = rules.filter((r) => r.Prefix === undefined && r.Filter === undefined && r.Status === 'Enabled');
    assert.ok(everywhere.some((r) => r.NoncurrentVersionExpiration?.NoncurrentDays === NONCURRENT_VERSION_DAYS));
    assert.ok(everywhere.some((r) => r.ExpiredObjectDeleteMarker === true));
    // The temporary prefix expires for good: its noncurrent versions do not wait the 30 days.
    const temporary = rules.find((r) => r.Prefix === manifests.resources.bucket.temporary_prefix);
    assert.equal(temporary?.ExpirationInDays, manifests.resources.bucket.temporary_expiry_days);
    assert.ok(temporary?.NoncurrentVersionExpiration?.NoncurrentDays <= 1);
    // The web page's bucket holds derived files only, and stays unversioned (see lib/checkov.ts).
    assert.equal(all[webBucketId(t)].Properties.VersioningConfiguration, undefined);
  });

  it('encrypts every log group with one rotated key that only CloudWatch Logs of this account and region may use', () => {
    const groups = ofType(t, 'AWS::Logs::LogGroup');
    // Every function's, the deployment handler's and the two access logs.
    assert.ok(groups.length >= ofType(t, 'AWS::Lambda::Function').length + 2);
    const keyIds = new Set(groups.map(([, g]) => refTarget(g.KmsKeyId)));
    assert.equal(keyIds.size, 1, 'one key for all log groups');
    const [keyId] = [...keyIds];
    const key = all[keyId];
    assert.equal(key.Type, 'AWS::KMS::Key');
    assert.equal(key.Properties.EnableKeyRotation, true);
    for (const [id, g] of groups) assert.ok(g.RetentionInDays > 0, `${id} expires its logs`);
    const statements: Json[] = key.Properties.KeyPolicy.Statement;
    const logs = statements.filter((s) => JSON.stringify(s.Principal?.Service ?? '').includes('logs.'));
    assert.equal(logs.length, 1, 'one statement for CloudWatch Logs');
    const [statement] = logs;
    assert.match(JSON.stringify(statement.Principal.Service), /"logs\.",\{"Ref":"AWS::Region"\}/);
    assert.ok(!list(statement.Action).some((a: string) => a === 'kms:*' || a.startsWith('kms:Create') || a.startsWith('kms:Put')));
    const context = statement.Condition?.ArnLike?.['kms:EncryptionContext:aws:logs:arn'];
    assert.match(JSON.stringify(context), /:logs:",\{"Ref":"AWS::Region"\},":",\{"Ref":"AWS::AccountId"\},":log-group:\*"/);
    // Its own key: no manifest key (which functions use) encrypts logs, and no function is given the log key.
    for (const spec of manifests.resources.keys) assert.notEqual(keyIdFromEnv(t, spec.env), keyId, spec.id);
    for (const [, fn] of ofType(t, 'AWS::Lambda::Function')) {
      assert.ok(!referencedIds(fn.Environment ?? {}).has(keyId), 'no function is given the log key');
    }
  });

  it('grants nothing on `*` in any IAM policy (the deployment’s invalidation is scoped to the distribution)', () => {
    const documents = [
      ...ofType(t, 'AWS::IAM::Policy').map(([id, p]) => [id, p.PolicyDocument] as const),
      ...ofType(t, 'AWS::IAM::ManagedPolicy').map(([id, p]) => [id, p.PolicyDocument] as const),
      ...ofType(t, 'AWS::IAM::Role').flatMap(([id, p]) => list(p.Policies).map((pol: Json) => [id, pol.PolicyDocument] as const)),
    ];
    for (const [id, doc] of documents) {
      for (const s of list(doc.Statement).filter((st: Json) => st.Effect === 'Allow')) {
        assert.ok(!list(s.Resource).includes('*'), `${id}: ${JSON.stringify(s.Action)} on *`);
      }
    }
    const invalidation = documents
      .flatMap(([, doc]) => list(doc.Statement))
      .filter((s: Json) => list(s.Action).includes('cloudfront:CreateInvalidation'));
    assert.equal(invalidation.length, 1);
    const [distributionId] = ofType(t, 'AWS::CloudFront::Distribution').map(([id]) => id);
    const refs = [...referencedIds(invalidation[0].Resource)].filter((ref) => !ref.startsWith('AWS::'));
    assert.deepEqual(refs, [distributionId]);
    assert.match(JSON.stringify(invalidation[0].Resource), /:cloudfront::.*:distribution\//);
  });
});

describe('checkov: suppressions', () => {
  const t = template();
  const all = resources(t) as Record<string, { Type: string; Metadata?: Json }>;
  const skipsOf = (id: string): CheckovSkip[] => all[id].Metadata?.[CHECKOV_METADATA]?.skip ?? [];
  const suppressed = Object.keys(all).filter((id) => skipsOf(id).length > 0);
  const table = Object.values(CHECKOV_SKIPS).flat() as CheckovSkip[];

  it('gives every suppression in the table a check id and a one-line reason', () => {
    assert.ok(table.length > 0);
    for (const { id, comment } of table) {
      assert.match(id, /^CKV2?_AWS_\d+$/);
      assert.ok(comment.trim().length >= 20, `${id}: a reason, not a placeholder`);
      assert.ok(!/[\r\n]/.test(comment), `${id}: one line`);
    }
  });

  it('puts only the table’s suppressions into the template, each with its comment, none twice on a resource', () => {
    assert.ok(suppressed.length > 0);
    const known = new Set(table.map(({ id, comment }) => `${id} ${comment}`));
    for (const id of suppressed) {
      const skips = skipsOf(id);
      for (const skip of skips) {
        assert.ok(typeof skip.comment === 'string' && skip.comment.trim() !== '', `${id}: ${skip.id} has a reason`);
        assert.ok(known.has(`${skip.id} ${skip.comment}`), `${id}: ${skip.id} is not from lib/checkov.ts`);
      }
      assert.equal(new Set(skips.map((s) => s.id)).size, skips.length, `${id}: a check skipped twice`);
    }
  });

  it('uses every entry of the table (no suppression left over from a resource that is gone)', () => {
    const used = new Set(suppressed.flatMap((id) => skipsOf(id).map((s) => `${s.id} ${s.comment}`)));
    for (const [kind, skips] of Object.entries(CHECKOV_SKIPS)) {
      for (const skip of skips) assert.ok(used.has(`${skip.id} ${skip.comment}`), `${kind}: ${skip.id} is never applied`);
    }
  });

  it('suppresses per function by how it is invoked: every function gets exactly one DLQ reason', () => {
    for (const [id] of ofType(t, 'AWS::Lambda::Function')) {
      const ids = skipsOf(id).map((s) => s.id);
      assert.equal(ids.filter((x) => x === 'CKV_AWS_116').length, 1, id);
      for (const check of CHECKOV_SKIPS.everyFunction) assert.ok(ids.includes(check.id), `${id}: ${check.id}`);
    }
  });

  it('suppresses nothing on the resources the fixes are about', () => {
    const fixedTypes = ['AWS::ApiGatewayV2::Stage', 'AWS::Logs::LogGroup', 'AWS::IAM::Policy', 'AWS::KMS::Key'];
    for (const id of suppressed) assert.ok(!fixedTypes.includes(all[id].Type), `${id} (${all[id].Type})`);
    assert.ok(!skipsOf(bucketId(t)).some((s) => s.id === 'CKV_AWS_21'), 'the artifacts bucket is versioned, not excused');
  });

  it('stops on a Lambda function it has no reason for', () => {
    const { stack } = synthApp();
    new lambda.Function(stack, 'Stray', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    assert.throws(() => applyCheckovSkips(stack), /Stray.*a Lambda function of no known kind; classify it in infra\/lib\/checkov\.ts/);
  });
});
