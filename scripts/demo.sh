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
echo "== done"
