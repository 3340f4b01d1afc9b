#!/usr/bin/env bash
# `make test`: every check, from a fresh machine. Installs what it needs (moto and cfn-lint into
# .venv, the CDK packages into infra/node_modules, Chromium and playwright-core), then: format,
# lints, unit and end-to-end tests against moto, the page in headless Chromium, the schemathesis
# run against the OpenAPI document, the README's run command, the Lambda artifacts (make package) and
# the infrastructure tests against them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
step() { printf '\n==> %s\n' "$*"; }

step "python tools (moto, cfn-lint)"
bash scripts/python-env.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo test (unit + end-to-end against moto)"
cargo test --workspace

step "the page in headless Chromium (Debian's chromium + playwright-core, installed by the script)"
bash scripts/test-browser.sh

step "the API contract: schemathesis fuzzes GET /openapi.json's operations against the local stack"
bash scripts/test-api-contract.sh

step "the run command, once (make demo)"
FORGEFLOW_PORT=0 bash scripts/run.sh --once

step "the deployable artifacts (make package: cargo lambda build --release, every function's bootstrap.zip)"
bash scripts/package.sh

step "infrastructure (CDK synth with the real artifacts, assertions, artifact checks, cfn-lint)"
bash scripts/test-infra.sh

step "all checks passed"
