// The HTTP API from manifest/routes.json: one Rust Lambda per function named in the manifest and one
// route per entry (payload format 2.0, what `lambda_http` expects). Adding a route is a manifest line.
import { Duration, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ACCESS_LOG_RETENTION, encryptedLogGroup } from './logs';
import type { RouteSpec } from './manifest';
import { RustFunction, type LambdaArtifact } from './rust-function';

export interface HttpApiProps {
  readonly routes: readonly RouteSpec[];
  /** Environment shared by every function (resource names, log level). */
  readonly environment: Record<string, string>;
  /** Every function's checked code (`lambdaArtifacts`). */
  readonly artifacts: ReadonlyMap<string, LambdaArtifact>;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Browser origins allowed by CORS; empty = no CORS preflight configuration. */
  readonly corsOrigins: string[];
}

/**
 * One JSON line per request in the stage's access log: who (source address, user agent), what (route, path
 * without the query string), the outcome and the timings. Never a header or a body, so never a token.
 */
export const HTTP_ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  requestTime: '$context.requestTime',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
};

/** A function may serve several routes, but then every route must ask for the same settings. */
function functionSpecs(routes: readonly RouteSpec[]): Map<string, RouteSpec> {
  const specs = new Map<string, RouteSpec>();
  for (const route of routes) {
    const seen = specs.get(route.function);
    if (!seen) {
      specs.set(route.function, route);
      continue;
    }
    const same =
      seen.memory_mb === route.memory_mb &&
      seen.timeout_s === route.timeout_s &&
      [...seen.permissions].sort().join() === [...route.permissions].sort().join();
    if (!same) {
      throw new Error(`function ${route.function} is used by several routes with different memory/timeout/permissions`);
    }
  }
  return specs;
}

export class HttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  /** The $default stage's access log (one JSON line per request, HTTP_ACCESS_LOG_FIELDS). */
  readonly accessLogs: logs.LogGroup;
  /** The route functions by binary name. */
  readonly functions: ReadonlyMap<string, RustFunction>;

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);

    const functions = new Map<string, RustFunction>();
    for (const [name, spec] of functionSpecs(props.routes)) {
      functions.set(
        name,
        new RustFunction(this, name, {
          functionName: name,
          artifacts: props.artifacts,
          memoryMb: spec.memory_mb,
          timeoutS: spec.timeout_s,
          environment: props.environment,
          description: `Forgeflow ${name} (${spec.method} ${spec.path})`,
        }),
      );
    }
    this.functions = functions;

    const methods = [...new Set(props.routes.map((r) => r.method))];
    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-http`,
      description: 'Forgeflow HTTP API',
      createDefaultStage: false,
      corsPreflight:
        props.corsOrigins.length === 0
          ? undefined
          : {
              allowOrigins: props.corsOrigins,
              allowMethods: methods.map((m) => apigw.CorsHttpMethod[m]),
              allowHeaders: ['authorization', 'content-type'],
              maxAge: Duration.hours(1),
            },
    });
    // The $default stage is created here rather than by HttpApi so it can carry throttling and access logs
    // (which an HTTP API writes through its service-linked role: no account setting, unlike WebSocket APIs).
    this.accessLogs = encryptedLogGroup(this, 'AccessLogs', { retention: ACCESS_LOG_RETENTION });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(HTTP_ACCESS_LOG_FIELDS)),
      },
    });

    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const route of props.routes) {
      let integration = integrations.get(route.function);
      if (!integration) {
        const fn: lambda.IFunction = functions.get(route.function)!.fn;
        integration = new HttpLambdaIntegration(`${route.function}-integration`, fn);
        integrations.set(route.function, integration);
      }
      this.api.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration,
      });
    }
  }

  /** The invoke URL of the $default stage (ends with "/"). */
  get url(): string {
    return this.stage.url;
  }
}
