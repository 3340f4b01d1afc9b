#!/usr/bin/env bash
# The main job, step by step over HTTP exactly as a user would do it with curl.
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

echo "== Forgeflow demo against $api"
echo "1. register $email"
TOKEN="$(call POST /auth/register "{\"email\":\"$email\",\"password\":\"$password\"}" | json '["token"]')"
echo "2. log in"
TOKEN="$(call POST /auth/login "{\"email\":\"$email\",\"password\":\"$password\"}" | json '["token"]')"
echo "   signed in as $(call GET /me | json '["email"]')"
echo "3. create a project"
brief="A small web service where library members borrow and return books, get reminders before due dates, and librarians see overdue loans."
project="$(call POST /projects "{\"name\":\"Lending library\",\"brief\":\"$brief\",\"template\":\"python-fastapi\"}")"
project_id="$(printf '%s' "$project" | json '["id"]')"
echo "   project $project_id (version $(printf '%s' "$project" | json '["version"]'))"
echo "4. rename it (optimistic concurrency: send the version you read)"
call PATCH "/projects/$project_id" '{"version":1,"name":"Lending library service"}' | json '["name"]' | sed 's/^/   now called: /'
echo "5. list my projects"
call GET "/projects?limit=10" | python3 -c '
import json, sys
for p in json.load(sys.stdin)["items"]:
    print("   - %s  %s  [%s]  v%s" % (p["id"], p["name"], p["template"], p["version"]))'
echo "6. run the full-project workflow (product manager → architect → engineers → reviewer, offline AI)"
execution_id="$(call POST "/projects/$project_id/executions" '{"workflow":"full-project"}' | json '["id"]')"
echo "   execution $execution_id"
last=""
for _ in $(seq 1 600); do
  execution="$(call GET "/executions/$execution_id" 3>/dev/null)"
  line="$(printf '%s' "$execution" | python3 -c '
import json, sys
e = json.load(sys.stdin)
print(e["status"] + ": " + "  ".join("%s=%s" % (s["id"], s["status"]) for s in e["steps"]))')"
  [ "$line" != "$last" ] && echo "   $line" && last="$line"
  case "$line" in running*) sleep 0.2 ;; *) break ;; esac
done
printf '%s' "$execution" | python3 -c '
import json, sys
e = json.load(sys.stdin)
t = e["totals"]
print("   %s in %d steps; %d tokens in, %d out; $%.4f" % (e["status"], len(e["steps"]), t["input_tokens"], t["output_tokens"], t["cost_usd"]))
if e["status"] != "succeeded":
    sys.exit("the workflow did not succeed: %s" % e.get("error"))'
echo "7. the plan it wrote"
call GET "/projects/$project_id/stories" | python3 -c '
import json, sys
for s in json.load(sys.stdin)["items"]:
    print("   %-4s %-6s %2d pts  %s" % (s["id"], s["priority"], s["estimate_points"], s["title"]))'
call GET "/projects/$project_id/sprints" | python3 -c '
import json, sys
for s in json.load(sys.stdin)["items"]:
    print("   sprint %d: %s (%s)" % (s["number"], s["goal"], ", ".join(s["story_ids"])))'
echo "== done"
