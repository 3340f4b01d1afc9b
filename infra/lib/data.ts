// Data resources from manifest/resources.json: the single DynamoDB table, the artifacts bucket, the
// generated secrets and the KMS keys. Table, bucket and keys are retained when the stack is deleted: they
// hold user data, and the keys are what decrypts the ciphertexts stored in the table.
import { Duration, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ResourcesSpec } from './manifest';

export interface DataProps {
  readonly resources: ResourcesSpec;
  /** Origins whose pages use the bucket's presigned URLs: GET (downloads) and PUT (archive uploads). */
  readonly pageOrigins: string[];
}

/** How long an overwritten object of the artifacts bucket stays recoverable (a noncurrent version). */
export const NONCURRENT_VERSION_DAYS = 30;

function stringKey(name: string): dynamodb.Attribute {
  return { name, type: dynamodb.AttributeType.STRING };
}

export class Data extends Construct {
  readonly table: dynamodb.TableV2;
  readonly bucket: s3.Bucket;
  /** Secrets by their manifest id (e.g. `jwt`). */
  readonly secrets: ReadonlyMap<string, secretsmanager.Secret>;
  /** KMS keys by their manifest id (e.g. `credentials`). */
  readonly keys: ReadonlyMap<string, kms.Key>;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    const { table, bucket, secrets, keys } = props.resources;

    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: stringKey(table.partition_key),
      sortKey: table.sort_key ? stringKey(table.sort_key) : undefined,
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: table.ttl_attribute,
      globalSecondaryIndexes: table.global_secondary_indexes.map((gsi) => ({
        indexName: gsi.name,
        partitionKey: stringKey(gsi.partition_key),
        sortKey: gsi.sort_key ? stringKey(gsi.sort_key) : undefined,
        projectionType: dynamodb.ProjectionType.ALL,
      })),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Versioned: functions may put objects, and only a worker that lists `bucket:delete` (project-deleter)
    // may delete them (permissions.ts); versioning makes an overwrite recoverable too, whether a bug's or a
    // compromised function's, and a plain delete too: it leaves a delete marker over a noncurrent version,
    // which expires after NONCURRENT_VERSION_DAYS (grantDelete's s3:DeleteObject* also covers
    // s3:DeleteObjectVersion, so that one worker could remove a version outright). It costs almost nothing here:
    // keys are per execution and generation (`executions/<id>/…`, `generations/<id>/…`), written once and
    // overwritten only when a redelivered job writes the same output again, so few noncurrent versions ever
    // exist, and they expire after NONCURRENT_VERSION_DAYS. The temporary prefix's expiry leaves a delete
    // marker over a noncurrent version: that version goes a day later, and the marker once it is alone.
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-temporary',
          prefix: bucket.temporary_prefix,
          expiration: Duration.days(bucket.temporary_expiry_days),
          noncurrentVersionExpiration: Duration.days(1),
        },
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS) },
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      cors: [
        {
          allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.HEAD],
          allowedOrigins: props.pageOrigins,
          allowedHeaders: ['*'],
          exposedHeaders: ['Content-Length', 'Content-Type', 'Content-Disposition', 'ETag'],
          maxAge: 3600,
        },
        // The page uploads an archive to import with the presigned PUT the API hands out (signed for
        // one key and one size; CORS only lets the browser send it).
        {
          allowedMethods: [s3.HttpMethods.PUT],
          allowedOrigins: props.pageOrigins,
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3600,
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const byId = new Map<string, secretsmanager.Secret>();
    for (const spec of secrets) {
      const description = `Forgeflow: ${spec.description}`;
      // A provided secret starts as no key; the operator puts the real one in after deploying
      // (`aws secretsmanager put-secret-value`), so it never sits in the template or an environment.
      const value =
        spec.provided === undefined
          ? { generateSecretString: { passwordLength: spec.length, excludePunctuation: true } }
          : { secretObjectValue: { key: SecretValue.unsafePlainText('') } };
      byId.set(spec.id, new secretsmanager.Secret(this, `Secret-${spec.id}`, { description, ...value }));
    }
    this.secrets = byId;

    // One symmetric key per manifest entry, rotated yearly by KMS. The key is retained with the stack
    // (ciphertexts in the retained table would be unreadable without it); its alias is not, so that a
    // redeploy under the same stack name can create the alias again. The default key policy delegates
    // to IAM: functions get encrypt/decrypt only through their `key:<id>:…` permissions.
    const keysById = new Map<string, kms.Key>();
    for (const spec of keys) {
      const key = new kms.Key(this, `Key-${spec.id}`, {
        description: `Forgeflow: ${spec.description}`,
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      key.addAlias(`alias/${Stack.of(this).stackName}-${spec.id}`);
      keysById.set(spec.id, key);
    }
    this.keys = keysById;
  }
}
