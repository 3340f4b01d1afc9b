#!/usr/bin/env bash
# Tests the CDK app in infra/ fully offline (no AWS account; the npm registry is the only network use):
#   0. needs the Lambda artifacts `make package` writes (target/lambda/<function>/bootstrap.zip, or
#      FORGEFLOW_LAMBDA_DIR), for the architecture FORGEFLOW_LAMBDA_ARCH names (x86_64 by default),
#   1. describes the local stack: `forgeflow-local describe` bootstraps a fresh moto and prints what it
#      created (table, queues, routes) as JSON, for the drift test (FORGEFLOW_LOCAL_DESCRIBE),
#   2. installs the locked npm dependencies,
#   3. type-checks the TypeScript,
#   4. synthesizes the stack into infra/cdk.out with the real artifacts (never placeholder code: the synth
#      fails when one is missing, broken or built for the other architecture),
#   5. runs the template, drift and artifact tests (node's test runner through tsx; test/artifacts.test.ts
#      checks the binaries staged in infra/cdk.out),
#   6. lints the synthesized template with cfn-lint (from the project's .venv),
#   7. scans it with checkov (pinned in its own .venv-checkov, scripts/checkov-env.sh): any failed check fails
#      the script; the checks this design does not meet are suppressed in the template, each with its reason,
#      all listed in infra/lib/checkov.ts.
# Exits non-zero on the first failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA="$ROOT/infra"

# No network calls from the CDK CLI or the AWS SDK: no version check, notices or telemetry, no instance
# metadata probe while the CLI looks for default credentials.
export CDK_DISABLE_VERSION_CHECK=1
export CDK_DISABLE_CLI_TELEMETRY=1
export AWS_EC2_METADATA_DISABLED=true
export npm_config_update_notifier=false
export NODE_OPTIONS="${NODE_OPTIONS:-} --no-deprecation"

start=$SECONDS
step() { printf '\n==> %s\n' "$*"; }

# Checked first, before the slow steps: without a build the synth below cannot succeed.
package="make package"
[ "${FORGEFLOW_LAMBDA_ARCH:-}" = arm64 ] && package="FORGEFLOW_LAMBDA_ARCH=arm64 make package"
lambda_dir="${FORGEFLOW_LAMBDA_DIR:-${CARGO_TARGET_DIR:-target}/lambda}"
case "$lambda_dir" in /*) ;; *) lambda_dir="$ROOT/$lambda_dir" ;; esac
if ! compgen -G "$lambda_dir/*/bootstrap.zip" > /dev/null; then
  echo "error: no Lambda artifacts in $lambda_dir (<function>/bootstrap.zip): run \`$package\` first, at the repository root" >&2
  exit 1
fi

step "python tools (.venv with cfn-lint)"
bash "$ROOT/scripts/python-env.sh"
CFN_LINT="$ROOT/.venv/bin/cfn-lint"
[ -x "$CFN_LINT" ] || { echo "error: $CFN_LINT is missing after scripts/python-env.sh" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

step "local stack description (forgeflow-local describe)"
# stdout is the JSON only; the build's and moto's chatter goes to stderr.
(cd "$ROOT" && cargo binaries --quiet && "${CARGO_TARGET_DIR:-target}/debug/forgeflow-local" describe) > "$tmp/local-describe.json"
export FORGEFLOW_LOCAL_DESCRIBE="$tmp/local-describe.json"
echo "wrote $FORGEFLOW_LOCAL_DESCRIBE ($(wc -c < "$FORGEFLOW_LOCAL_DESCRIBE") bytes)"

cd "$INFRA"

step "npm dependencies"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --prefer-offline --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi

step "type check (tsc --noEmit)"
npx --no-install tsc --noEmit -p .

step "cdk synth (the built artifacts in $lambda_dir, no placeholder code)"
rm -rf cdk.out
# The opt-in is switched off explicitly, whatever the shell or a cdk.context.json says.
env -u FORGEFLOW_PLACEHOLDER_CODE npx --no-install cdk synth --quiet -o cdk.out -c forgeflow:placeholderCode=false || {
  echo "error: cdk synth failed (see above); when it names missing or stale Lambda artifacts, run \`$package\` first" >&2
  exit 1
}
ls cdk.out/*.template.json

step "tests (node --test via tsx)"
# The artifact test always runs here: this script is what makes infra/cdk.out for it.
env -u FORGEFLOW_SKIP_ARTIFACT_TEST npx --no-install tsx --test --test-reporter=spec test/*.test.ts

step "cfn-lint $("$CFN_LINT" --version 2>/dev/null | awk '{print $2}')"
# W3005 (DependsOn already implied by a reference) is produced by CDK itself for every Lambda role.
set +e
"$CFN_LINT" --ignore-checks W3005 -- cdk.out/*.template.json
lint=$?
set -e
case $lint in
  0) echo "cfn-lint: no errors, no warnings" ;;
  4) echo "cfn-lint: warnings only (exit 4), accepted" ;;
  *) echo "cfn-lint: FAILED (exit $lint)" >&2; exit "$lint" ;;
esac

step "checkov (.venv-checkov)"
bash "$ROOT/scripts/checkov-env.sh"
CHECKOV="$ROOT/.venv-checkov/bin/checkov"
[ -x "$CHECKOV" ] || { echo "error: $CHECKOV is missing after scripts/checkov-env.sh" >&2; exit 1; }
# Offline: no request to PyPI for a newer checkov (this variable), nor to Prisma Cloud for guidelines and
# severities (--skip-download below; offline that one prints a stack trace).
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true
echo "checkov $("$CHECKOV" --version)"
# Suppressions are the template's own (Metadata.checkov.skip, from infra/lib/checkov.ts), never a --skip-check here.
checkov_json="$tmp/checkov.json"
set +e
"$CHECKOV" --framework cloudformation --skip-download --quiet --compact --output cli --output json \
  --output-file-path console,"$checkov_json" $(printf -- '-f %s ' cdk.out/*.template.json)
checkov_status=$?
set -e
if [ ! -s "$checkov_json" ]; then
  echo "checkov: FAILED (exit $checkov_status, no JSON report)" >&2
  exit 1
fi
# One summary per template (a list when there are several): passed, failed, skipped.
read -r passed failed skipped < <(python3 -c '
import json, sys
data = json.load(open(sys.argv[1]))
reports = data if isinstance(data, list) else [data]
print(*(sum(r["summary"][k] for r in reports) for k in ("passed", "failed", "skipped")))
' "$checkov_json")
echo "checkov: $passed passed, $failed failed, $skipped skipped (each skip's reason: infra/lib/checkov.ts)"
if [ "$checkov_status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  echo "checkov: FAILED (exit $checkov_status): fix the template, or suppress the check with its reason in infra/lib/checkov.ts" >&2
  exit 1
fi

printf '\ninfra: all checks passed in %ss\n' "$((SECONDS - start))"
