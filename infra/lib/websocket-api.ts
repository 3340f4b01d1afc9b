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
import { Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Construct } from 'constructs';
import type { WebSocketSpec } from './manifest';
import { RustFunction, type LambdaArtifact } from './rust-function';

/** The variable holding the stage's management endpoint (`https://{api}.execute-api.{region}.amazonaws.com/live`). */
export const WS_ENDPOINT_ENV = 'FORGEFLOW_WS_ENDPOINT';

export interface WebSocketApiProps {
  readonly spec: WebSocketSpec;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
}

export class WebSocketApi extends Construct {
  readonly api: apigw.WebSocketApi;
  readonly stage: apigw.WebSocketStage;
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
    this.stage = new apigw.WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.spec.stage,
      autoDeploy: true,
      throttle: props.throttle,
    });
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
