#!/usr/bin/env bash
# `make run`: sets up what is missing, starts the local stack (moto + API gateway emulator),
# runs the demo against it and keeps the stack serving until Ctrl-C. `--once` stops after the demo.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
once=false
[ "${1:-}" = "--once" ] && once=true

bash scripts/python-env.sh
echo "building the local stack…" >&2
cargo binaries --quiet

state="$root/.local"
mkdir -p "$state"
rm -f "$state/stack.env"
export FORGEFLOW_PORT="${FORGEFLOW_PORT:-8787}"
export FORGEFLOW_STATE_DIR="$state"
# Every function runs as Lambda runs it: its binary, as processes behind the Runtime API, with the
# environment CDK gives it (HTTP and WebSocket routes, SQS event sources, the schedule rule).
export FORGEFLOW_FUNCTIONS="${FORGEFLOW_FUNCTIONS:-processes}"
"${CARGO_TARGET_DIR:-$root/target}/debug/forgeflow-local" > "$state/stack.log" 2>&1 &
stack_pid=$!
trap 'kill "$stack_pid" 2>/dev/null || true; wait "$stack_pid" 2>/dev/null || true' EXIT

for _ in $(seq 1 300); do
  [ -s "$state/stack.env" ] && break
  kill -0 "$stack_pid" 2>/dev/null || { cat "$state/stack.log" >&2; echo "the local stack failed to start" >&2; exit 1; }
  sleep 0.2
done
[ -s "$state/stack.env" ] || { echo "the local stack did not come up in 60 s" >&2; exit 1; }
set -a; . "$state/stack.env"; set +a

bash scripts/demo.sh "$FORGEFLOW_API_URL"

if $once; then exit 0; fi
echo
echo "The local stack keeps running: the page at $FORGEFLOW_API_URL/, the API at $FORGEFLOW_API_URL"
echo "(logs: .local/stack.log; CLI: ${CARGO_TARGET_DIR:-target}/debug/forgeflow --endpoint $FORGEFLOW_API_URL …). Ctrl-C stops it."
wait "$stack_pid"
