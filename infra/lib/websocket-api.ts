// The WebSocket API from manifest/websocket.json (live progress, docs/progress.md): one API, one stage
// (`stage`, e.g. `live`, with throttling) and one Rust Lambda per route (`$connect`, `$disconnect`,
// `$default`). There is no API Gateway authorizer: `$connect`'s function checks the JWT (query parameter or
// subprotocol), as the HTTP functions do. Workers and `$default` push frames to clients through the stage's
// management endpoint (`callbackUrl`, given to every function as FORGEFLOW_WS_ENDPOINT), which needs
// `connections:manage` (permissions.ts).
//
// Built in two steps because every function's environment holds the callback URL: the constructor creates
// the API and the stage, and `addRouteFunctions` (called once the shared environment is complete) creates the
// route functions and routes.
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat, CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ACCESS_LOG_RETENTION, encryptedLogGroup } from './logs';
import type { WebSocketSpec } from './manifest';
import { RustFunction, type LambdaArtifact } from './rust-function';

/** The variable holding the stage's management endpoint (`https://{api}.execute-api.{region}.amazonaws.com/live`). */
export const WS_ENDPOINT_ENV = 'FORGEFLOW_WS_ENDPOINT';

/**
 * One JSON line per connect, message and disconnect in the stage's access log. Never the query string: the
 * `$connect` request may carry the JWT there.
 */
export const WS_ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  requestTime: '$context.requestTime',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  connectionId: '$context.connectionId',
  status: '$context.status',
  integrationLatencyMs: '$context.integrationLatency',
  error: '$context.error.message',
  integrationError: '$context.integration.error',
};

export interface WebSocketApiProps {
  readonly spec: WebSocketSpec;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
}

export class WebSocketApi extends Construct {
  readonly api: apigw.WebSocketApi;
  readonly stage: apigw.WebSocketStage;
  /** The stage's access log (one JSON line per event, WS_ACCESS_LOG_FIELDS). */
  readonly accessLogs: logs.LogGroup;
  /** The account's API Gateway CloudWatch role setting, which a WebSocket stage's logging needs. */
  readonly account: CfnAccount;
  private readonly spec: WebSocketSpec;
  private readonly byName = new Map<string, RustFunction>();

  constructor(scope: Construct, id: string, props: WebSocketApiProps) {
    super(scope, id);
    this.spec = props.spec;
    this.api = new apigw.WebSocketApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-ws`,
      description: 'Forgeflow live progress (WebSocket)',
      // The protocol's frames carry "action" (subscribe, unsubscribe, ping); websocket.json routes them
      // all to $default today, and a custom route key would match on this field.
      routeSelectionExpression: '$request.body.action',
    });
    // API Gateway writes a WebSocket (or REST) stage's logs with the role of the account's API Gateway
    // settings, one per account and region; without it, a stage with access logs fails to deploy. This sets it
    // to a role with AWS's AmazonAPIGatewayPushToCloudWatchLogs policy. Both are retained with the stack: the
    // setting outlives it, and other APIs of the account may log through the role.
    const cloudWatchRole = new iam.Role(this, 'CloudWatchRole', {
      description: 'API Gateway: writes the execution and access logs of REST and WebSocket APIs (account setting)',
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    cloudWatchRole.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.account = new CfnAccount(this, 'Account', { cloudWatchRoleArn: cloudWatchRole.roleArn });
    this.account.applyRemovalPolicy(RemovalPolicy.RETAIN);

    this.accessLogs = encryptedLogGroup(this, 'AccessLogs', { retention: ACCESS_LOG_RETENTION });
    this.stage = new apigw.WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.spec.stage,
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(WS_ACCESS_LOG_FIELDS)),
      },
    });
    this.stage.node.addDependency(this.account);
  }

  /** The URL clients connect to: `wss://{api}.execute-api.{region}.amazonaws.com/{stage}`. */
  get url(): string {
    return this.stage.url;
  }

  /** The management endpoint functions post to: `https://{api}.execute-api.{region}.amazonaws.com/{stage}`. */
  get callbackUrl(): string {
    return this.stage.callbackUrl;
  }

  /** The route functions by binary name (empty until `addRouteFunctions`). */
  get functions(): ReadonlyMap<string, RustFunction> {
    return this.byName;
  }

  /** Creates one function per websocket.json route and routes it (once; `environment` is the shared one). */
  addRouteFunctions(
    environment: Record<string, string>,
    artifacts: ReadonlyMap<string, LambdaArtifact>,
  ): ReadonlyMap<string, RustFunction> {
    if (this.byName.size > 0) throw new Error('WebSocket route functions were already added');
    for (const route of this.spec.routes) {
      const rf = new RustFunction(this, route.function, {
        functionName: route.function,
        artifacts,
        memoryMb: route.memory_mb,
        timeoutS: route.timeout_s,
        environment,
        description: `Forgeflow ${route.function} (WebSocket ${route.route})`,
      });
      this.api.addRoute(route.route, {
        integration: new WebSocketLambdaIntegration(`${route.function}-integration`, rf.fn),
      });
      this.byName.set(route.function, rf);
    }
    return this.byName;
  }
}
