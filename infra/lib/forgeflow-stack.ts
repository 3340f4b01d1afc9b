// The Forgeflow stack: wires the constructs (data, queues, HTTP API, WebSocket API, workers, web page,
// monitoring) and grants each function exactly what its manifest entry asks for. Everything variable comes from the manifests, which
// are an argument (`props.manifests`): the app passes the repository's, tests pass synthetic ones.
import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct, Node } from 'constructs';
import { applyCheckovSkips } from './checkov';
import { Data } from './data';
import { HttpApi } from './http-api';
import { checkManifests, functionNames, type Manifests } from './manifest';
import { Monitoring } from './monitoring';
import { applyPermissions, grantGuard } from './permissions';
import { WorkerQueues } from './queues';
import { lambdaArtifacts, packageCommand, placeholderCodeAllowed, type RustFunction } from './rust-function';
import { WebHosting } from './web';
import { WebSocketApi, WS_ENDPOINT_ENV } from './websocket-api';
import { Workers } from './workers';

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
  readonly webSocket: WebSocketApi;
  readonly workers: Workers;
  readonly web: WebHosting;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: ForgeflowStackProps) {
    super(scope, id, props);
    checkManifests(props.manifests);
    const { routes, resources, workers, websocket } = props.manifests;
    const settings = props.settings ?? settingsFromContext(this.node);
    const throttle = { rateLimit: settings.throttleRateLimit, burstLimit: settings.throttleBurstLimit };
    // Every function's code is checked before any is built, so one error names all that are missing or wrong.
    const artifacts = lambdaArtifacts(functionNames(props.manifests), placeholderCodeAllowed(this.node));

    // The web page's bucket and distribution come first: the API's and the bucket's CORS name its origin.
    this.web = new WebHosting(this, 'Web');
    const corsOrigins = withWebOrigin(settings.corsOrigins, this.web.origin);

    this.data = new Data(this, 'Data', { resources, pageOrigins: corsOrigins });
    this.queues = new WorkerQueues(this, 'Queues', { queues: resources.queues });
    this.webSocket = new WebSocketApi(this, 'WebSocket', { spec: websocket, throttle });

    // Resource names reach functions only through these variables; the local stack sets the same ones.
    // Workers get the same set as routes (one contract for every binary): the secret's and the keys'
    // ARNs are not sensitive, and using them still needs `secret:<id>` / `key:<id>:…` in the permissions.
    const environment: Record<string, string> = {
      RUST_LOG: 'info',
      [resources.table.env]: this.data.table.tableName,
      [resources.bucket.env]: this.data.bucket.bucketName,
    };
    for (const spec of resources.secrets) environment[spec.env] = this.data.secrets.get(spec.id)!.secretArn;
    // The key ARN: the Rust code passes it as KeyId to kms:Encrypt (an ARN or a key id both work there).
    for (const spec of resources.keys) environment[spec.env] = this.data.keys.get(spec.id)!.keyArn;
    for (const { spec, queue } of this.queues.all) environment[spec.env] = queue.queueUrl;
    // Where workers (and $default) post progress frames: the WebSocket stage's management endpoint.
    environment[WS_ENDPOINT_ENV] = this.webSocket.callbackUrl;

    this.httpApi = new HttpApi(this, 'Http', { routes, environment, artifacts, throttle, corsOrigins });

    // Worker functions: SQS consumers (event source on their queue) and scheduled ones (EventBridge rule).
    this.workers = new Workers(this, 'Workers', { workers, queues: this.queues, environment, artifacts });
    this.webSocket.addRouteFunctions(environment, artifacts);

    const grantTargets = {
      table: this.data.table,
      bucket: this.data.bucket,
      queues: new Map([...this.queues.byId].map(([id, wq]) => [id, wq.queue])),
      secrets: this.data.secrets,
      keys: this.data.keys,
      webSocketStage: this.webSocket.stage,
    };
    const routePermissions = new Map<string, readonly string[]>(routes.map((r) => [r.function, r.permissions]));
    for (const [name, rf] of this.httpApi.functions) {
      applyPermissions(rf.fn, name, routePermissions.get(name) ?? [], grantTargets, 'route');
      grantGuard(rf.fn, name, this.data.table);
    }
    for (const spec of workers) {
      applyPermissions(this.workers.functions.get(spec.function)!.fn, spec.function, spec.permissions, grantTargets, 'worker');
    }
    for (const spec of websocket.routes) {
      const fn = this.webSocket.functions.get(spec.function)!.fn;
      applyPermissions(fn, spec.function, spec.permissions, grantTargets, 'websocket');
    }

    // Every function of the stack, by binary name (checkManifests keeps the names of the three manifests apart).
    const functions = new Map<string, RustFunction>([
      ...this.httpApi.functions,
      ...this.workers.functions,
      ...this.webSocket.functions,
    ]);
    const lambdas = new Map<string, lambda.Function>([...functions].map(([name, rf]) => [name, rf.fn]));

    this.monitoring = new Monitoring(this, 'Monitoring', { alarmEmail: settings.alarmEmail });
    for (const { spec, dlq } of this.queues.all) this.monitoring.watchDeadLetterQueue(spec.id, dlq);
    for (const [name, fn] of lambdas) this.monitoring.watchFunction(name, fn);

    const placeholders = [...functions.values()].filter((f) => f.usesPlaceholder).map((f) => f.functionName);
    if (placeholders.length > 0) {
      Annotations.of(this).addWarningV2(
        'forgeflow:placeholder-code',
        `${placeholders.length} function(s) use placeholder code that exits 1 (${placeholders.join(', ')}), as ` +
          `opted in (forgeflow:placeholderCode / FORGEFLOW_PLACEHOLDER_CODE): run \`${packageCommand()}\` at the ` +
          'repository root before deploying.',
      );
    }

    this.web.deploy({ apiUrl: this.httpApi.url, wsUrl: this.webSocket.url });

    new CfnOutput(this, 'HttpApiUrl', { value: this.httpApi.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocket.url, description: 'WebSocket URL (live progress)' });
    new CfnOutput(this, 'WebUrl', { value: `${this.web.origin}/`, description: 'The web page (CloudFront)' });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName, description: 'DynamoDB table' });
    new CfnOutput(this, 'BucketName', { value: this.data.bucket.bucketName, description: 'Artifacts bucket' });
    // Where an operator puts the deployment's own provider keys (`{"key": "…"}`) after deploying.
    for (const spec of resources.secrets.filter((s) => s.provided !== undefined)) {
      const id = `${spec.id.charAt(0).toUpperCase()}${spec.id.slice(1)}KeySecret`;
      new CfnOutput(this, id, { value: this.data.secrets.get(spec.id)!.secretArn, description: spec.description });
    }

    // Last, once every resource exists: the checkov checks this design does not meet, each with its reason.
    applyCheckovSkips(this);
  }
}

/**
 * The browser origins the HTTP API (and the artifacts bucket, for presigned GETs) allow. `*` stays `*`: it
 * includes the web page's origin, and the API authenticates with a bearer token in the Authorization
 * header, never a cookie, so a page on another origin can do nothing without a token. Any explicit list
 * (or none) gets the web page's CloudFront origin added, so the page always works.
 */
export function withWebOrigin(origins: readonly string[], webOrigin: string): string[] {
  return origins.includes('*') ? ['*'] : [...origins, webOrigin];
}
