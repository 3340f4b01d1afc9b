// Every route in routes.json becomes an API Gateway route backed by its own Rust Lambda.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { FUNCTION_TAG, lambdaArchitecture } from '../../lib/rust-function';
import { WS_ENDPOINT_ENV } from '../../lib/websocket-api';
import {
  allFunctions,
  apiId,
  functionId,
  integrationOf,
  manifests,
  ofType,
  refTarget,
  resources,
  routeFunctionId,
  routesOf,
  taggedFunctions,
  template,
} from '../helpers';

describe('http api', () => {
  const t = template();

  it('has one route per manifest entry, with the manifest route key', () => {
    const http = apiId(t, 'HTTP');
    const keys = routesOf(t, http).map(([, p]) => p.RouteKey).sort();
    assert.deepEqual(keys, manifests.routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('sends every route to the function the manifest names', () => {
    const http = apiId(t, 'HTTP');
    for (const route of manifests.routes) {
      const [[, props]] = routesOf(t, http).filter(([, p]) => p.RouteKey === `${route.method} ${route.path}`);
      const [, integration] = integrationOf(t, props);
      assert.equal(integration.IntegrationType, 'AWS_PROXY');
      assert.equal(integration.PayloadFormatVersion, '2.0');
      assert.equal(refTarget(integration.IntegrationUri), functionId(t, route.function), route.path);
      assert.equal(routeFunctionId(t, props), functionId(t, route.function), route.path);
    }
  });

  it('serves the execution events route (GET /executions/{id}/events) from executions-events', () => {
    const [[, props], ...rest] = routesOf(t, apiId(t, 'HTTP')).filter(([, p]) => p.RouteKey === 'GET /executions/{id}/events');
    assert.equal(rest.length, 0);
    assert.equal(routeFunctionId(t, props), functionId(t, 'executions-events'));
  });

  it('gives every function the manifest memory and timeout on provided.al2023, the configured architecture, handler = its name', () => {
    for (const route of manifests.routes) {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Tags: Match.arrayWith([{ Key: FUNCTION_TAG, Value: route.function }]),
        MemorySize: route.memory_mb,
        Timeout: route.timeout_s,
        Runtime: 'provided.al2023',
        Architectures: [lambdaArchitecture().name],
        Handler: route.function,
      });
    }
    // Plus one function per worker (workers.ts) and per WebSocket route (websocket.ts); the only other
    // function is CDK's web deployment handler (web.ts).
    assert.deepEqual(
      taggedFunctions(t).map(([id]) => id).sort(),
      allFunctions().map((name) => functionId(t, name)).sort(),
    );
    assert.equal(ofType(t, 'AWS::Lambda::Function').length, allFunctions().length + 1);
  });

  it('passes resource names only through the documented environment variables, to routes and workers alike', () => {
    const { table, bucket, queues, secrets, keys } = manifests.resources;
    const expected: Record<string, unknown> = {
      RUST_LOG: 'info',
      [table.env]: Match.anyValue(),
      [bucket.env]: Match.anyValue(),
      [WS_ENDPOINT_ENV]: Match.anyValue(),
    };
    for (const q of queues) expected[q.env] = Match.anyValue();
    for (const s of secrets) expected[s.env] = Match.anyValue();
    for (const k of keys) expected[k.env] = Match.anyValue();
    assert.ok('FORGEFLOW_JWT_SECRET_ID' in expected);
    assert.ok('FORGEFLOW_CREDENTIALS_KEY_ID' in expected);
    for (const name of allFunctions()) {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Tags: Match.arrayWith([{ Key: FUNCTION_TAG, Value: name }]),
        Environment: { Variables: Match.objectEquals(expected) },
      });
    }
  });

  it('allows any origin by default (bearer tokens, no cookies), with the methods and headers the API uses', () => {
    const cors = resources(t)[apiId(t, 'HTTP')].Properties.CorsConfiguration;
    assert.deepEqual(cors.AllowOrigins, ['*']);
    assert.deepEqual(cors.AllowHeaders, ['authorization', 'content-type']);
    assert.deepEqual([...cors.AllowMethods].sort(), [...new Set(manifests.routes.map((r) => r.method))].sort());
    assert.equal(cors.AllowCredentials, undefined, 'no credentials (cookies) with a * origin');
  });

  it('throttles the $default stage', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: Match.anyValue(), ThrottlingRateLimit: Match.anyValue() },
    });
  });

  it('outputs the API URL, the table name and the bucket name', () => {
    t.hasOutput('HttpApiUrl', { Value: Match.anyValue() });
    t.hasOutput('TableName', { Value: Match.anyValue() });
    t.hasOutput('BucketName', { Value: Match.anyValue() });
  });
});
