// The WebSocket API from websocket.json: one API, the manifest's stage (throttled), one route per entry
// integrated with its own function; execute-api:ManageConnections exactly for the functions that list
// `connections:manage`, scoped to this API's stage; and FORGEFLOW_WS_ENDPOINT (the stage's management
// endpoint) in every function's environment.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { FUNCTION_TAG, lambdaArchitecture } from '../../lib/rust-function';
import { WS_ENDPOINT_ENV } from '../../lib/websocket-api';
import {
  actionsOf,
  allFunctions,
  apiId,
  cloneManifests,
  functionId,
  integrationOf,
  manifests,
  ofType,
  permissionsOf,
  referencedIds,
  resources,
  routeFunctionId,
  routesOf,
  statementsOf,
  synth,
  taggedFunctions,
  template,
  workerFunctions,
} from '../helpers';

const { websocket } = manifests;
const MANAGE = 'execute-api:ManageConnections';

describe('websocket api', () => {
  const t = template();

  it('creates one WebSocket API that selects routes on the frames’ "action"', () => {
    const ws = apiId(t, 'WEBSOCKET');
    assert.equal(resources(t)[ws].Properties.RouteSelectionExpression, '$request.body.action');
  });

  it('deploys the manifest stage automatically, with throttling', () => {
    const stages = ofType(t, 'AWS::ApiGatewayV2::Stage').filter(([, p]) => p.ApiId.Ref === apiId(t, 'WEBSOCKET'));
    assert.equal(stages.length, 1);
    const [[, stage]] = stages;
    assert.equal(stage.StageName, websocket.stage);
    assert.equal(stage.AutoDeploy, true);
    assert.ok(stage.DefaultRouteSettings.ThrottlingRateLimit > 0);
    assert.ok(stage.DefaultRouteSettings.ThrottlingBurstLimit > 0);
  });

  it('has exactly the manifest routes ($connect, $disconnect, $default)', () => {
    const keys = routesOf(t, apiId(t, 'WEBSOCKET')).map(([, p]) => p.RouteKey).sort();
    assert.deepEqual(keys, websocket.routes.map((r) => r.route).sort());
    assert.deepEqual(keys, ['$connect', '$default', '$disconnect']);
  });

  it('integrates every route with its own function (Lambda proxy), which API Gateway may invoke for that route', () => {
    const ws = apiId(t, 'WEBSOCKET');
    const seen = new Set<string>();
    for (const spec of websocket.routes) {
      const [[, route]] = routesOf(t, ws).filter(([, p]) => p.RouteKey === spec.route);
      const [, integration] = integrationOf(t, route);
      assert.equal(integration.IntegrationType, 'AWS_PROXY', spec.route);
      const fnId = routeFunctionId(t, route);
      assert.equal(fnId, functionId(t, spec.function), spec.route);
      seen.add(fnId);
      const permissions = ofType(t, 'AWS::Lambda::Permission').filter(
        ([, p]) => referencedIds(p.FunctionName).has(fnId) && p.Principal === 'apigateway.amazonaws.com',
      );
      assert.equal(permissions.length, 1, spec.route);
      const sourceArn = JSON.stringify(permissions[0][1].SourceArn);
      assert.ok(referencedIds(permissions[0][1].SourceArn).has(ws), `${spec.route}: invoke limited to this API`);
      assert.ok(sourceArn.includes(spec.route), `${spec.route}: invoke limited to this route (${sourceArn})`);
    }
    assert.equal(seen.size, websocket.routes.length, 'one function per route');
  });

  it('gives every route function the manifest memory and timeout on provided.al2023, the configured architecture, handler = its name', () => {
    for (const spec of websocket.routes) {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Tags: Match.arrayWith([{ Key: FUNCTION_TAG, Value: spec.function }]),
        MemorySize: spec.memory_mb,
        Timeout: spec.timeout_s,
        Runtime: 'provided.al2023',
        Architectures: [lambdaArchitecture().name],
        Handler: spec.function,
      });
    }
  });

  it('grants execute-api:ManageConnections exactly to the functions that list connections:manage', () => {
    const managers = allFunctions().filter((name) => actionsOf(statementsOf(t, name)).includes(MANAGE));
    const listed = allFunctions().filter((name) => permissionsOf(name).includes('connections:manage'));
    assert.deepEqual(managers, listed);
    assert.ok(listed.includes('ws-default'), 'ws-default answers subscribe/ping through @connections');
  });

  it('lets every worker that publishes progress (step, generate, export) post to the connections', () => {
    for (const name of ['step-worker', 'generate-worker', 'export-worker']) {
      assert.ok(workerFunctions().includes(name), `${name} is a worker`);
      assert.ok(actionsOf(statementsOf(t, name)).includes(MANAGE), `${name} has ${MANAGE}`);
    }
  });

  it('scopes ManageConnections to this API’s stage @connections, nothing wider', () => {
    const ws = apiId(t, 'WEBSOCKET');
    const expected = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':execute-api:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':',
          { Ref: ws },
          `/${websocket.stage}/*/@connections/*`,
        ],
      ],
    };
    let checked = 0;
    for (const name of allFunctions()) {
      for (const s of statementsOf(t, name).filter((st) => actionsOf([st]).some((a) => a.startsWith('execute-api:')))) {
        assert.equal(s.Effect, 'Allow');
        assert.deepEqual(actionsOf([s]), [MANAGE], `${name}: only ManageConnections, alone in its statement`);
        assert.deepEqual(s.Resource, expected, name);
        checked++;
      }
    }
    assert.ok(checked > 0);
  });

  it('gives every function (HTTP routes, workers, WebSocket routes) the stage’s management endpoint', () => {
    const ws = apiId(t, 'WEBSOCKET');
    const endpoint = {
      'Fn::Join': [
        '',
        ['https://', { Ref: ws }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, `/${websocket.stage}`],
      ],
    };
    const functions = taggedFunctions(t);
    assert.equal(functions.length, allFunctions().length);
    for (const [id, fn] of functions) assert.deepEqual(fn.Environment.Variables[WS_ENDPOINT_ENV], endpoint, id);
    for (const name of workerFunctions()) {
      const fn = resources(t)[functionId(t, name)].Properties;
      assert.deepEqual(fn.Environment.Variables[WS_ENDPOINT_ENV], endpoint, name);
    }
  });

  it('outputs the wss:// URL of the stage', () => {
    t.hasOutput('WebSocketUrl', {
      Value: {
        'Fn::Join': [
          '',
          ['wss://', { Ref: apiId(t, 'WEBSOCKET') }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, `/${websocket.stage}`],
        ],
      },
    });
  });

  it('refuses a WebSocket function that is also an HTTP route function or a worker (synthetic manifests)', () => {
    const route = cloneManifests();
    route.websocket.routes[0].function = route.routes[0].function;
    assert.throws(() => synth(route), /websocket\.json: .* is already a function in routes\.json/);
    const worker = cloneManifests();
    worker.websocket.routes[0].function = worker.workers[0].function;
    assert.throws(() => synth(worker), /websocket\.json: .* is already a function in workers\.json/);
  });

  it('builds a custom route key from a synthetic manifest, with its own function', () => {
    const m = cloneManifests();
    m.websocket.routes.push({ route: 'ping', function: 'ws-ping', memory_mb: 128, timeout_s: 5, permissions: [] });
    const t2 = synth(m);
    const [[, route]] = routesOf(t2, apiId(t2, 'WEBSOCKET')).filter(([, p]) => p.RouteKey === 'ping');
    assert.equal(routeFunctionId(t2, route), functionId(t2, 'ws-ping'));
    assert.ok(!actionsOf(statementsOf(t2, 'ws-ping')).includes(MANAGE), 'no connections:manage, no grant');
  });
});
