// CloudWatch log groups of the stack (every function's, the CDK deployment handler's and the two APIs' access
// logs), all encrypted with one customer-managed KMS key. CloudWatch Logs does the encrypting itself, as the
// service principal `logs.<region>.amazonaws.com` that the key policy names, and only for log groups of this
// account and region (the `aws:logs:arn` encryption context): writers (Lambda, API Gateway) need no KMS
// permission, and readers need kms:Decrypt on the key besides logs:GetLogEvents. One key for all log groups
// ($1 a month plus the requests CloudWatch Logs makes, which it caches) rather than one per group.
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The construct id of the key, a child of the stack (one per stack, created by the first log group). */
export const LOGS_KEY_ID = 'LogsKey';

/**
 * The stack's log key, created on first use. Log groups only hold copies of what the functions and the
 * APIs log, and go with the stack, so the key does too (KMS deletes it after its 30-day waiting period,
 * once CloudFormation has deleted the log groups that depend on it).
 */
export function logsKey(scope: Construct): kms.Key {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(LOGS_KEY_ID);
  if (existing) return existing as kms.Key;
  const key = new kms.Key(stack, LOGS_KEY_ID, {
    description: `Forgeflow: encrypts the CloudWatch log groups of ${stack.stackName}`,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchLogsOfThisAccountAndRegion',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
        },
      },
    }),
  );
  return key;
}

/** How long the APIs' access logs are kept (function logs: a month, rust-function.ts). */
export const ACCESS_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

export interface EncryptedLogGroupProps {
  readonly retention: logs.RetentionDays;
  /** Default: DESTROY (the logs go with the stack). */
  readonly removalPolicy?: RemovalPolicy;
}

/** A log group encrypted with the stack's log key (`logsKey`). */
export function encryptedLogGroup(scope: Construct, id: string, props: EncryptedLogGroupProps): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    retention: props.retention,
    encryptionKey: logsKey(scope),
    removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
  });
}
