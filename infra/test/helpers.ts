// Shared test helpers: synthesize the stack from the manifests (with cdk.json's feature flags, so the
// template under test is the one `cdk synth` produces) and find resources by what they are, never by
// hashed logical ids: functions by their `forgeflow:function` tag, queues and KMS keys through the
// environment variables the functions receive, roles and DLQs through the references between resources.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Annotations, App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ForgeflowStack, DEFAULT_SETTINGS, type ForgeflowSettings } from '../lib/forgeflow-stack';
import { loadManifests, type Manifests } from '../lib/manifest';
import { FUNCTION_TAG } from '../lib/rust-function';

export const manifests: Manifests = loadManifests();

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
export type Resources = Record<string, { Type: string; Properties?: Json }>;

function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));
  return cdkJson.context ?? {};
}

// Cloud assemblies go to one temporary directory, removed when the test process ends.
const outRoot = mkdtempSync(path.join(tmpdir(), 'forgeflow-cdk-test-'));
process.on('exit', () => rmSync(outRoot, { recursive: true, force: true }));

/** Builds the stack from `m` (default: the real manifests) and returns its template. */
export function synth(m: Manifests = manifests, settings: ForgeflowSettings = DEFAULT_SETTINGS): Template {
  const app = new App({ context: cdkJsonContext(), outdir: mkdtempSync(path.join(outRoot, 'app-')) });
  const stack = new ForgeflowStack(app, 'Test', { manifests: m, settings });
  // Tests run without a Rust build on purpose: the placeholder-code warning is expected here.
  Annotations.of(stack).acknowledgeWarning('forgeflow:placeholder-code');
  return Template.fromStack(stack);
}

let cached: Template | undefined;
/** The template of the real manifests, synthesized once per test file. */
export function template(): Template {
  cached ??= synth();
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
  const [, fn] = ofType(t, 'AWS::Lambda::Function')[0];
  return refTarget(fn.Environment.Variables[env]);
}

/** Logical id of the KMS key whose ARN every function receives in environment variable `env`. */
export function keyIdFromEnv(t: Template, env: string): string {
  const [, fn] = ofType(t, 'AWS::Lambda::Function')[0];
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

/** Every IAM statement attached (through AWS::IAM::Policy) to the role of function `name`. */
export function statementsOf(t: Template, name: string): Statement[] {
  const fn = resources(t)[functionId(t, name)].Properties;
  const roleId = refTarget(fn.Role);
  return ofType(t, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Roles ?? []).some((r: Json) => r.Ref === roleId))
    .flatMap(([, p]) => p.PolicyDocument.Statement as Statement[]);
}

export function actionsOf(statements: Statement[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

/** The unique function names in routes.json. */
export function routeFunctions(m: Manifests = manifests): string[] {
  return [...new Set(m.routes.map((r) => r.function))];
}

/** The function names in workers.json. */
export function workerFunctions(m: Manifests = manifests): string[] {
  return m.workers.map((w) => w.function);
}

/** Every function of the stack: route functions, then workers. */
export function allFunctions(m: Manifests = manifests): string[] {
  return [...routeFunctions(m), ...workerFunctions(m)];
}

/** The manifest `permissions` of function `name` (a route function or a worker). */
export function permissionsOf(name: string, m: Manifests = manifests): readonly string[] {
  const found = m.routes.find((r) => r.function === name) ?? m.workers.find((w) => w.function === name);
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

/** Logical id of the S3 bucket (the stack has exactly one). */
export function bucketId(t: Template): string {
  const [[id], ...rest] = ofType(t, 'AWS::S3::Bucket');
  if (rest.length > 0) throw new Error('expected one bucket');
  return id;
}

/** A deep copy of the manifests, for tests that change them. */
export function cloneManifests(m: Manifests = manifests): Json {
  return JSON.parse(JSON.stringify(m));
}
