# Sourced by the scripts that test against a throwaway local stack (test-browser.sh,
# test-api-contract.sh). `start_local_stack DIR` starts the built forgeflow-local on a free port
# with its state in DIR, waits until it serves, exports its stack.env (FORGEFLOW_API_URL, …) and
# arranges for the stack to stop and DIR to go when the script exits — showing the stack's log
# and errors if the script failed. Processes in `stack_companions` stop with it.

stack_pid=""
stack_state=""
# Helper processes started before the stack (a fake forge): stopped with it.
stack_companions=()

stop_local_stack() {
  local status=$?
  if [ -n "$stack_pid" ]; then
    kill "$stack_pid" 2>/dev/null || true
    wait "$stack_pid" 2>/dev/null || true
  fi
  for companion in "${stack_companions[@]}"; do
    kill "$companion" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ] && [ -s "$stack_state/stack.log" ]; then
    echo "--- last lines of the local stack's log, and its errors ---" >&2
    tail -n 30 "$stack_state/stack.log" >&2
    grep '"level":"ERROR"' "$stack_state/stack.out" 2>/dev/null | tail -n 20 >&2 || true
  fi
  [ -n "$stack_state" ] && rm -rf "$stack_state"
  exit "$status"
}

start_local_stack() {
  stack_state="$1"
  trap stop_local_stack EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  FORGEFLOW_PORT=0 FORGEFLOW_STATE_DIR="$stack_state" "${CARGO_TARGET_DIR:-target}/debug/forgeflow-local" \
    >"$stack_state/stack.out" 2>"$stack_state/stack.log" &
  stack_pid=$!
  # The stack writes stack.env once it serves.
  for _ in $(seq 1 300); do
    [ -s "$stack_state/stack.env" ] && break
    kill -0 "$stack_pid" 2>/dev/null || { echo "the local stack failed to start" >&2; exit 1; }
    sleep 0.2
  done
  [ -s "$stack_state/stack.env" ] || { echo "the local stack did not come up in 60 s" >&2; exit 1; }
  set -a
  # shellcheck disable=SC1091
  . "$stack_state/stack.env"
  set +a
  echo "local stack at $FORGEFLOW_API_URL" >&2
}
