// Lambda code: the zip/ELF reader, the architecture setting, and the synth's refusal of missing, broken or
// wrong-architecture artifacts (placeholders only on request). Artifacts are fakes built here, under a
// scratch FORGEFLOW_LAMBDA_DIR; test/artifacts.test.ts checks the real ones.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Annotations, App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_SETTINGS, ForgeflowStack } from '../lib/forgeflow-stack';
import { inspectBootstrapZip, storedZip } from '../lib/lambda-artifact';
import { REPO_ROOT, functionNames } from '../lib/manifest';
import { LAMBDA_ARCH_ENV, PLACEHOLDER_CONTEXT, PLACEHOLDER_ENV, lambdaArchitecture, lambdaAssetRoot } from '../lib/rust-function';
import { cdkJsonContext, functionNameOf, manifests, routeFunctions, scratchDir, taggedFunctions, webSocketFunctions } from './helpers';
import { AARCH64, X86_64, elfHeader, fakeBinary, fakeLambdaDir, zipFile, zipOf } from './zip-fixtures';

const ENV = ['FORGEFLOW_LAMBDA_DIR', 'CARGO_TARGET_DIR', LAMBDA_ARCH_ENV, PLACEHOLDER_ENV];
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
function restoreEnv(): void {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
}

const names = functionNames(manifests);
const bootstrapZip = (eMachine: number, mode = 0o755): Buffer => zipOf([{ name: 'bootstrap', data: fakeBinary(eMachine), mode }]);

/**
 * The stack synthesized from the real manifests with `context`, without the helpers' placeholder opt-in, and
 * its warnings (read, then acknowledged so the synth does not print them).
 */
function synthStack(context: Record<string, unknown> = {}): { template: Template; warnings: string[] } {
  const app = new App({ context: { ...cdkJsonContext(), ...context }, outdir: scratchDir('app') });
  const stack = new ForgeflowStack(app, 'Test', { manifests, settings: DEFAULT_SETTINGS });
  const warnings = stack.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
  Annotations.of(stack).acknowledgeWarning('forgeflow:placeholder-code');
  Annotations.of(stack).acknowledgeWarning('forgeflow:web-placeholder');
  return { template: Template.fromStack(stack), warnings };
}

/** Code S3 key of every manifest function, by name. */
function codeKeys(t: Template): Map<string, string> {
  return new Map(taggedFunctions(t).map(([id, p]) => [functionNameOf(t, id), p.Code.S3Key]));
}

describe('bootstrap.zip reader', () => {
  it('reads an x86_64 bootstrap (stored) and its mode', () => {
    const found = inspectBootstrapZip(zipFile(bootstrapZip(X86_64)));
    assert.equal(found.machine, 'x86_64');
    assert.equal(found.mode & 0o777, 0o755);
  });

  it('reads an aarch64 bootstrap (deflate) among other entries, after extra fields and before a comment', () => {
    const zip = zipOf(
      [
        { name: 'README', data: Buffer.from('hello'), mode: 0o644 },
        { name: 'bootstrap', data: fakeBinary(AARCH64), deflate: true },
      ],
      'made by a test',
    );
    assert.deepEqual(inspectBootstrapZip(zipFile(zip)), { machine: 'arm64', eMachine: AARCH64, mode: 0o100755 });
  });

  it('reads a dynamically linked (ET_DYN) bootstrap, and names an unknown machine', () => {
    const arm32 = zipOf([{ name: 'bootstrap', data: elfHeader(0x28, { type: 3 }) }]);
    assert.deepEqual(inspectBootstrapZip(zipFile(arm32)), { machine: 'other', eMachine: 0x28, mode: 0o100755 });
  });

  it('refuses what Lambda could not run', () => {
    const refused: [Buffer, RegExp][] = [
      [zipOf([{ name: 'bootstrap', data: Buffer.from('#!/bin/sh\nexit 1\n') }]), /bootstrap is not an ELF binary/],
      [zipOf([{ name: 'README', data: Buffer.from('x') }]), /no entry "bootstrap" \(entries: README\)/],
      [zipOf([]), /no entry "bootstrap" \(entries: none\)/],
      [bootstrapZip(X86_64, 0o644), /bootstrap is not executable \(mode 0644\)/],
      [zipOf([{ name: 'bootstrap', data: elfHeader(X86_64, { elfClass: 1 }) }]), /32-bit ELF/],
      [zipOf([{ name: 'bootstrap', data: elfHeader(X86_64, { type: 1 }) }]), /ELF of type 1, not an executable/],
      [Buffer.from('not a zip at all'), /not a zip file/],
    ];
    for (const [zip, message] of refused) assert.throws(() => inspectBootstrapZip(zipFile(zip)), message);
  });

  it('writes a deterministic placeholder zip that the reader (and Lambda) can open', () => {
    const script = Buffer.from('#!/bin/sh\nexit 1\n');
    const zip = storedZip('bootstrap', script, 0o755);
    assert.deepEqual(zip, storedZip('bootstrap', script, 0o755));
    assert.throws(() => inspectBootstrapZip(zipFile(zip)), /not an ELF binary/);
    assert.ok(zip.includes(script), 'stored, not compressed');
  });
});

describe('lambda code settings', () => {
  afterEach(restoreEnv);

  it('reads artifacts where `make package` writes them, or from FORGEFLOW_LAMBDA_DIR', () => {
    delete process.env.FORGEFLOW_LAMBDA_DIR;
    delete process.env.CARGO_TARGET_DIR;
    assert.equal(lambdaAssetRoot(), path.join(REPO_ROOT, 'target', 'lambda'));
    process.env.CARGO_TARGET_DIR = '/var/cache/cargo';
    assert.equal(lambdaAssetRoot(), path.join('/var/cache/cargo', 'lambda'));
    process.env.FORGEFLOW_LAMBDA_DIR = 'elsewhere/lambda';
    assert.equal(lambdaAssetRoot(), path.join(REPO_ROOT, 'elsewhere', 'lambda'));
  });

  it('builds for x86_64 by default and arm64 on request, and refuses anything else', () => {
    delete process.env[LAMBDA_ARCH_ENV];
    assert.equal(lambdaArchitecture().name, 'x86_64');
    process.env[LAMBDA_ARCH_ENV] = 'arm64';
    assert.equal(lambdaArchitecture().name, 'arm64');
    process.env[LAMBDA_ARCH_ENV] = 'aarch64';
    assert.throws(() => lambdaArchitecture(), /FORGEFLOW_LAMBDA_ARCH must be x86_64 \(the default\) or arm64, got "aarch64"/);
  });
});

describe('lambda code in the synth', () => {
  beforeEach(() => {
    restoreEnv();
    delete process.env[PLACEHOLDER_ENV];
    delete process.env[LAMBDA_ARCH_ENV];
  });
  afterEach(restoreEnv);

  it('uses each function’s bootstrap.zip, handler = function name; HTTP and WebSocket functions share one asset', () => {
    process.env.FORGEFLOW_LAMBDA_DIR = fakeLambdaDir(names, () => bootstrapZip(X86_64));
    const { template, warnings } = synthStack();
    for (const [id, p] of taggedFunctions(template)) {
      assert.equal(p.Handler, functionNameOf(template, id));
      assert.deepEqual(p.Architectures, ['x86_64']);
    }
    const keys = codeKeys(template);
    assert.deepEqual([...keys.keys()].sort(), [...names].sort());
    assert.equal(new Set([...routeFunctions(), ...webSocketFunctions()].map((n) => keys.get(n))).size, 1);
    assert.deepEqual(warnings.filter((w) => w.includes('placeholder code')), []);
  });

  it('deploys arm64 artifacts as arm64 when FORGEFLOW_LAMBDA_ARCH=arm64', () => {
    process.env.FORGEFLOW_LAMBDA_DIR = fakeLambdaDir(names, () => bootstrapZip(AARCH64));
    process.env[LAMBDA_ARCH_ENV] = 'arm64';
    for (const [, p] of taggedFunctions(synthStack().template)) assert.deepEqual(p.Architectures, ['arm64']);
  });

  it('names every missing function at once, and `make package`', () => {
    process.env.FORGEFLOW_LAMBDA_DIR = scratchDir('empty');
    const error = captureError(() => synthStack());
    assert.match(error, new RegExp(`missing <function>/bootstrap\\.zip \\(${names.length}\\): `));
    for (const name of names) assert.ok(error.includes(name), `${name} is named`);
    assert.match(error, /with `make package`/);
    assert.match(error, /-c forgeflow:placeholderCode=true or FORGEFLOW_PLACEHOLDER_CODE=1/);
    process.env[LAMBDA_ARCH_ENV] = 'arm64';
    assert.match(captureError(() => synthStack()), /with `FORGEFLOW_LAMBDA_ARCH=arm64 make package`/);
  });

  it('names missing and unusable artifacts in one error', () => {
    const [missing, script, readOnly] = names;
    process.env.FORGEFLOW_LAMBDA_DIR = fakeLambdaDir(names, (name) => {
      if (name === missing) return undefined;
      if (name === script) return zipOf([{ name: 'bootstrap', data: Buffer.from('#!/bin/sh\n') }]);
      return bootstrapZip(X86_64, name === readOnly ? 0o644 : 0o755);
    });
    const error = captureError(() => synthStack());
    assert.match(error, new RegExp(`missing <function>/bootstrap\\.zip \\(1\\): ${missing}\\n`));
    assert.match(error, new RegExp(`unusable \\(2\\): ${script} \\(bootstrap is not an ELF binary\\); ${readOnly} \\(bootstrap is not executable`));
  });

  it('refuses artifacts built for the other architecture, naming both and the fix', () => {
    process.env.FORGEFLOW_LAMBDA_DIR = fakeLambdaDir(names, (name) => bootstrapZip(name === 'step-worker' ? X86_64 : AARCH64));
    const error = captureError(() => synthStack());
    assert.match(error, new RegExp(`built for arm64, but x86_64 is wanted \\(${names.length - 1}\\): `));
    assert.ok(!error.includes('step-worker'), 'the x86_64 one is fine');
    assert.match(error, /Build them at the repository root with `make package`/);
    assert.match(error, /Or, to deploy the arm64 build as it is, set FORGEFLOW_LAMBDA_ARCH=arm64\./);
    assert.ok(!error.includes('placeholderCode'), 'placeholders are no answer to a wrong build');
  });

  it('uses placeholder code for missing artifacts only when opted in, with one stable asset and a warning', () => {
    process.env.FORGEFLOW_LAMBDA_DIR = scratchDir('empty');
    const { template, warnings } = synthStack({ [PLACEHOLDER_CONTEXT]: true });
    const keys = new Set(codeKeys(template).values());
    assert.equal(keys.size, 1, 'one placeholder asset');
    const placeholder = new RegExp(`^${names.length} function\\(s\\) use placeholder code .*run \`make package\``);
    assert.equal(warnings.filter((w) => placeholder.test(w)).length, 1);
    process.env[PLACEHOLDER_ENV] = '1';
    assert.deepEqual(new Set(codeKeys(synthStack().template).values()), keys, 'the env opts in too; same hash');
  });

  it('still refuses a broken artifact when placeholders are allowed', () => {
    process.env.FORGEFLOW_LAMBDA_DIR = fakeLambdaDir(['step-worker'], () => bootstrapZip(X86_64, 0o600));
    assert.match(captureError(() => synthStack({ [PLACEHOLDER_CONTEXT]: true })), /unusable \(1\): step-worker/);
  });
});

function captureError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
}
