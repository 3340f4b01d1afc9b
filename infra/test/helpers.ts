// Shared test helpers: synthesize the stack from the manifests (with cdk.json's feature flags, so the
// template under test is the one `cdk synth` produces) and find resources by what they are, never by
// hashed logical ids: functions by their `forgeflow:function` tag, queues and KMS keys through the
// environment variables the functions receive, roles and DLQs through the references between resources.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Annotations, App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ForgeflowStack, DEFAULT_SETTINGS, type ForgeflowSettings } from '../lib/forgeflow-stack';
import { loadManifests, type Manifests } from '../lib/manifest';
import { FUNCTION_TAG, PLACEHOLDER_CONTEXT } from '../lib/rust-function';

export const manifests: Manifests = loadManifests();

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
export type Resources = Record<string, { Type: string; Properties?: Json }>;

export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));
  return cdkJson.context ?? {};
}

// Cloud assemblies go to one temporary directory, removed when the test process ends.
const outRoot = mkdtempSync(path.join(tmpdir(), 'forgeflow-cdk-test-'));
process.on('exit', () => rmSync(outRoot, { recursive: true, force: true }));

/** A fresh directory for one test, removed with the others when the test process ends. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(path.join(outRoot, `${prefix}-`));
}

export interface Synthesized {
  readonly stack: ForgeflowStack;
  readonly template: Template;
  /** The cloud assembly directory (staged assets are `asset.<hash>` in it). */
  readonly outdir: string;
}

/**
 * Builds the stack from `m` (default: the real manifests) and returns its template and assembly directory.
 * These tests check the template, not the binaries (test/artifacts.test.ts does), so they opt in to placeholder
 * code for functions `make package` has not built.
 */
export function synthApp(m: Manifests = manifests, settings: ForgeflowSettings = DEFAULT_SETTINGS): Synthesized {
  const outdir = mkdtempSync(path.join(outRoot, 'app-'));
  // Always placeholders, whatever target/lambda holds: staging real zips into every test assembly costs
  // hundreds of MB of temporary files, and an arm64 build there must not fail the x86_64 template tests.
  const saved = process.env.FORGEFLOW_LAMBDA_DIR;
  process.env.FORGEFLOW_LAMBDA_DIR = noArtifacts;
  try {
    return synthWith(outdir, m, settings);
  } finally {
    if (saved === undefined) delete process.env.FORGEFLOW_LAMBDA_DIR;
    else process.env.FORGEFLOW_LAMBDA_DIR = saved;
  }
}

const noArtifacts = mkdtempSync(path.join(outRoot, 'no-artifacts-'));

function synthWith(outdir: string, m: Manifests, settings: ForgeflowSettings): Synthesized {
  const app = new App({ context: { ...cdkJsonContext(), [PLACEHOLDER_CONTEXT]: true }, outdir });
  const stack = new ForgeflowStack(app, 'Test', { manifests: m, settings });
  // Placeholder code is expected here (see above), and so is the placeholder page when web/ is not written yet.
  Annotations.of(stack).acknowledgeWarning('forgeflow:placeholder-code');
  Annotations.of(stack).acknowledgeWarning('forgeflow:web-placeholder');
  return { stack, template: Template.fromStack(stack), outdir };
}

/** Builds the stack from `m` (default: the real manifests) and returns its template. */
export function synth(m: Manifests = manifests, settings: ForgeflowSettings = DEFAULT_SETTINGS): Template {
  return synthApp(m, settings).template;
}

let cached: Synthesized | undefined;
/** The template of the real manifests, synthesized once per test process. */
export function template(): Template {
  return synthesized().template;
}

/** The real manifests' synthesis (template and assembly directory), once per test process. */
export function synthesized(): Synthesized {
  cached ??= synthApp();
  return cached;
}

export function resources(t: Template): Resources {
  return t.toJSON().Resources as Resources;
}

export function ofType(t: Template, type: string): [string, Json][] {
  return Object.entries(resources(t))
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

/** The manifests' functions (tagged with their binary name), without CDK's own (the web deployment's handler). */
export function taggedFunctions(t: Template): [string, Json][] {
  return ofType(t, 'AWS::Lambda::Function').filter(([, p]) => (p.Tags ?? []).some((tag: Json) => tag.Key === FUNCTION_TAG));
}

/** The binary name (the `forgeflow:function` tag) of the function with logical id `id`. */
export function functionNameOf(t: Template, id: string): string {
  const tag = (resources(t)[id]?.Properties?.Tags ?? []).find((x: Json) => x.Key === FUNCTION_TAG);
  if (!tag) throw new Error(`${id} is not a tagged function`);
  return tag.Value;
}

/** Logical id of the Lambda function for binary `name` (found by its tag). */
export function functionId(t: Template, name: string): string {
  const found = ofType(t, 'AWS::Lambda::Function').filter(([, p]) =>
    (p.Tags ?? []).some((tag: Json) => tag.Key === FUNCTION_TAG && tag.Value === name),
  );
  if (found.length !== 1) throw new Error(`expected one function tagged ${name}, found ${found.length}`);
  return found[0][0];
}

/** `{ Ref: X }` → X, `{ 'Fn::GetAtt': [X, ...] }` → X. */
export function refTarget(value: Json): string {
  if (value?.Ref) return value.Ref;
  if (value?.['Fn::GetAtt']) return value['Fn::GetAtt'][0];
  throw new Error(`not a Ref/GetAtt: ${JSON.stringify(value)}`);
}

/** Logical id of the queue whose URL every function receives in environment variable `env`. */
export function queueIdFromEnv(t: Template, env: string): string {
  const [, fn] = taggedFunctions(t)[0];
  return refTarget(fn.Environment.Variables[env]);
}

/** Logical id of the KMS key whose ARN every function receives in environment variable `env`. */
export function keyIdFromEnv(t: Template, env: string): string {
  const [, fn] = taggedFunctions(t)[0];
  const value = fn.Environment.Variables[env];
  const target = refTarget(value);
  if (resources(t)[target]?.Type !== 'AWS::KMS::Key') throw new Error(`${env} does not refer to a KMS key`);
  return target;
}

/** Logical id of the dead-letter queue of queue `queueId` (from its RedrivePolicy). */
export function dlqIdOf(t: Template, queueId: string): string {
  return refTarget(resources(t)[queueId].Properties.RedrivePolicy.deadLetterTargetArn);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: Json;
}

/** Every IAM statement of the role of function `name`: its inline policies and any AWS::IAM::Policy attached. */
export function statementsOf(t: Template, name: string): Statement[] {
  const fn = resources(t)[functionId(t, name)].Properties;
  const roleId = refTarget(fn.Role);
  const inline = (resources(t)[roleId].Properties.Policies ?? []).flatMap(
    (p: Json) => p.PolicyDocument.Statement as Statement[],
  );
  const attached = ofType(t, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Roles ?? []).some((r: Json) => r.Ref === roleId))
    .flatMap(([, p]) => p.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}

/**
 * Every identity policy document of the template, by the logical id of the resource that holds it: each
 * AWS::IAM::Policy and ManagedPolicy, and each role's inline `Policies` (a function's permissions live there).
 */
export function identityPolicies(t: Template): (readonly [string, { Statement: Statement[] }])[] {
  return [
    ...ofType(t, 'AWS::IAM::Policy').map(([id, p]) => [id, p.PolicyDocument] as const),
    ...ofType(t, 'AWS::IAM::ManagedPolicy').map(([id, p]) => [id, p.PolicyDocument] as const),
    ...ofType(t, 'AWS::IAM::Role').flatMap(([id, p]) =>
      (p.Policies ?? []).map((policy: Json) => [id, policy.PolicyDocument] as const),
    ),
  ];
}

export function actionsOf(statements: Statement[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

/** The function names in websocket.json. */
export function webSocketFunctions(m: Manifests = manifests): string[] {
  return m.websocket.routes.map((r) => r.function);
}

/** The unique function names in routes.json. */
export function routeFunctions(m: Manifests = manifests): string[] {
  return [...new Set(m.routes.map((r) => r.function))];
}

/** The function names in workers.json. */
export function workerFunctions(m: Manifests = manifests): string[] {
  return m.workers.map((w) => w.function);
}

/** Every function of the manifests: route functions, workers, then WebSocket route functions. */
export function allFunctions(m: Manifests = manifests): string[] {
  return [...routeFunctions(m), ...workerFunctions(m), ...webSocketFunctions(m)];
}

/** The manifest `permissions` of function `name` (a route function, a worker or a WebSocket route function). */
export function permissionsOf(name: string, m: Manifests = manifests): readonly string[] {
  const found =
    m.routes.find((r) => r.function === name) ??
    m.workers.find((w) => w.function === name) ??
    m.websocket.routes.find((r) => r.function === name);
  if (!found) throw new Error(`no function ${name} in the manifests`);
  return found.permissions;
}

/** Every logical id a template value refers to (`Ref`, `Fn::GetAtt`, at any depth, e.g. in `Fn::Join`). */
export function referencedIds(value: Json): Set<string> {
  const ids = new Set<string>();
  const walk = (v: Json): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (typeof v.Ref === 'string') ids.add(v.Ref);
      if (Array.isArray(v['Fn::GetAtt'])) ids.add(v['Fn::GetAtt'][0]);
      Object.values(v).forEach(walk);
    }
  };
  walk(value);
  return ids;
}

/** The Allow actions among `statements` whose Resource refers to logical id `resourceId`. */
export function actionsOn(statements: Statement[], resourceId: string): string[] {
  return actionsOf(statements.filter((s) => s.Effect === 'Allow' && referencedIds(s.Resource).has(resourceId)));
}

/** Logical id of the artifacts bucket: the one whose name every function receives (FORGEFLOW_BUCKET). */
export function bucketId(t: Template): string {
  const [, fn] = taggedFunctions(t)[0];
  const id = refTarget(fn.Environment.Variables[manifests.resources.bucket.env]);
  if (resources(t)[id]?.Type !== 'AWS::S3::Bucket') throw new Error(`${manifests.resources.bucket.env} is not a bucket`);
  return id;
}

/** Logical id of the web page's bucket: the destination of the (one) BucketDeployment. */
export function webBucketId(t: Template): string {
  const deployments = ofType(t, 'Custom::CDKBucketDeployment');
  if (deployments.length !== 1) throw new Error(`expected one BucketDeployment, found ${deployments.length}`);
  return refTarget(deployments[0][1].DestinationBucketName);
}

/** Logical ids of the roles of the BucketDeployment handlers (CDK's own function, not a manifest's). */
export function deployerRoleIds(t: Template): Set<string> {
  return new Set(
    ofType(t, 'Custom::CDKBucketDeployment').map(([, p]) => refTarget(resources(t)[refTarget(p.ServiceToken)].Properties.Role)),
  );
}

/** Logical id of the API Gateway v2 API of protocol `protocol` (the stack has one HTTP and one WebSocket API). */
export function apiId(t: Template, protocol: 'HTTP' | 'WEBSOCKET'): string {
  const found = ofType(t, 'AWS::ApiGatewayV2::Api').filter(([, p]) => p.ProtocolType === protocol);
  if (found.length !== 1) throw new Error(`expected one ${protocol} API, found ${found.length}`);
  return found[0][0];
}

/** The routes (logical id, properties) of the API with logical id `api`. */
export function routesOf(t: Template, api: string): [string, Json][] {
  return ofType(t, 'AWS::ApiGatewayV2::Route').filter(([, p]) => refTarget(p.ApiId) === api);
}

/** The integration (logical id, properties) a route's `Target` (`integrations/<id>`) points at. */
export function integrationOf(t: Template, route: Json): [string, Json] {
  const integrationId = route.Target['Fn::Join'][1][1].Ref;
  return [integrationId, resources(t)[integrationId].Properties];
}

/**
 * The logical id of the function behind route properties `route`: the one Lambda function its integration's
 * URI refers to (a plain GetAtt for HTTP, an `arn:…:apigateway:…/functions/<arn>/invocations` join for WebSocket).
 */
export function routeFunctionId(t: Template, route: Json): string {
  const [, integration] = integrationOf(t, route);
  const fns = [...referencedIds(integration.IntegrationUri)].filter((id) => resources(t)[id]?.Type === 'AWS::Lambda::Function');
  if (fns.length !== 1) throw new Error(`expected one function behind ${route.RouteKey}, found ${fns.length}`);
  return fns[0];
}

/** A deep copy of the manifests, for tests that change them. */
export function cloneManifests(m: Manifests = manifests): Json {
  return JSON.parse(JSON.stringify(m));
}

/** The one alarm of a function: errors + throttles (metric math) of the function `functionId`. */
export function errorsOrThrottlesAlarm(functionId: string): Record<string, unknown> {
  const dimensions = [{ Name: 'FunctionName', Value: { Ref: functionId } }];
  const metric = (id: string, metricName: string) =>
    Match.objectLike({
      Id: id,
      MetricStat: Match.objectLike({
        Metric: { Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: dimensions },
        Stat: 'Sum',
      }),
      ReturnData: false,
    });
  return {
    Metrics: Match.arrayWith([
      Match.objectLike({ Expression: 'FILL(errors, 0) + FILL(throttles, 0)' }),
      metric('errors', 'Errors'),
      metric('throttles', 'Throttles'),
    ]),
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    Threshold: 1,
    AlarmActions: Match.anyValue(),
  };
}
