// KMS keys from resources.json `keys`: one rotated, retained key per entry with an alias, its ARN in every
// function's environment, and kms:Encrypt / kms:Decrypt only for the functions that list
// `key:<id>:encrypt` / `key:<id>:decrypt`. For `credentials`: credentials-put encrypts, and the export
// worker is the only function that can decrypt users' tokens.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { FUNCTION_TAG } from '../../lib/rust-function';
import {
  actionsOf,
  actionsOn,
  allFunctions,
  cloneManifests,
  keyIdFromEnv,
  manifests,
  ofType,
  permissionsOf,
  referencedIds,
  statementsOf,
  synth,
  template,
} from '../helpers';

const credentials = () => {
  const spec = manifests.resources.keys.find((k) => k.id === 'credentials');
  assert.ok(spec, 'resources.json defines the credentials key');
  return spec;
};

describe('kms keys', () => {
  const t = template();
  const { keys } = manifests.resources;

  it('creates one key per manifest entry, with rotation, retained like the table', () => {
    assert.ok(keys.length > 0, 'resources.json has keys');
    // Plus the stack's own key for its log groups (lib/logs.ts, checked in test/checkov.test.ts).
    assert.equal(ofType(t, 'AWS::KMS::Key').length, keys.length + 1);
    const all = t.toJSON().Resources;
    for (const spec of keys) {
      const key = all[keyIdFromEnv(t, spec.env)];
      assert.equal(key.Properties.EnableKeyRotation, true, spec.id);
      assert.equal(key.Properties.Description, `Forgeflow: ${spec.description}`, spec.id);
      assert.equal(key.DeletionPolicy, 'Retain', spec.id);
      assert.equal(key.UpdateReplacePolicy, 'Retain', spec.id);
    }
  });

  it('gives every key the alias alias/<stack>-<id>', () => {
    for (const spec of keys) {
      t.hasResourceProperties('AWS::KMS::Alias', {
        AliasName: `alias/Test-${spec.id}`,
        TargetKeyId: { 'Fn::GetAtt': [keyIdFromEnv(t, spec.env), 'Arn'] },
      });
    }
    assert.equal(ofType(t, 'AWS::KMS::Alias').length, keys.length);
  });

  it('sets FORGEFLOW_CREDENTIALS_KEY_ID to the key ARN on every function, routes and workers', () => {
    assert.equal(credentials().env, 'FORGEFLOW_CREDENTIALS_KEY_ID');
    const keyId = keyIdFromEnv(t, 'FORGEFLOW_CREDENTIALS_KEY_ID');
    for (const name of allFunctions()) {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Tags: Match.arrayWith([{ Key: FUNCTION_TAG, Value: name }]),
        Environment: { Variables: Match.objectLike({ FORGEFLOW_CREDENTIALS_KEY_ID: { 'Fn::GetAtt': [keyId, 'Arn'] } }) },
      });
    }
  });

  it('lets credentials-put encrypt with the credentials key, but not decrypt', () => {
    const keyId = keyIdFromEnv(t, credentials().env);
    const statements = statementsOf(t, 'credentials-put');
    const onKey = actionsOn(statements, keyId);
    assert.ok(onKey.includes('kms:Encrypt'), 'credentials-put can kms:Encrypt');
    assert.ok(!onKey.includes('kms:Decrypt'), 'credentials-put must not kms:Decrypt');
    assert.ok(!actionsOf(statements).includes('kms:Decrypt'), 'credentials-put must not kms:Decrypt anything');
  });

  it('lets the export-, import- and step-workers decrypt with the credentials key', () => {
    const keyId = keyIdFromEnv(t, credentials().env);
    for (const worker of ['export-worker', 'import-worker', 'step-worker']) {
      assert.ok(actionsOn(statementsOf(t, worker), keyId).includes('kms:Decrypt'), worker);
    }
  });

  it('lets no function but the export-, import- and step-workers decrypt (only they use users\' tokens and keys)', () => {
    const decrypters = allFunctions().filter((name) =>
      actionsOf(statementsOf(t, name)).some((a) => a === 'kms:Decrypt' || a === 'kms:*'),
    );
    assert.deepEqual(decrypters.sort(), ['export-worker', 'import-worker', 'step-worker']);
    // And no key policy names a function's role: the keys trust the account, which delegates to IAM.
    const roles = new Set(ofType(t, 'AWS::IAM::Role').map(([id]) => id));
    for (const [id, p] of ofType(t, 'AWS::KMS::Key')) {
      for (const role of referencedIds(p.KeyPolicy)) assert.ok(!roles.has(role), `${id} key policy names ${role}`);
    }
  });

  it('grants kms:Encrypt and kms:Decrypt exactly as key:<id>:encrypt / key:<id>:decrypt list them', () => {
    for (const spec of keys) {
      const keyId = keyIdFromEnv(t, spec.env);
      for (const name of allFunctions()) {
        const onKey = actionsOn(statementsOf(t, name), keyId);
        const perms = permissionsOf(name);
        assert.equal(onKey.includes('kms:Encrypt'), perms.includes(`key:${spec.id}:encrypt`), `${name}: encrypt`);
        assert.equal(onKey.includes('kms:Decrypt'), perms.includes(`key:${spec.id}:decrypt`), `${name}: decrypt`);
      }
    }
  });

  it('refuses a key permission that names no key in resources.json (synthetic manifest)', () => {
    const route = cloneManifests();
    route.routes[0].permissions = [...route.routes[0].permissions, 'key:nope:encrypt'];
    assert.throws(() => synth(route), /"key:nope:encrypt" names no key in resources\.json/);
    const worker = cloneManifests();
    worker.workers[0].permissions = [...worker.workers[0].permissions, 'key:nope:decrypt'];
    assert.throws(() => synth(worker), /"key:nope:decrypt" names no key in resources\.json/);
    const none = cloneManifests();
    none.resources.keys = [];
    assert.throws(() => synth(none), /"key:credentials:encrypt" names no key in resources\.json \(keys: none\)/);
  });

  it('refuses an unknown key action', () => {
    const m = cloneManifests();
    m.routes[0].permissions = [...m.routes[0].permissions, 'key:credentials:sign'];
    assert.throws(() => synth(m), /unknown permission "key:credentials:sign"/);
  });
});
