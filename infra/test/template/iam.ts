// Least privilege: each function gets what its `permissions` list names, and nothing is granted with
// wildcard actions. (Deny statements, such as the aws:SecureTransport guards, are not grants.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actionsOf, manifests, ofType, routeFunctions, statementsOf, template, type Statement } from '../helpers';

const TABLE_WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const TABLE_READS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchGetItem'];
const permissionsOf = (name: string) => manifests.routes.find((r) => r.function === name)!.permissions;

function allowStatements(doc: { Statement: Statement[] } | undefined): Statement[] {
  return (doc?.Statement ?? []).filter((s) => s.Effect === 'Allow');
}

describe('iam', () => {
  const t = template();

  it('gives read-only functions no table write actions', () => {
    const readOnly = routeFunctions().filter(
      (f) => permissionsOf(f).includes('table:read') && !permissionsOf(f).includes('table:write'),
    );
    assert.ok(readOnly.length > 0, 'the manifest has read-only functions');
    for (const name of readOnly) {
      const actions = actionsOf(statementsOf(t, name));
      assert.ok(actions.includes('dynamodb:GetItem'), `${name} can read`);
      for (const write of TABLE_WRITES) assert.ok(!actions.includes(write), `${name} must not have ${write}`);
    }
  });

  it('gives writers table writes, and reads only when they ask for them', () => {
    for (const name of routeFunctions().filter((f) => permissionsOf(f).includes('table:write'))) {
      const actions = actionsOf(statementsOf(t, name));
      assert.ok(actions.includes('dynamodb:PutItem'), `${name} can write`);
      if (!permissionsOf(name).includes('table:read')) {
        for (const read of TABLE_READS) assert.ok(!actions.includes(read), `${name} must not have ${read}`);
      }
    }
  });

  it('lets only functions with secret:jwt read the JWT secret', () => {
    for (const name of routeFunctions()) {
      const canRead = actionsOf(statementsOf(t, name)).includes('secretsmanager:GetSecretValue');
      assert.equal(canRead, permissionsOf(name).includes('secret:jwt'), name);
    }
  });

  it('grants nothing beyond the table, the secrets, and queue consumption', () => {
    for (const name of routeFunctions()) {
      for (const action of actionsOf(statementsOf(t, name))) {
        assert.match(action, /^(dynamodb|secretsmanager|sqs):[A-Za-z]+$/, `${name}: ${action}`);
      }
    }
  });

  it('has no Allow statement with a wildcard action', () => {
    const docs = [
      ...ofType(t, 'AWS::IAM::Policy').map(([id, p]) => [id, p.PolicyDocument] as const),
      ...ofType(t, 'AWS::IAM::ManagedPolicy').map(([id, p]) => [id, p.PolicyDocument] as const),
      ...ofType(t, 'AWS::IAM::Role').flatMap(([id, p]) =>
        (p.Policies ?? []).map((pol: { PolicyDocument: unknown }) => [id, pol.PolicyDocument] as const),
      ),
      ...['AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy'].flatMap((type) =>
        ofType(t, type).map(([id, p]) => [id, p.PolicyDocument] as const),
      ),
    ];
    assert.ok(docs.length > 0);
    for (const [id, doc] of docs) {
      for (const action of actionsOf(allowStatements(doc as { Statement: Statement[] }))) {
        assert.notEqual(action, '*', id);
        assert.doesNotMatch(action, /^[a-z0-9-]+:\*$/, `${id}: ${action}`);
      }
    }
  });

  it('scopes every data-plane Allow statement to named resources', () => {
    for (const [id, p] of ofType(t, 'AWS::IAM::Policy')) {
      for (const s of allowStatements(p.PolicyDocument)) {
        const onData = actionsOf([s]).some((a) => /^(dynamodb|s3|sqs|secretsmanager):/.test(a));
        if (onData) assert.notEqual(s.Resource, '*', `${id}: ${JSON.stringify(s.Action)}`);
      }
    }
  });
});
