// Lambda code comes from `cargo lambda build` output when present, otherwise from a placeholder.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { lambdaAssetRoot, resolveLambdaAsset } from '../lib/rust-function';
import { REPO_ROOT } from '../lib/manifest';
import { scratchDir } from './helpers';

describe('lambda code', () => {
  const saved = process.env.FORGEFLOW_LAMBDA_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.FORGEFLOW_LAMBDA_DIR;
    else process.env.FORGEFLOW_LAMBDA_DIR = saved;
  });

  it('defaults to target/lambda at the repository root', () => {
    delete process.env.FORGEFLOW_LAMBDA_DIR;
    assert.equal(lambdaAssetRoot(), path.join(REPO_ROOT, 'target', 'lambda'));
  });

  it('uses the build output under FORGEFLOW_LAMBDA_DIR when it exists', () => {
    const root = scratchDir('forgeflow-lambda');
    mkdirSync(path.join(root, 'auth-me'));
    writeFileSync(path.join(root, 'auth-me', 'bootstrap'), 'binary');
    process.env.FORGEFLOW_LAMBDA_DIR = root;
    assert.deepEqual(resolveLambdaAsset('auth-me'), { dir: path.join(root, 'auth-me'), placeholder: false });
  });

  it('writes an executable placeholder bootstrap when there is no build', () => {
    process.env.FORGEFLOW_LAMBDA_DIR = scratchDir('forgeflow-empty');
    const asset = resolveLambdaAsset('auth-me');
    assert.equal(asset.placeholder, true);
    assert.equal(asset.dir, path.join(REPO_ROOT, 'infra', '.placeholder', 'auth-me'));
    const bootstrap = path.join(asset.dir, 'bootstrap');
    assert.ok(existsSync(bootstrap));
    assert.ok((statSync(bootstrap).mode & 0o111) !== 0, 'bootstrap is executable');
  });
});
