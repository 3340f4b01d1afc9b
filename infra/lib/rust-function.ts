// One Rust Lambda: provided.al2023 on arm64, handler "bootstrap", code from the output of
// `cargo lambda build --release --arm64` (target/lambda/<function>/bootstrap).
//
// When that directory does not exist (a fresh checkout, CI without a Rust build, the offline tests), a
// placeholder directory with a dummy `bootstrap` is generated under `infra/.placeholder/<function>/` so that
// `cdk synth` still works. The stack warns (cdk synth/deploy print it) when any placeholder is used.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { REPO_ROOT } from './manifest';

/** Tag carrying the binary name on every function (cost allocation, and how the tests find functions). */
export const FUNCTION_TAG = 'forgeflow:function';

const PLACEHOLDER_ROOT = path.resolve(__dirname, '..', '.placeholder');

/** Where `cargo lambda build` puts binaries: `FORGEFLOW_LAMBDA_DIR` (absolute, or relative to the repo root). */
export function lambdaAssetRoot(): string {
  const override = process.env.FORGEFLOW_LAMBDA_DIR;
  return override ? path.resolve(REPO_ROOT, override) : path.join(REPO_ROOT, 'target', 'lambda');
}

export interface LambdaAsset {
  readonly dir: string;
  readonly placeholder: boolean;
}

/** Returns the asset directory for `functionName`, creating a placeholder when no build exists. */
export function resolveLambdaAsset(functionName: string): LambdaAsset {
  const built = path.join(lambdaAssetRoot(), functionName);
  if (existsSync(built) && statSync(built).isDirectory()) {
    return { dir: built, placeholder: false };
  }
  const dir = path.join(PLACEHOLDER_ROOT, functionName);
  const bootstrap = path.join(dir, 'bootstrap');
  // The same bytes for every function and every run keep the asset hash stable across syntheses.
  const body = '#!/bin/sh\n# Placeholder written by infra/lib/rust-function.ts: run `cargo lambda build --release --arm64`.\nexit 1\n';
  mkdirSync(dir, { recursive: true });
  writeFileSync(bootstrap, body, { mode: 0o755 });
  return { dir, placeholder: true };
}

export interface RustFunctionProps {
  /** The binary name, e.g. `projects-create`. */
  readonly functionName: string;
  readonly memoryMb: number;
  readonly timeoutS: number;
  readonly environment: Record<string, string>;
  readonly description?: string;
  readonly logRetention?: logs.RetentionDays;
}

export class RustFunction extends Construct {
  readonly fn: lambda.Function;
  readonly functionName: string;
  readonly usesPlaceholder: boolean;

  constructor(scope: Construct, id: string, props: RustFunctionProps) {
    super(scope, id);
    this.functionName = props.functionName;
    const asset = resolveLambdaAsset(props.functionName);
    this.usesPlaceholder = asset.placeholder;

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.fn = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset(asset.dir),
      memorySize: props.memoryMb,
      timeout: Duration.seconds(props.timeoutS),
      environment: props.environment,
      description: props.description,
      logGroup,
    });
    Tags.of(this.fn).add(FUNCTION_TAG, props.functionName);
  }
}
