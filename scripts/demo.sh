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
echo "8. the generated project (template + the agents' files)"
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
echo "9. export it as a git repository (tar.gz with its .git history)"
export_id="$(call POST "/generations/$execution_id/exports" '{"target":{"type":"tar.gz"}}' | json '["id"]')"
for _ in $(seq 1 600); do
  exported="$(call GET "/exports/$export_id" 3>/dev/null)"
  status="$(printf '%s' "$exported" | json '["status"]')"
  case "$status" in succeeded|failed) break ;; *) sleep 0.2 ;; esac
done
[ "$status" = succeeded ] || { echo "$exported" >&2; exit 1; }
url="$(printf '%s' "$exported" | json '["result"]["download_url"]')"
out="${FORGEFLOW_OUT_DIR:-out}"
mkdir -p "$out"
archive="$out/.download.tar.gz"
curl -sS -o "$archive" "$url"
root="$(tar tzf "$archive" | sed -n '1{s|/.*||;p;}')"
[ -n "$root" ] || { echo "the archive has no root directory" >&2; exit 1; }
rm -rf "${out:?}/$root"
tar xzf "$archive" -C "$out"
rm -f "$archive"
echo "   unpacked into $out/$root"
git -C "$out/$root" log --shortstat --format='   commit %H%n   Author: %an <%ae>%n   Date:   %ad%n%n       %s%n' 
git -C "$out/$root" fsck --full >/dev/null 2>&1 && echo "   git fsck --full: ok"
echo "== done"
