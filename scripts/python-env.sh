#!/usr/bin/env bash
# Creates .venv (git-ignored) with the pinned Python tools: moto (the local AWS emulator), cfn-lint,
# schemathesis, cargo-lambda with zig, and the python template's test dependencies.
# Re-running is cheap: it reinstalls only when scripts/requirements.txt changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$root/scripts/requirements.txt" | cut -d' ' -f1)"
if [ -x "$venv/bin/moto_server" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "setting up $venv (moto, cfn-lint)…" >&2
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/scripts/requirements.txt"
echo "$want" > "$stamp"
