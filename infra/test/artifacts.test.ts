// The real Lambda code, as `cdk synth` staged it in infra/cdk.out (scripts/test-infra.sh synthesizes there,
// after `make package` and without the placeholder opt-in): every manifest function is in the template, its
// Handler is its name (the multi-call binary dispatches on it), and its asset holds an executable 64-bit ELF
// `bootstrap` for the template's Architectures. The other tests use placeholder code, so this is the one
// that proves the binaries deploy. Without infra/cdk.out it fails rather than skips, so a green run always
// means the binaries were checked; FORGEFLOW_SKIP_ARTIFACT_TEST=1 skips it on purpose.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { inspectBootstrapFile, inspectBootstrapZip, type Bootstrap } from '../lib/lambda-artifact';
import { functionNames, loadManifests } from '../lib/manifest';
import { FUNCTION_TAG } from '../lib/rust-function';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const CDK_OUT = path.resolve(__dirname, '..', 'cdk.out');
const skip = process.env.FORGEFLOW_SKIP_ARTIFACT_TEST === '1' ? 'FORGEFLOW_SKIP_ARTIFACT_TEST=1' : false;

interface DeployedFunction {
  readonly name: string;
  readonly props: Json;
  readonly template: string;
}

/** The tagged (manifest) functions of every stack template in the assembly. */
function deployedFunctions(): DeployedFunction[] {
  return readdirSync(CDK_OUT)
    .filter((f) => f.endsWith('.template.json'))
    .flatMap((template) => {
      const resources: Record<string, Json> = JSON.parse(readFileSync(path.join(CDK_OUT, template), 'utf8')).Resources ?? {};
      return Object.values(resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map((r) => ({ props: r.Properties, tag: (r.Properties.Tags ?? []).find((t: Json) => t.Key === FUNCTION_TAG) }))
        .filter(({ tag }) => tag !== undefined)
        .map(({ props, tag }) => ({ name: tag.Value as string, props, template }));
    });
}

/** The staged code of a function: `asset.<hash>.zip` (a zip asset) or `asset.<hash>/` (a directory asset). */
function inspectCode(fn: DeployedFunction): Bootstrap {
  const key = fn.props.Code?.S3Key;
  assert.equal(typeof key, 'string', `${fn.name}: Code.S3Key is not a plain asset key: ${JSON.stringify(fn.props.Code)}`);
  const hash = key.replace(/\.zip$/, '');
  const zip = path.join(CDK_OUT, `asset.${hash}.zip`);
  const dir = path.join(CDK_OUT, `asset.${hash}`);
  if (existsSync(zip)) return inspectBootstrapZip(zip);
  if (existsSync(dir) && statSync(dir).isDirectory()) return inspectBootstrapFile(path.join(dir, 'bootstrap'));
  throw new Error(`${fn.name}: neither ${zip} nor ${dir}/ is in the assembly`);
}

describe('lambda artifacts staged in infra/cdk.out', { skip }, () => {
  if (!existsSync(CDK_OUT)) {
    it('finds the synthesized assembly', () => {
      assert.fail(
        `${CDK_OUT} does not exist: run \`make package\`, then \`bash scripts/test-infra.sh\` (it synthesizes the ` +
          'real artifacts there before the tests), or set FORGEFLOW_SKIP_ARTIFACT_TEST=1 to skip this test',
      );
    });
    return;
  }
  const manifests = loadManifests();
  const deployed = deployedFunctions();

  it('has every manifest function, once', () => {
    assert.deepEqual(deployed.map((f) => f.name).sort(), [...functionNames(manifests)].sort());
  });

  it('gives the HTTP and WebSocket functions one shared code asset (the multi-call binary)', () => {
    const api = new Set([...manifests.routes, ...manifests.websocket.routes].map((r) => r.function));
    const keys = new Set(deployed.filter((f) => api.has(f.name)).map((f) => f.props.Code?.S3Key));
    assert.equal(keys.size, 1, `the API functions' code assets: ${[...keys].join(', ')}`);
  });

  for (const fn of deployed) {
    it(`${fn.name}: handler ${fn.name}, an executable ELF bootstrap for its architecture`, () => {
      assert.equal(fn.props.Handler, fn.name, `${fn.name}: Handler (the binary dispatches on _HANDLER)`);
      const wanted = fn.props.Architectures?.[0] ?? 'x86_64';
      const found = inspectCode(fn);
      assert.ok((found.mode & 0o111) !== 0, `${fn.name}: bootstrap is executable`);
      assert.equal(found.machine, wanted, `${fn.name}: ELF e_machine 0x${found.eMachine.toString(16)} vs Architectures ${wanted}`);
    });
  }
});
