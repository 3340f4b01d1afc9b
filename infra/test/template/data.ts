// The table, bucket and secrets match manifest/resources.json.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { manifests, taggedFunctions, template } from '../helpers';

describe('data', () => {
  const t = template();
  const { table, bucket, secrets } = manifests.resources;

  it('creates the table with the manifest keys, on demand', () => {
    const keySchema = [{ AttributeName: table.partition_key, KeyType: 'HASH' }];
    if (table.sort_key) keySchema.push({ AttributeName: table.sort_key, KeyType: 'RANGE' });
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', { KeySchema: keySchema, BillingMode: 'PAY_PER_REQUEST' });
  });

  it('creates every global secondary index of the manifest', () => {
    for (const gsi of table.global_secondary_indexes) {
      const keySchema = [{ AttributeName: gsi.partition_key, KeyType: 'HASH' }];
      if (gsi.sort_key) keySchema.push({ AttributeName: gsi.sort_key, KeyType: 'RANGE' });
      t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        GlobalSecondaryIndexes: Match.arrayWith([Match.objectLike({ IndexName: gsi.name, KeySchema: keySchema })]),
      });
    }
  });

  it('enables TTL on the manifest attribute and point-in-time recovery', () => {
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TimeToLiveSpecification: { AttributeName: table.ttl_attribute, Enabled: true },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
  });

  it('blocks public access to the bucket and encrypts it', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
  });

  it('refuses plain-HTTP access to the bucket', () => {
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('expires the temporary prefix and allows browser GET downloads', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Prefix: bucket.temporary_prefix,
            ExpirationInDays: bucket.temporary_expiry_days,
            Status: 'Enabled',
          }),
        ]),
      },
      CorsConfiguration: {
        CorsRules: [
          Match.objectLike({ AllowedMethods: Match.arrayWith(['GET']) }),
          // The page's presigned upload of an archive to import.
          Match.objectLike({ AllowedMethods: ['PUT'] }),
        ],
      },
    });
  });

  it('generates every generated secret and leaves every provided one holding no key', () => {
    assert.ok(secrets.some((s) => s.provided !== undefined), 'the providers\' keys are provided secrets');
    for (const secret of secrets) {
      t.hasResourceProperties('AWS::SecretsManager::Secret', {
        Description: Match.stringLikeRegexp(secret.description.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
        ...(secret.provided === undefined
          ? { GenerateSecretString: Match.objectLike({ PasswordLength: secret.length }) }
          : { SecretString: '{"key":""}' }),
      });
    }
  });

  it('gives no function a provider key in its environment, only the ids of the secrets that hold them', () => {
    const provided = secrets.filter((s) => s.provided !== undefined);
    for (const [id, fn] of taggedFunctions(t)) {
      const names = Object.keys(fn.Environment?.Variables ?? {});
      for (const spec of provided) {
        assert.ok(!names.includes(spec.provided!), `${id} has ${spec.provided} in its environment`);
        assert.ok(names.includes(spec.env), `${id} lacks ${spec.env}`);
      }
      assert.ok(!names.some((name) => /_API_KEY$|_TOKEN$/.test(name)), `${id}: ${names.join(', ')}`);
    }
  });
});
