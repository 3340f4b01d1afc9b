// The Forgeflow stack: wires the constructs (data, queues, HTTP API, monitoring) and grants each
// function exactly what its manifest entry asks for. Everything variable comes from the manifests.
import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct, Node } from 'constructs';
import { Data } from './data';
import { HttpApi } from './http-api';
import type { Manifests } from './manifest';
import { Monitoring } from './monitoring';
import { applyPermissions } from './permissions';
import { WorkerQueues } from './queues';
import type { RustFunction } from './rust-function';

/** Deployment settings that are not part of the manifests (all have defaults; see README.md). */
export interface ForgeflowSettings {
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly corsOrigins: string[];
  readonly alarmEmail?: string;
}

export const DEFAULT_SETTINGS: ForgeflowSettings = {
  throttleRateLimit: 50,
  throttleBurstLimit: 100,
  corsOrigins: ['*'],
};

/** Reads `forgeflow:*` context values (`cdk deploy -c forgeflow:throttleRate=100`, or cdk.json). */
export function settingsFromContext(node: Node): ForgeflowSettings {
  const num = (key: string, fallback: number): number => {
    const raw = node.tryGetContext(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`context ${key} must be a number >= 0, got ${raw}`);
    return value;
  };
  const origins = node.tryGetContext('forgeflow:corsOrigins');
  return {
    throttleRateLimit: num('forgeflow:throttleRate', DEFAULT_SETTINGS.throttleRateLimit),
    throttleBurstLimit: num('forgeflow:throttleBurst', DEFAULT_SETTINGS.throttleBurstLimit),
    corsOrigins:
      origins === undefined
        ? DEFAULT_SETTINGS.corsOrigins
        : Array.isArray(origins)
          ? origins.map(String)
          : String(origins).split(',').map((o) => o.trim()).filter((o) => o.length > 0),
    alarmEmail: node.tryGetContext('forgeflow:alarmEmail') || undefined,
  };
}

export interface ForgeflowStackProps extends StackProps {
  readonly manifests: Manifests;
  readonly settings?: ForgeflowSettings;
}

export class ForgeflowStack extends Stack {
  readonly data: Data;
  readonly queues: WorkerQueues;
  readonly httpApi: HttpApi;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: ForgeflowStackProps) {
    super(scope, id, props);
    const { routes, resources } = props.manifests;
    const settings = props.settings ?? settingsFromContext(this.node);

    this.data = new Data(this, 'Data', { resources, downloadOrigins: settings.corsOrigins });
    this.queues = new WorkerQueues(this, 'Queues', { queues: resources.queues });

    // Resource names reach functions only through these variables; the local stack sets the same ones.
    const environment: Record<string, string> = {
      RUST_LOG: 'info',
      [resources.table.env]: this.data.table.tableName,
      [resources.bucket.env]: this.data.bucket.bucketName,
    };
    for (const spec of resources.secrets) environment[spec.env] = this.data.secrets.get(spec.id)!.secretArn;
    for (const { spec, queue } of this.queues.all) environment[spec.env] = queue.queueUrl;

    this.httpApi = new HttpApi(this, 'Http', {
      routes,
      environment,
      throttle: { rateLimit: settings.throttleRateLimit, burstLimit: settings.throttleBurstLimit },
      corsOrigins: settings.corsOrigins,
    });

    // Every function of the stack, by binary name. Worker functions (SQS consumers), once a manifest
    // lists them, are created the same way and added here: their queues then get an event source.
    const functions = new Map<string, RustFunction>(this.httpApi.functions);
    const permissionsOf = new Map<string, readonly string[]>(routes.map((r) => [r.function, r.permissions]));
    const grantTargets = { table: this.data.table, secrets: this.data.secrets };
    for (const [name, rf] of functions) {
      applyPermissions(rf.fn, name, permissionsOf.get(name) ?? [], grantTargets);
    }
    const lambdas = new Map<string, lambda.Function>([...functions].map(([name, rf]) => [name, rf.fn]));
    this.queues.attachConsumers(lambdas);

    this.monitoring = new Monitoring(this, 'Monitoring', { alarmEmail: settings.alarmEmail });
    for (const { spec, dlq } of this.queues.all) this.monitoring.watchDeadLetterQueue(spec.id, dlq);
    for (const [name, fn] of lambdas) this.monitoring.watchFunction(name, fn);

    const placeholders = [...functions.values()].filter((f) => f.usesPlaceholder).map((f) => f.functionName);
    if (placeholders.length > 0) {
      Annotations.of(this).addWarningV2(
        'forgeflow:placeholder-code',
        `${placeholders.length} function(s) use placeholder code (${placeholders.join(', ')}): ` +
          'run `cargo lambda build --release --arm64` at the repository root before deploying.',
      );
    }

    new CfnOutput(this, 'HttpApiUrl', { value: this.httpApi.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName, description: 'DynamoDB table' });
    new CfnOutput(this, 'BucketName', { value: this.data.bucket.bucketName, description: 'Artifacts bucket' });
  }
}
