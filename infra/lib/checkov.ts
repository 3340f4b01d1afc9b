// The checkov checks this stack fails on purpose, every one with its one-line reason, and which resources each
// applies to. scripts/test-infra.sh runs checkov (scripts/requirements-checkov.txt) on the synthesized
// template and fails on any failed check, so a check is either met or suppressed here: nowhere else adds a
// suppression. They go into each resource's template metadata (`Metadata.checkov.skip: [{id, comment}]`),
// where checkov reads them and reports them as skipped, with the comment.
//
// Every resource a suppression applies to is found from the stack's constructs, never by type alone, and a
// Lambda function nobody classified stops the synth: a new kind of function must be thought about here.
import type { CfnResource } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import type { ForgeflowStack } from './forgeflow-stack';

export interface CheckovSkip {
  /** The checkov check id, e.g. CKV_AWS_117. */
  readonly id: string;
  /** Why the check does not apply to this design: one line. */
  readonly comment: string;
}

/** The metadata key checkov reads suppressions from (`Metadata.checkov.skip`). */
export const CHECKOV_METADATA = 'checkov';

/** Every suppression of the stack, by the kind of resource it applies to. */
export const CHECKOV_SKIPS = {
  /** Every Lambda function: the manifests' and CDK's BucketDeployment handler. */
  everyFunction: [
    {
      id: 'CKV_AWS_117',
      comment:
        'Nothing private to reach: DynamoDB, S3, SQS, KMS and Secrets Manager are IAM-authorized over TLS, exports go to GitHub/GitLab; a VPC would only add NAT cost',
    },
    {
      id: 'CKV_AWS_115',
      comment:
        'Load is capped by API stage throttling and SQS maxConcurrency; reserved concurrency would carve the account pool into one fixed slice per function',
    },
    {
      id: 'CKV_AWS_173',
      comment:
        'Variables hold resource names, ARNs, URLs and settings, never a secret (the JWT key is read from Secrets Manager); Lambda encrypts them at rest with its own key',
    },
  ],
  /** HTTP and WebSocket route functions. */
  apiFunction: [
    {
      id: 'CKV_AWS_116',
      comment: 'Invoked synchronously by API Gateway, so the caller gets the error; a Lambda DLQ only receives failed asynchronous invocations',
    },
  ],
  /** Workers with an SQS event source. */
  queueWorker: [
    {
      id: 'CKV_AWS_116',
      comment: 'Invoked by its SQS event source: a message that keeps failing moves to the dead-letter queue of its queue, which alarms',
    },
  ],
  /** Workers an EventBridge schedule invokes. */
  scheduledWorker: [
    {
      id: 'CKV_AWS_116',
      comment: 'A schedule tick: the next tick redoes what a failed one missed (a missed slot runs once) and errors alarm, so a dead tick needs no queue',
    },
  ],
  /** CDK's BucketDeployment handler (the web page's upload). */
  deploymentHandler: [
    {
      id: 'CKV_AWS_116',
      comment: 'The BucketDeployment handler of CDK, invoked synchronously by CloudFormation, which reports its failure and rolls back',
    },
  ],
  /** Every worker queue and dead-letter queue, when SSE-SQS is on. */
  queue: [
    {
      id: 'CKV_AWS_27',
      comment: 'Encrypted at rest with SSE-SQS (SqsManagedSseEnabled: true, no key policy or KMS cost); this check only recognises KmsMasterKeyId',
    },
  ],
  /** The artifacts bucket (generated files, step outputs, archives). */
  artifactsBucket: [
    {
      id: 'CKV_AWS_18',
      comment: 'Read only by the functions and through presigned URLs the access-logged API issues; object-level audit is a job for CloudTrail data events',
    },
  ],
  /** The web page's bucket. */
  webBucket: [
    {
      id: 'CKV_AWS_18',
      comment: 'Read only by this CloudFront distribution (Origin Access Control), which serves nothing else',
    },
    {
      id: 'CKV_AWS_21',
      comment: 'Holds only derived files that every cdk deploy uploads again from web/ in git; versions would keep stale copies',
    },
  ],
  /** The web page's CloudFront distribution. */
  distribution: [
    {
      id: 'CKV_AWS_68',
      comment: 'Serves a static page from S3, no dynamic origin to shield (the API is on API Gateway with stage throttling); a web ACL would cost more than the page',
    },
    {
      id: 'CKV_AWS_86',
      comment: 'Serves only the static page; standard logs need an ACL-enabled log bucket, and the API access logs already record what the page does',
    },
    {
      id: 'CKV_AWS_174',
      comment: 'Uses the default *.cloudfront.net certificate, for which CloudFront fixes the policy at TLSv1; TLSv1.2_2021 needs a custom domain and ACM certificate',
    },
  ],
  /** The generated secrets (resources.json `secrets`). */
  secret: [
    {
      id: 'CKV_AWS_149',
      comment: 'Encrypted with the AWS-managed aws/secretsmanager key; reads are gated by secret:<id> grants, and a CMK would only add kms:Decrypt to each reader',
    },
  ],
  /** The alarms' SNS topic. */
  alarmTopic: [
    {
      id: 'CKV_AWS_26',
      comment: 'Carries only CloudWatch alarm notifications (alarm names and states), no user data; alarms cannot publish to a topic under the aws/sns key',
    },
  ],
} as const satisfies Record<string, readonly CheckovSkip[]>;

export type CheckovSkipKind = keyof typeof CHECKOV_SKIPS;

const cfn = (c: IConstruct): CfnResource => c.node.defaultChild as CfnResource;

/**
 * Adds the suppressions of CHECKOV_SKIPS to the resources of `stack` they apply to (once, after everything is
 * built). Throws on a Lambda function of no known kind, and on a queue without SSE-SQS (whose CKV_AWS_27
 * must then fail rather than be skipped with a reason that is not true).
 */
export function applyCheckovSkips(stack: ForgeflowStack): void {
  const kinds = new Map<CfnResource, Set<CheckovSkipKind>>();
  const add = (resource: CfnResource, kind: CheckovSkipKind): void => {
    kinds.set(resource, (kinds.get(resource) ?? new Set()).add(kind));
  };

  // Functions: the manifests' by kind, CDK's deployment handler by its role; nothing else may exist.
  const functionKinds = new Map<CfnResource, CheckovSkipKind>();
  for (const rf of [...stack.httpApi.functions.values(), ...stack.webSocket.functions.values()]) {
    functionKinds.set(cfn(rf.fn), 'apiFunction');
  }
  for (const [name, rf] of stack.workers.functions) {
    functionKinds.set(cfn(rf.fn), stack.workers.schedules.has(name) ? 'scheduledWorker' : 'queueWorker');
  }
  const deployerRole = stack.web.deployment?.handlerRole.roleArn;
  for (const fn of stack.node.findAll().filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction)) {
    const kind = functionKinds.get(fn) ?? (deployerRole !== undefined && fn.role === deployerRole ? 'deploymentHandler' : undefined);
    if (kind === undefined) {
      throw new Error(`${fn.node.path}: a Lambda function of no known kind; classify it in infra/lib/checkov.ts`);
    }
    add(fn, 'everyFunction');
    add(fn, kind);
  }

  for (const { queue, dlq } of stack.queues.all) {
    for (const q of [queue, dlq]) {
      const resource = cfn(q) as sqs.CfnQueue;
      if (resource.sqsManagedSseEnabled !== true) {
        throw new Error(`${q.node.path}: SSE-SQS is off, so CKV_AWS_27's suppression would not be true`);
      }
      add(resource, 'queue');
    }
  }
  add(cfn(stack.data.bucket), 'artifactsBucket');
  add(cfn(stack.web.bucket), 'webBucket');
  add(cfn(stack.web.distribution), 'distribution');
  for (const secret of stack.data.secrets.values()) add(cfn(secret), 'secret');
  add(cfn(stack.monitoring.topic), 'alarmTopic');

  for (const [resource, set] of kinds) {
    const existing: CheckovSkip[] = resource.getMetadata(CHECKOV_METADATA)?.skip ?? [];
    const skip = [...existing, ...[...set].flatMap((kind) => CHECKOV_SKIPS[kind].map(({ id, comment }) => ({ id, comment })))];
    resource.addMetadata(CHECKOV_METADATA, { skip });
  }
}
