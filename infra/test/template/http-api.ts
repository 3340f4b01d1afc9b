// Every route in routes.json becomes an API Gateway route backed by its own Rust Lambda.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { FUNCTION_TAG } from '../../lib/rust-function';
import { allFunctions, functionId, manifests, ofType, refTarget, resources, routeFunctions, template, workerFunctions } from '../helpers';

describe('http api', () => {
  const t = template();

  it('has one route per manifest entry, with the manifest route key', () => {
    for (const route of manifests.routes) {
      t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `${route.method} ${route.path}` });
    }
    assert.equal(ofType(t, 'AWS::ApiGatewayV2::Route').length, manifests.routes.length);
  });

  it('sends every route to the function the manifest names', () => {
    for (const route of manifests.routes) {
      const [[, props]] = ofType(t, 'AWS::ApiGatewayV2::Route').filter(
        ([, p]) => p.RouteKey === `${route.method} ${route.path}`,
      );
      const integrationId = props.Target['Fn::Join'][1][1].Ref;
      const integration = resources(t)[integrationId].Properties;
      assert.equal(integration.IntegrationType, 'AWS_PROXY');
      assert.equal(integration.PayloadFormatVersion, '2.0');
      assert.equal(refTarget(integration.IntegrationUri), functionId(t, route.function), route.path);
    }
  });

  it('gives every function the manifest memory and timeout on provided.al2023 arm64', () => {
    for (const route of manifests.routes) {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Tags: Match.arrayWith([{ Key: FUNCTION_TAG, Value: route.function }]),
        MemorySize: route.memory_mb,
        Timeout: route.timeout_s,
        Runtime: 'provided.al2023',
        Architectures: ['arm64'],
        Handler: 'bootstrap',
      });
    }
    // Plus one function per worker (workers.ts tests those).
    assert.equal(ofType(t, 'AWS::Lambda::Function').length, routeFunctions().length + workerFunctions().length);
  });

  it('passes resource names only through the documented environment variables, to routes and workers alike', () => {
    const { table, bucket, queues, secrets, keys } = manifests.resources;
    const expected: Record<string, unknown> = {
      RUST_LOG: 'info',
      [table.env]: Match.anyValue(),
      [bucket.env]: Match.anyValue(),
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
