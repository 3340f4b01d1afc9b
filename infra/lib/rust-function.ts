// One Rust Lambda on provided.al2023. Its code is `target/lambda/<function>/bootstrap.zip`, which
// `make package` (cargo-lambda) writes for every function of the manifests. The HTTP and WebSocket functions
// share one multi-call binary that picks its function from `_HANDLER`, which Lambda sets from the configured
// Handler: so the Handler is the function name (workers' too, for one convention), and their zips are
// byte-identical, so CDK uploads one asset for all of them.
//
// The stack checks every artifact before it builds a function (`lambdaArtifacts`) and stops the synth when
// one is missing, is not an executable ELF `bootstrap`, or is built for the other architecture: a deploy
// must never ship a stale or absent binary unnoticed. Placeholder code (a script that exits 1) only
// replaces missing artifacts when asked for (`forgeflow:placeholderCode`, for templates without a Rust
// build such as the offline tests), and the stack then warns.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, Tags } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type Node } from 'constructs';
import { ArtifactError, BOOTSTRAP, inspectBootstrapZip, storedZip } from './lambda-artifact';
import { encryptedLogGroup } from './logs';
import { InlinePolicyRole } from './inline-role';
import { REPO_ROOT } from './manifest';

/** Tag carrying the binary name on every function (cost allocation, and how the tests find functions). */
export const FUNCTION_TAG = 'forgeflow:function';

/** Chooses the CPU of every function; `make package` reads the same variable to pick the build target. */
export const LAMBDA_ARCH_ENV = 'FORGEFLOW_LAMBDA_ARCH';
/** Context key (`-c forgeflow:placeholderCode=true`) that lets missing artifacts become placeholder code. */
export const PLACEHOLDER_CONTEXT = 'forgeflow:placeholderCode';
/** The same opt-in as an environment variable (`FORGEFLOW_PLACEHOLDER_CODE=1`). */
export const PLACEHOLDER_ENV = 'FORGEFLOW_PLACEHOLDER_CODE';

export type LambdaArch = 'x86_64' | 'arm64';

/** `FORGEFLOW_LAMBDA_ARCH`: `x86_64` (the default, also when empty) or `arm64`; anything else stops the synth. */
export function lambdaArch(): LambdaArch {
  const raw = process.env[LAMBDA_ARCH_ENV] ?? '';
  if (raw === '' || raw === 'x86_64') return 'x86_64';
  if (raw === 'arm64') return 'arm64';
  throw new Error(`${LAMBDA_ARCH_ENV} must be x86_64 (the default) or arm64, got "${raw}"`);
}

/** The Lambda architecture of every function, from `FORGEFLOW_LAMBDA_ARCH`. */
export function lambdaArchitecture(): lambda.Architecture {
  return lambdaArch() === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
}

/** The command that builds every artifact for the configured architecture. */
export function packageCommand(arch: LambdaArch = lambdaArch()): string {
  return arch === 'arm64' ? `${LAMBDA_ARCH_ENV}=arm64 make package` : 'make package';
}

/**
 * Where the artifacts are: `FORGEFLOW_LAMBDA_DIR` (absolute, or relative to the repo root), else where
 * `make package` puts them, `<CARGO_TARGET_DIR or target>/lambda`.
 */
export function lambdaAssetRoot(): string {
  const override = process.env.FORGEFLOW_LAMBDA_DIR;
  if (override) return path.resolve(REPO_ROOT, override);
  return path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR || 'target', 'lambda');
}

/** Whether missing artifacts may be replaced by placeholder code: context `forgeflow:placeholderCode` or the env. */
export function placeholderCodeAllowed(node: Node): boolean {
  const value = node.tryGetContext(PLACEHOLDER_CONTEXT);
  return value === true || value === 'true' || process.env[PLACEHOLDER_ENV] === '1';
}

export interface LambdaArtifact {
  /** The zip uploaded as the function's code. */
  readonly zip: string;
  readonly placeholder: boolean;
}

/**
 * The code of every function in `names`, checked: `<root>/<function>/bootstrap.zip` holds an executable
 * 64-bit ELF `bootstrap` for the configured architecture. Throws one Error naming every function at fault and
 * how to fix it. With `allowPlaceholder`, missing artifacts get the placeholder zip instead (broken or
 * wrong-architecture ones still fail: those are a build gone wrong, which a placeholder would hide).
 */
export function lambdaArtifacts(names: readonly string[], allowPlaceholder: boolean): Map<string, LambdaArtifact> {
  const arch = lambdaArch();
  const root = lambdaAssetRoot();
  const artifacts = new Map<string, LambdaArtifact>();
  const missing: string[] = [];
  const broken: string[] = [];
  const otherArch = new Map<string, string[]>();
  for (const name of names) {
    const zip = path.join(root, name, `${BOOTSTRAP}.zip`);
    if (!existsSync(zip)) {
      if (allowPlaceholder) artifacts.set(name, { zip: placeholderZip(), placeholder: true });
      else missing.push(name);
      continue;
    }
    try {
      const { machine, eMachine } = inspectBootstrapZip(zip);
      const found = machine === 'other' ? `e_machine 0x${eMachine.toString(16)}` : machine;
      if (machine !== arch) otherArch.set(found, [...(otherArch.get(found) ?? []), name]);
      artifacts.set(name, { zip, placeholder: false });
    } catch (err) {
      if (!(err instanceof ArtifactError)) throw err;
      broken.push(`${name} (${err.message})`);
    }
  }
  if (missing.length === 0 && broken.length === 0 && otherArch.size === 0) return artifacts;

  const lines = [`Lambda code is not ready to deploy (${LAMBDA_ARCH_ENV}=${arch}, artifacts in ${root}):`];
  if (missing.length > 0) lines.push(`  missing <function>/${BOOTSTRAP}.zip (${missing.length}): ${missing.join(', ')}`);
  if (broken.length > 0) lines.push(`  unusable (${broken.length}): ${broken.join('; ')}`);
  for (const [found, fns] of otherArch) lines.push(`  built for ${found}, but ${arch} is wanted (${fns.length}): ${fns.join(', ')}`);
  lines.push(`Build them at the repository root with \`${packageCommand(arch)}\`, then synthesize again.`);
  const deployable = [...otherArch.keys()].filter((found): found is LambdaArch => found === 'x86_64' || found === 'arm64');
  if (missing.length === 0 && broken.length === 0 && deployable.length === 1) {
    lines.push(`Or, to deploy the ${deployable[0]} build as it is, set ${LAMBDA_ARCH_ENV}=${deployable[0]}.`);
  }
  if (missing.length > 0) {
    lines.push(
      `(A template without working code, e.g. to test the infrastructure without Rust, needs an explicit opt-in: ` +
        `-c ${PLACEHOLDER_CONTEXT}=true or ${PLACEHOLDER_ENV}=1. Never deploy it.)`,
    );
  }
  throw new Error(lines.join('\n'));
}

const PLACEHOLDER_SCRIPT =
  '#!/bin/sh\n# Placeholder from infra/lib/rust-function.ts: build the functions with `make package`, then deploy again.\n' +
  'echo "forgeflow: placeholder code; run make package and deploy again" >&2\nexit 1\n';

const PLACEHOLDER_ZIP = path.resolve(__dirname, '..', '.placeholder', `${BOOTSTRAP}.zip`);
let placeholderWritten = false;

/** The placeholder zip (one for every function: the same bytes, so one asset with a stable hash). */
function placeholderZip(): string {
  if (placeholderWritten && existsSync(PLACEHOLDER_ZIP)) return PLACEHOLDER_ZIP;
  mkdirSync(path.dirname(PLACEHOLDER_ZIP), { recursive: true });
  // Written aside then renamed: test processes synthesize in parallel and must never read a partial file.
  const partial = `${PLACEHOLDER_ZIP}.${process.pid}`;
  writeFileSync(partial, storedZip(BOOTSTRAP, Buffer.from(PLACEHOLDER_SCRIPT), 0o755));
  renameSync(partial, PLACEHOLDER_ZIP);
  placeholderWritten = true;
  return PLACEHOLDER_ZIP;
}

export interface RustFunctionProps {
  /** The binary name, e.g. `projects-create`; also the Handler, which the multi-call binary dispatches on. */
  readonly functionName: string;
  /** Every function's checked code (`lambdaArtifacts`), of which this one's is taken. */
  readonly artifacts: ReadonlyMap<string, LambdaArtifact>;
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
    const artifact = props.artifacts.get(props.functionName);
    if (!artifact) throw new Error(`no checked Lambda artifact for ${props.functionName}: is it in the manifests?`);
    this.usesPlaceholder = artifact.placeholder;

    // Encrypted with the stack's log key (logs.ts), deleted with the stack.
    const logGroup = encryptedLogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });

    this.fn = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambdaArchitecture(),
      handler: props.functionName,
      code: lambda.Code.fromAsset(artifact.zip),
      memorySize: props.memoryMb,
      timeout: Duration.seconds(props.timeoutS),
      environment: props.environment,
      description: props.description,
      logGroup,
      role: new InlinePolicyRole(this, 'Role'),
    });
    Tags.of(this.fn).add(FUNCTION_TAG, props.functionName);
  }
}
