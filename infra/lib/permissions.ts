// Least-privilege IAM: a function gets exactly the grants its manifest `permissions` list names, and
// nothing else. An unknown permission fails the synth rather than being silently ignored.
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

export interface GrantTargets {
  readonly table: dynamodb.ITableV2;
  readonly secrets: ReadonlyMap<string, secretsmanager.ISecret>;
}

/**
 * The vocabulary:
 * - `table:read`  → grantReadData on the table (and its indexes)
 * - `table:write` → grantWriteData on the table
 * - `secret:<id>` → grantRead on the secret with that id in resources.json (e.g. `secret:jwt`)
 */
export function applyPermissions(
  grantee: iam.IGrantable,
  functionName: string,
  permissions: readonly string[],
  targets: GrantTargets,
): void {
  for (const permission of new Set(permissions)) {
    if (permission === 'table:read') {
      targets.table.grantReadData(grantee);
    } else if (permission === 'table:write') {
      targets.table.grantWriteData(grantee);
    } else if (permission.startsWith('secret:')) {
      const id = permission.slice('secret:'.length);
      const secret = targets.secrets.get(id);
      if (!secret) {
        throw new Error(`${functionName}: permission "${permission}" names no secret in resources.json`);
      }
      secret.grantRead(grantee);
    } else {
      throw new Error(
        `${functionName}: unknown permission "${permission}" (known: table:read, table:write, secret:<id>)`,
      );
    }
  }
}
