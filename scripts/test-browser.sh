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

state="$(mktemp -d "${TMPDIR:-/tmp}/forgeflow-browser.XXXXXX")"
. scripts/lib/local-stack.sh

# Nothing leaves the machine: GitHub is the tests crate's fake forge (tests/support/forge_server.rs,
# the forge-server binary) on a free loopback port; the stack's export-worker delivers to it.
# GitLab stays untested here: the API accepts only https GitLab addresses.
"${CARGO_TARGET_DIR:-target}/debug/forge-server" >"$state/forge.url" 2>"$state/forge.log" &
stack_companions+=("$!")
trap 'kill "${stack_companions[@]}" 2>/dev/null || true; rm -rf "$state"' EXIT
for _ in $(seq 1 100); do
  [ -s "$state/forge.url" ] && break
  sleep 0.1
done
FORGEFLOW_GITHUB_API_URL="$(head -n 1 "$state/forge.url")"
[ -n "$FORGEFLOW_GITHUB_API_URL" ] || { echo "the fake forge did not start" >&2; cat "$state/forge.log" >&2; exit 1; }
export FORGEFLOW_GITHUB_API_URL
echo "fake GitHub at $FORGEFLOW_GITHUB_API_URL" >&2

start_local_stack "$state"

mkdir -p target/artifacts
node --test --test-concurrency=1 tests/browser/*.test.mjs
