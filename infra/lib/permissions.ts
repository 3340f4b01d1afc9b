// Least-privilege IAM: a function gets exactly the grants its manifest `permissions` list names, and
// nothing else. An unknown permission fails the synth rather than being silently ignored.
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

export interface GrantTargets {
  readonly table: dynamodb.ITableV2;
  readonly bucket: s3.IBucket;
  /** Queues by their manifest id (e.g. `steps`). */
  readonly queues: ReadonlyMap<string, sqs.IQueue>;
  readonly secrets: ReadonlyMap<string, secretsmanager.ISecret>;
  /** KMS keys by their manifest id (e.g. `credentials`). */
  readonly keys: ReadonlyMap<string, kms.IKey>;
  /** The WebSocket API's stage: `connections:manage` is scoped to its `@connections`. */
  readonly webSocketStage: apigw.WebSocketStage;
}

/**
 * Who asks: an HTTP route's function, a worker (workers.json) or a WebSocket route's function
 * (websocket.json). `queue:<id>:read-attributes` and `bucket:delete` are for workers only; `connections:manage`
 * for any function that publishes progress (the workers, `$default`, and a route such as executions-cancel that
 * ends a run).
 */
export type FunctionKind = 'route' | 'worker' | 'websocket';

const COMMON = 'table:read, table:write, bucket:read, bucket:write, queue:<id>:send, key:<id>:encrypt, key:<id>:decrypt, secret:<id>';
const VOCABULARY: Record<FunctionKind, string> = {
  route: `${COMMON}, connections:manage`,
  worker: `${COMMON}, bucket:delete, queue:<id>:read-attributes, connections:manage`,
  websocket: `${COMMON}, connections:manage`,
};

/**
 * The vocabulary:
 * - `table:read`   → grantReadData on the table (and its indexes)
 * - `table:write`  → grantWriteData on the table
 * - `bucket:read`  → grantRead on the bucket (get and list objects)
 * - `bucket:write` → grantPut on the bucket (put objects; no delete). Both listed → both grants, still
 *   no delete (grantReadWrite would add s3:DeleteObject*)
 * - `bucket:delete` (workers only) → grantDelete on the bucket: s3:DeleteObject* on its objects
 *   (`<bucket-arn>/*`), nothing on the bucket itself. A route or WebSocket function asking for it stops the
 *   synth: deletion happens off the request path, in a worker a queue feeds (e.g. project-deleter)
 * - `queue:<id>:send` → grantSendMessages on that queue of resources.json (e.g. `queue:steps:send`)
 * - `queue:<id>:read-attributes` (workers only) → sqs:GetQueueAttributes on that queue, nothing else
 * - `key:<id>:encrypt` → grantEncrypt on that KMS key of resources.json (kms:Encrypt, kms:ReEncrypt*,
 *   kms:GenerateDataKey*: produces ciphertexts, never reads them)
 * - `key:<id>:decrypt` → grantDecrypt on that key (kms:Decrypt only)
 * - `secret:<id>`  → grantRead on the secret with that id in resources.json (e.g. `secret:jwt`)
 * - `connections:manage` → execute-api:ManageConnections on this stack's
 *   WebSocket stage only (`arn:…:execute-api:<region>:<account>:<api-id>/<stage>/<method>/@connections/<id>`,
 *   method and id wildcards): post to, read and close that stage's connections, nothing else
 */
export function applyPermissions(
  grantee: iam.IGrantable,
  functionName: string,
  permissions: readonly string[],
  targets: GrantTargets,
  kind: FunctionKind = 'route',
): void {
  const unknown = (permission: string): never => {
    throw new Error(`${functionName}: unknown permission "${permission}" (known for a ${kind}: ${VOCABULARY[kind]})`);
  };
  const queue = (permission: string, id: string): sqs.IQueue => {
    const q = targets.queues.get(id);
    if (!q) {
      throw new Error(
        `${functionName}: permission "${permission}" names no queue in resources.json ` +
          `(queues: ${[...targets.queues.keys()].join(', ')})`,
      );
    }
    return q;
  };

  const key = (permission: string, id: string): kms.IKey => {
    const k = targets.keys.get(id);
    if (!k) {
      throw new Error(
        `${functionName}: permission "${permission}" names no key in resources.json ` +
          `(keys: ${[...targets.keys.keys()].join(', ') || 'none'})`,
      );
    }
    return k;
  };

  for (const permission of new Set(permissions)) {
    const queueMatch = /^queue:([^:]+):([a-z-]+)$/.exec(permission);
    const keyMatch = /^key:([^:]+):([a-z-]+)$/.exec(permission);
    if (permission === 'table:read') {
      targets.table.grantReadData(grantee);
    } else if (permission === 'table:write') {
      targets.table.grantWriteData(grantee);
    } else if (permission === 'bucket:read') {
      targets.bucket.grantRead(grantee);
    } else if (permission === 'bucket:write') {
      targets.bucket.grantPut(grantee);
    } else if (permission === 'bucket:delete') {
      if (kind !== 'worker') {
        throw new Error(
          `${functionName}: permission "bucket:delete" is for workers only, not a ${kind} function ` +
            `(known for a ${kind}: ${VOCABULARY[kind]})`,
        );
      }
      targets.bucket.grantDelete(grantee);
    } else if (queueMatch && queueMatch[2] === 'send') {
      queue(permission, queueMatch[1]).grantSendMessages(grantee);
    } else if (queueMatch && queueMatch[2] === 'read-attributes' && kind === 'worker') {
      const statement = new iam.PolicyStatement({
        effect: iam.Effect.ALLOW,
        actions: ['sqs:GetQueueAttributes'],
        resources: [queue(permission, queueMatch[1]).queueArn],
      });
      if (!grantee.grantPrincipal.addToPrincipalPolicy(statement).statementAdded) {
        throw new Error(`${functionName}: could not add "${permission}" to the function's role`);
      }
    } else if (keyMatch && keyMatch[2] === 'encrypt') {
      key(permission, keyMatch[1]).grantEncrypt(grantee);
    } else if (keyMatch && keyMatch[2] === 'decrypt') {
      key(permission, keyMatch[1]).grantDecrypt(grantee);
    } else if (permission === 'connections:manage') {
      targets.webSocketStage.grantManagementApiAccess(grantee);
    } else if (permission.startsWith('secret:')) {
      const id = permission.slice('secret:'.length);
      const secret = targets.secrets.get(id);
      if (!secret) {
        throw new Error(`${functionName}: permission "${permission}" names no secret in resources.json`);
      }
      secret.grantRead(grantee);
    } else {
      unknown(permission);
    }
  }
}

/**
 * The partitions the API guard writes (shared/api/src/guard.rs): rate counters (`RATE#…`) and audit entries
 * (`AUDIT#…`). Every HTTP function runs the guard, so each gets PutItem/UpdateItem on these partition keys
 * only (`dynamodb:LeadingKeys`): a read endpoint still cannot touch a user, project or execution row.
 */
export const GUARD_LEADING_KEYS = ['RATE#*', 'AUDIT#*'];

export function grantGuard(grantee: iam.IGrantable, functionName: string, table: dynamodb.ITableV2): void {
  const statement = new iam.PolicyStatement({
    effect: iam.Effect.ALLOW,
    actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
    resources: [table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': GUARD_LEADING_KEYS } },
  });
  if (!grantee.grantPrincipal.addToPrincipalPolicy(statement).statementAdded) {
    throw new Error(`${functionName}: could not add the guard's rate-counter and audit grant`);
  }
}
