#!/usr/bin/env bash
# The web page: first the unit tests of its pure modules (tests/browser/unit, plain Node, no
# DOM), then in real headless Chromium: installs Chromium, playwright-core and axe-core if
# missing (scripts/browser-env.sh), starts the local stack on a free port with its own state,
# runs tests/browser/*.test.mjs against it one file at a time (one browser on a 2-core machine)
# and always stops the stack. Screenshots of every screen at 1280 and 375 px land in
# target/artifacts/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

echo "unit tests of the page's modules…" >&2
node --test tests/browser/unit/

bash scripts/browser-env.sh
bash scripts/python-env.sh
echo "building the local stack…" >&2
cargo binaries --quiet

# Nothing leaves the machine: GitHub on a port nothing listens on (an export there keeps
# delivering, which the page shows live).
export FORGEFLOW_GITHUB_API_URL="http://127.0.0.1:9"

state="$(mktemp -d "${TMPDIR:-/tmp}/forgeflow-browser.XXXXXX")"
. scripts/lib/local-stack.sh
start_local_stack "$state"

mkdir -p target/artifacts
node --test --test-concurrency=1 tests/browser/*.test.mjs
