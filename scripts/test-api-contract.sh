#!/usr/bin/env bash
# The API against its own OpenAPI document. Starts the local stack on a free port with its own
# state, registers a user and gives it one of everything (a project whose `full-project` run and
# generation finished, an export, a hook), then runs schemathesis (pinned in
# scripts/requirements.txt, installed into .venv by scripts/python-env.sh) on GET /openapi.json
# with that user's token. Path ids are that user's real ones most of the time, so requests get past
# the 404 and reach the handlers' logic. Fails on any 5xx, and on any response whose status,
# content type, documented headers or body the document does not describe. Seeded and bounded:
# repeatable, a few minutes. Always stops the stack.
#
# The stack and schemathesis run in a network namespace of their own with loopback only
# (`unshare -n`), so nothing the fuzzer makes up — a GitLab base URL, an agent on a remote
# provider — can reach past this machine; without unshare the forge and provider URLs still
# point at a closed local port.
#
#   CONTRACT_EXAMPLES   test cases per operation and phase (default 40)
#   CONTRACT_SEED       the generator's seed (default 20261125)
# Reports land in target/artifacts/api-contract/ (JUnit, and the failing cases as curl commands).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ "${1:-}" != "--inside" ]; then
  bash scripts/python-env.sh
  echo "building the local stack…" >&2
  cargo binaries --quiet
  # A new namespace's loopback starts down; `ip` (iproute2) brings it up.
  if command -v ip >/dev/null; then
    for isolate in "unshare -n" "unshare -rn"; do
      if $isolate ip link set lo up 2>/dev/null; then
        exec $isolate -- bash "$0" --inside --isolated
      fi
    done
  fi
  echo "no network namespace available (unshare and ip): running without one" >&2
  exec bash "$0" --inside
fi
if [ "${2:-}" = "--isolated" ]; then
  ip link set lo up
fi

examples="${CONTRACT_EXAMPLES:-40}"
seed="${CONTRACT_SEED:-20261125}"
# The fuzzer is one user sending thousands of requests; the rate limiter has tests of its own.
export FORGEFLOW_RATE_LIMIT="${FORGEFLOW_RATE_LIMIT:-1000000}"
export FORGEFLOW_AUTH_RATE_LIMIT="${FORGEFLOW_AUTH_RATE_LIMIT:-1000000}"
# Nothing leaves the machine: forges and AI providers on a port nothing listens on.
export FORGEFLOW_GITHUB_API_URL="http://127.0.0.1:9"
export FORGEFLOW_OPENAI_BASE_URL="http://127.0.0.1:9/v1"
export FORGEFLOW_ANTHROPIC_BASE_URL="http://127.0.0.1:9"
unset FORGEFLOW_OPENAI_API_KEY FORGEFLOW_ANTHROPIC_API_KEY

state="$(mktemp -d "${TMPDIR:-/tmp}/forgeflow-contract.XXXXXX")"
. scripts/lib/local-stack.sh
start_local_stack "$state"

# The user, its fixtures, and schemathesis.toml binding each resource's `{id}` to them.
.venv/bin/python - "$FORGEFLOW_API_URL" "$state" <<'PY'
import json, sys, time, urllib.error, urllib.request

api, state = sys.argv[1], sys.argv[2]
token = None

def call(method, path, body=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(api + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as err:
        sys.exit(f"fixture {method} {path}: {err.code} {err.read().decode()}")

def wait_for(path, field, done, failed):
    for _ in range(300):
        value = call("GET", path)
        if value[field] == done:
            return value
        if value[field] in failed:
            sys.exit(f"fixture {path} ended {value[field]}: {value.get('error')}")
        time.sleep(0.2)
    sys.exit(f"fixture {path} did not reach {done}")

token = call("POST", "/auth/register",
             {"email": f"contract-{time.time_ns()}@example.com", "password": "correct horse battery"})["token"]
project = call("POST", "/projects", {"name": "Contract", "brief": "A lending library: members borrow books."})["id"]
execution = call("POST", f"/projects/{project}/executions", {})["id"]
wait_for(f"/executions/{execution}", "status", "succeeded", ("failed", "cancelled"))
generations = call("GET", f"/projects/{project}/generations")["items"]
generation = generations[0]["id"]
files = wait_for(f"/generations/{generation}", "status", "ready", ("failed",))["manifest"]["files"]
export = call("POST", f"/generations/{generation}/exports", {"target": {"type": "zip"}})["id"]
hook = call("POST", f"/projects/{project}/hooks", {"target": {"type": "tar.gz"}})["id"]

def values(items):
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"

def bind(**parameters):
    """Each path parameter to a dictionary: its real value most of the time, generated otherwise."""
    pairs = (f'"path.{name}" = {{ dictionary = "{dictionary}", probability = {probability} }}'
             for name, (dictionary, probability) in parameters.items())
    return f"parameters = {{ {', '.join(pairs)} }}"

with open(f"{state}/token", "w") as out:
    out.write(token)
with open(f"{state}/schemathesis.toml", "w") as out:
    out.write(f"""
[dictionaries]
project = {{ values = {values([project])} }}
execution = {{ values = {values([execution])} }}
generation = {{ values = {values([generation])} }}
file = {{ values = {values(f["path"] for f in files[:20])} }}
export = {{ values = {values([export])} }}
hook = {{ values = {values([hook])} }}

# Deleting the fixture project would leave the rest of the run nothing to reach.
[[operations]]
include-path-regex = "^/projects/\\\\{{id\\\\}}"
exclude-operation-id = "projects-delete"
{bind(id=("project", 0.8))}

[[operations]]
include-path-regex = "^/executions/"
{bind(id=("execution", 0.8))}

[[operations]]
include-path = "/generations/{{id}}/files/{{path}}"
{bind(id=("generation", 0.8), path=("file", 0.7))}

[[operations]]
include-path-regex = "^/generations/\\\\{{id\\\\}}(/exports)?$"
{bind(id=("generation", 0.8))}

[[operations]]
include-path-regex = "^/exports/"
{bind(id=("export", 0.8))}

[[operations]]
include-path-regex = "^/hooks/"
{bind(id=("hook", 0.8))}
""")
print(f"fixtures: project {project}, execution {execution}, generation {generation}, export {export}, hook {hook}",
      file=sys.stderr)
PY

mkdir -p target/artifacts/api-contract
checks=not_a_server_error,status_code_conformance,content_type_conformance
checks="$checks,response_headers_conformance,response_schema_conformance"
# Checks: no 5xx; every status, content type, documented header and body as the document says.
# Phases: the coverage phase (boundaries and each kind of invalid value), property-based fuzzing of
# every operation, and stateful sequences that feed one response's ids into the next request.
# One worker: Hypothesis reads lambda sources with `ast`, which CPython 3.11 does not keep
# thread-safe.
.venv/bin/schemathesis --config-file "$state/schemathesis.toml" run "$FORGEFLOW_API_URL/openapi.json" \
  --header "Authorization: Bearer $(cat "$state/token")" \
  --checks "$checks" \
  --max-examples "$examples" \
  --seed "$seed" \
  --workers 1 \
  --request-timeout 30 \
  --no-color \
  --report junit \
  --report-dir target/artifacts/api-contract
