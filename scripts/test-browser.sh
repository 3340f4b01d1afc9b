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
cargo build --quiet -p forgeflow-local

state="$(mktemp -d "${TMPDIR:-/tmp}/forgeflow-browser.XXXXXX")"
stack_pid=""
stop_stack() {
  local status=$?
  if [ -n "$stack_pid" ]; then
    kill "$stack_pid" 2>/dev/null || true
    wait "$stack_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -s "$state/stack.log" ]; then
    echo "--- last lines of the local stack's log ---" >&2
    tail -n 40 "$state/stack.log" >&2
  fi
  rm -rf "$state"
  exit "$status"
}
trap stop_stack EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The stack prints its URL as the first stdout line and writes stack.env once it serves.
FORGEFLOW_PORT=0 FORGEFLOW_STATE_DIR="$state" "${CARGO_TARGET_DIR:-target}/debug/forgeflow-local" >"$state/stack.out" 2>"$state/stack.log" &
stack_pid=$!

for _ in $(seq 1 300); do
  [ -s "$state/stack.env" ] && break
  kill -0 "$stack_pid" 2>/dev/null || { echo "the local stack failed to start" >&2; exit 1; }
  sleep 0.2
done
[ -s "$state/stack.env" ] || { echo "the local stack did not come up in 60 s" >&2; exit 1; }
set -a
# shellcheck disable=SC1091
. "$state/stack.env"
set +a
echo "local stack at $FORGEFLOW_API_URL" >&2

mkdir -p target/artifacts
node --test tests/browser/*.test.mjs
