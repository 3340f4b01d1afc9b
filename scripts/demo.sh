#!/usr/bin/env bash
# The main job, step by step as a user does it: the `forgeflow` CLI, and curl where the raw HTTP
# API is worth seeing.
# Usage: scripts/demo.sh API_URL
set -euo pipefail
api="$1"
exec 3>&1 # progress lines go to the terminal even from inside $(…)
email="demo-$(date +%s)-$RANDOM@example.com"
password="correct horse battery staple"

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
call() { # METHOD PATH [BODY] — prints the body, fails on a non-2xx status
  local method="$1" path="$2" body="${3:-}" out status
  local args=(-sS -X "$method" "$api$path" -H 'content-type: application/json' -w '\n%{http_code}')
  [ -n "${TOKEN:-}" ] && args+=(-H "authorization: Bearer $TOKEN")
  [ -n "$body" ] && args+=(-d "$body")
  out="$(curl "${args[@]}")"
  status="${out##*$'\n'}"
  body="${out%$'\n'*}"
  echo "   $method $path → $status" >&3
  case "$status" in 2*) printf '%s' "$body" ;; *) echo "$body" >&2; return 1 ;; esac
}

# The user's side goes through the `forgeflow` CLI, with a config of its own for this run.
cli_bin="${FORGEFLOW_CLI:-${CARGO_TARGET_DIR:-target}/debug/forgeflow}"
config_dir="$(mktemp -d "${TMPDIR:-/tmp}/forgeflow-demo.XXXXXX")"
trap 'rm -rf "$config_dir"' EXIT
forgeflow() { FORGEFLOW_CONFIG="$config_dir/config.json" "$cli_bin" --endpoint "$api" "$@"; }

# Live progress lines from `forgeflow --json run|watch` frames; prints the final result frame.
progress() {
  python3 -c '
import json, sys
last = None
for line in sys.stdin:
    frame = json.loads(line)
    if frame.get("type") == "result":
        last = frame
        continue
    event = frame.get("event", frame)
    kind = event.get("kind")
    if kind == "step_started":
        print("   step %-8s started (%s)" % (event["step"], event["role"]), file=sys.stderr)
    elif kind == "step_completed":
        print("   step %-8s done: %d tokens out" % (event["step"], event["output_tokens"]), file=sys.stderr)
    elif kind == "execution_finished":
        print("   execution %s" % event["status"], file=sys.stderr)
    elif kind == "files_written":
        print("   files written: %d of %d" % (event["written"], event["total"]), file=sys.stderr)
    elif kind == "generation_ready":
        print("   generation ready: %d files" % event["files"], file=sys.stderr)
print(json.dumps(last))'
}

echo "== Forgeflow demo against $api"
echo "1. register $email (forgeflow login --register)"
printf '%s\n' "$password" | forgeflow login --register --email "$email" --password-stdin | sed 's/^/   /'
TOKEN="$(call POST /auth/login "{\"email\":\"$email\",\"password\":\"$password\"}" | json '["token"]')"
echo "2. signed in over plain HTTP too, as $(call GET /me | json '["email"]')"
echo "3. create a project (forgeflow projects create)"
brief="A small web service where library members borrow and return books, get reminders before due dates, and librarians see overdue loans."
project_id="$(forgeflow --json projects create --name "Lending library" --brief "$brief" --template python-fastapi | json '["id"]')"
echo "   project $project_id"
echo "4. rename it (optimistic concurrency: send the version you read)"
call PATCH "/projects/$project_id" '{"version":1,"name":"Lending library service"}' | json '["name"]' | sed 's/^/   now called: /'
echo "5. list my projects (forgeflow projects list)"
forgeflow projects list | sed 's/^/   /'
echo "6. estimate the run before it runs (forgeflow estimate): tokens and cost per step"
forgeflow estimate "$project_id" | sed 's/^/   /'
echo "7. run the full-project workflow with a budget, watching it live over the WebSocket (forgeflow run --watch)"
echo "   product manager → architect → engineers → reviewer, offline AI (free: the budget counts tokens)"
result="$(forgeflow --json run "$project_id" --max-cost 1 --max-tokens 2000000 --watch | progress)"
execution_id="$(printf '%s' "$result" | json '["execution_id"]')"
printf '%s' "$result" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("   %s; %d tokens in, %d out; $%.4f" % (r["execution"], r["input_tokens"], r["output_tokens"], r["cost_usd"]))
if r.get("generation") != "ready":
    sys.exit("the run did not finish: %s" % r.get("error"))'
echo "8. the plan it wrote"
call GET "/projects/$project_id/stories" | python3 -c '
import json, sys
for s in json.load(sys.stdin)["items"]:
    print("   %-4s %-6s %2d pts  %s" % (s["id"], s["priority"], s["estimate_points"], s["title"]))'
call GET "/projects/$project_id/sprints" | python3 -c '
import json, sys
for s in json.load(sys.stdin)["items"]:
    print("   sprint %d: %s (%s)" % (s["number"], s["goal"], ", ".join(s["story_ids"])))'
echo "9. the generated project (template + the agents' files)"
generation=""
for _ in $(seq 1 600); do
  generation="$(call GET "/generations/$execution_id" 3>/dev/null 2>/dev/null || true)"
  status="$(printf '%s' "$generation" | python3 -c 'import json,sys
try: print(json.load(sys.stdin)["status"])
except Exception: print("pending")')"
  case "$status" in ready|failed) break ;; *) sleep 0.2 ;; esac
done
printf '%s' "$generation" | python3 -c '
import json, sys
g = json.load(sys.stdin)
if g["status"] != "ready":
    sys.exit("the generation did not finish: %s" % g.get("error"))
print("   %d files, %d bytes, template %s" % (g["file_count"], g["total_bytes"], g["template"]))
for f in g["manifest"]["files"][:12]:
    print("   %s %8d  %s" % (f["mode"], f["size"], f["path"]))
if g["file_count"] > 12:
    print("   … and %d more" % (g["file_count"] - 12))'
echo "10. export it as a git repository: tar.gz with its .git history, unpacked (forgeflow export --tar)"
out="${FORGEFLOW_OUT_DIR:-out}"
mkdir -p "$out"
staging="$(mktemp -d "$out/.export.XXXXXX")"
unpacked="$(forgeflow --json export "$execution_id" --tar --out "$staging" | json '["path"]')"
root="$(basename "$unpacked")"
rm -rf "${out:?}/$root"
mv "$unpacked" "$out/$root"
rm -rf "$staging"
echo "   unpacked into $out/$root"
git -C "$out/$root" log --shortstat --format='   commit %H%n   Author: %an <%ae>%n   Date:   %ad%n%n       %s%n'
git -C "$out/$root" fsck --full >/dev/null 2>&1 && echo "   git fsck --full: ok"
echo "11. a change request on the generated project (forgeflow change --watch): the change workflow"
echo "    updates the plan, plans the edit, writes a patch against the current tree and reviews it"
resource="$(curl -sS "$api/generations/$execution_id/files/.forgeflow/model.json" -H "authorization: Bearer $TOKEN" | json '["resources"][0]["name"]')"
request="Add a field reference to ${resource}s and add a resource shelf"
echo "   request: $request"
change_id="$(forgeflow --json change "$project_id" "$request" | json '["id"]')"
change="$(forgeflow --json watch "$change_id" | progress)"
printf '%s' "$change" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("   %s; generation %s" % (r["execution"], r.get("generation")))
if r.get("generation") != "ready":
    sys.exit("the change did not finish: %s" % r.get("error"))'
echo "12. what it changed (forgeflow diff --stat, then the diff of the model file)"
forgeflow diff "$change_id" --stat | sed 's/^/   /'
forgeflow diff "$change_id" | awk '/^diff --forgeflow a\/.forgeflow\/model.json/{show=1} /^diff --forgeflow/ && !/model.json/{show=0} show' | sed 's/^/   /'
echo "13. export the change: one more commit on the same history (forgeflow export --tar)"
staging="$(mktemp -d "$out/.export.XXXXXX")"
unpacked="$(forgeflow --json export "$change_id" --tar --out "$staging" | json '["path"]')"
rm -rf "${out:?}/$root"
mv "$unpacked" "$out/$root"
rm -rf "$staging"
git -C "$out/$root" log --format='   %h %s'
commits="$(git -C "$out/$root" rev-list --count HEAD)"
[ "$commits" -ge 2 ] || { echo "expected the change as a second commit, found $commits" >&2; exit 1; }
git -C "$out/$root" fsck --full >/dev/null 2>&1 && echo "   git fsck --full: ok ($commits commits in $out/$root)"
echo "14. the same, in the browser: open $api/ and sign in as $email (password: $password)"
echo "== done"
