#!/usr/bin/env bash
# The web page in real headless Chromium: installs Chromium and playwright-core if missing
# (scripts/browser-env.sh), starts the local stack on a free port with its own state, runs
# tests/browser/*.test.mjs against it (node --test) and always stops the stack.
# The screenshot lands in target/artifacts/browser-flow.png.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/browser-env.sh
bash scripts/python-env.sh
echo "building the local stack…" >&2
cargo binaries --quiet

state="$(mktemp -d "${TMPDIR:-/tmp}/forgeflow-browser.XXXXXX")"
. scripts/lib/local-stack.sh
start_local_stack "$state"

mkdir -p target/artifacts
node --test tests/browser/*.test.mjs
