#!/usr/bin/env bash
# Installs what the browser test needs, once: Debian's headless-capable Chromium at
# /usr/bin/chromium and the pinned playwright-core in tests/browser/node_modules.
# Idempotent: a second run with everything in place does nothing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  echo "installing chromium (Debian package)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine has no package lists: fetch them first, or when chromium is not known.
  if ! apt-cache show chromium >/dev/null 2>&1; then
    as_root apt-get update -qq
  fi
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
  fi
  [ -x /usr/bin/chromium ] || { echo "chromium did not install at /usr/bin/chromium" >&2; exit 1; }
}

install_node_modules() {
  local dir="$root/tests/browser"
  local stamp="$dir/node_modules/.lock.sha256"
  local want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -d "$dir/node_modules/playwright-core" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "installing the browser test's node packages (npm ci)…" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}

install_chromium
install_node_modules
