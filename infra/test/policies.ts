// What each function's role may do, in the neutral shape of the local description's `function_policies`
// (local/src/describe.rs): one `<action> <resource-kind>[ if <operator> <key> <values>]` string per action and
// resource of every statement, sorted and without duplicates. Pairs rather than statements because CDK merges
// statements (`@aws-cdk/aws-iam:minimizePolicies` in cdk.json: a queue's consumer and sender grants become one
// statement, table read and write another), and how it merges is not something the local stack should copy.
// Resources are named by what they are, not by logical id; anything this file cannot name comes out as
// `unknown <json>`, which no local description has, so the drift test fails on it rather than skipping it.
import type { CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { ForgeflowStack } from '../lib/forgeflow-stack';
import { functionNameOf, ofType, refTarget, taggedFunctions, type Json } from './helpers';

/**
 * Names the manifest resource a template value points at (`Ref` or `Fn::GetAtt`): `table`, `bucket`,
 * `secret:<id>`, `key:<id>`, `queue:<id>` (ids as in resources.json), or undefined. The local description
 * names resources the same way, in `function_environment` and `function_policies`.
 */
export function manifestResourceKinds(t: Template, stack: ForgeflowStack): (target: string) => string | undefined {
  const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  const kinds = new Map<string, string>([[logicalId(stack.data.bucket), 'bucket']]);
  for (const [id, secret] of stack.data.secrets) kinds.set(logicalId(secret), `secret:${id}`);
  for (const [id, key] of stack.data.keys) kinds.set(logicalId(key), `key:${id}`);
  for (const { spec, queue } of stack.queues.all) kinds.set(logicalId(queue), `queue:${spec.id}`);
  const resources = t.toJSON().Resources as Record<string, { Type: string }>;
  return (target) => (resources[target]?.Type === 'AWS::DynamoDB::GlobalTable' ? 'table' : kinds.get(target));
}

const list = (value: Json): Json[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * What the role of each function (by its `forgeflow:function` tag) may do, by function name; a role with no
 * inline policy has an empty list.
 */
export function policyKinds(t: Template, stack: ForgeflowStack): Record<string, string[]> {
  const kindOf = manifestResourceKinds(t, stack);
  const webSocketApi = stack.getLogicalId(stack.webSocket.api.node.defaultChild as CfnElement);
  // grantManagementApiAccess: arn:${Partition}:execute-api:${Region}:${AccountId}:${api}/<stage>/*/@connections/*
  const connectionsSuffix = `/${stack.webSocket.stage.stageName}/*/@connections/*`;

  // The ARN forms the grants use: a GetAtt of the resource's Arn (a secret's Ref is its ARN), and the
  // table's indexes and the bucket's objects as that ARN joined with a suffix.
  const arnKind = (value: Json): string | undefined => {
    if (typeof value?.Ref === 'string') {
      const kind = kindOf(value.Ref);
      return kind?.startsWith('secret:') ? kind : undefined;
    }
    const getAtt = value?.['Fn::GetAtt'];
    if (Array.isArray(getAtt) && getAtt[1] === 'Arn') {
      const kind = kindOf(getAtt[0]);
      return kind && !kind.startsWith('secret:') ? kind : undefined;
    }
    return undefined;
  };
  const resourceKind = (value: Json): string => {
    const direct = arnKind(value);
    if (direct) return direct;
    const join = value?.['Fn::Join'];
    if (Array.isArray(join) && join[0] === '' && Array.isArray(join[1])) {
      const parts: Json[] = join[1];
      const [head, suffix] = parts;
      if (parts.length === 2 && typeof suffix === 'string') {
        const kind = arnKind(head);
        if ((kind === 'table' && suffix === '/index/*') || (kind === 'bucket' && suffix === '/*')) return `${kind}${suffix}`;
      }
      // Literal text, pseudo parameters (partition, region, account) and the API: nothing else may vary.
      const text = parts.filter((p) => typeof p === 'string').join('');
      const refs = parts.filter((p) => typeof p !== 'string').map((p) => p?.Ref);
      const others = refs.filter((r) => typeof r !== 'string' || !r.startsWith('AWS::'));
      if (text.includes(':execute-api:') && text.endsWith(connectionsSuffix) && others.length === 1 && others[0] === webSocketApi) {
        return 'connections';
      }
    }
    return `unknown ${JSON.stringify(value)}`;
  };

  const entries = (statement: Json): string[] => {
    const condition = conditionText(statement.Condition);
    const plain = statement.Effect === 'Allow' && !statement.NotAction && !statement.NotResource && !statement.Principal;
    if (!plain || condition === undefined) return [`unknown ${JSON.stringify(statement)}`];
    return list(statement.Action).flatMap((action: Json) =>
      list(statement.Resource).map((resource) => `${action} ${resourceKind(resource)}${condition}`),
    );
  };

  // Inline policies only: AWS::IAM::Policy (and a ManagedPolicy CDK might split an overlong one into) that
  // names the role, and the role's own `Policies`. ManagedPolicyArns (AWSLambdaBasicExecutionRole, logs
  // only) are AWS's, the same for every function, and have no local counterpart.
  const attached = [...ofType(t, 'AWS::IAM::Policy'), ...ofType(t, 'AWS::IAM::ManagedPolicy')];
  const roles = Object.fromEntries(ofType(t, 'AWS::IAM::Role'));
  const statementsOfRole = (roleId: string): Json[] => [
    ...attached
      .filter(([, p]) => list(p.Roles).some((r) => r?.Ref === roleId))
      .flatMap(([, p]) => list(p.PolicyDocument?.Statement)),
    ...list(roles[roleId]?.Policies).flatMap((p) => list(p.PolicyDocument?.Statement)),
  ];

  return Object.fromEntries(
    taggedFunctions(t).map(([id, fn]) => [
      functionNameOf(t, id),
      [...new Set(statementsOfRole(refTarget(fn.Role)).flatMap(entries))].sort(),
    ]),
  );
}

/**
 * A statement's condition as ` if <operator> <key> <values, sorted, joined by ','>`, '' for none, and
 * undefined for what that form cannot say (several operators or keys, a value that is not a string).
 */
function conditionText(condition: Json): string | undefined {
  if (condition === undefined) return '';
  const operators = Object.entries(condition ?? {});
  if (operators.length !== 1) return undefined;
  const [operator, keys] = operators[0] as [string, Json];
  const pairs = Object.entries(keys ?? {});
  if (pairs.length !== 1) return undefined;
  const [key, values] = pairs[0];
  const strings = list(values);
  if (strings.length === 0 || strings.some((v) => typeof v !== 'string')) return undefined;
  return ` if ${operator} ${key} ${[...strings].sort().join(',')}`;
}
