#!/usr/bin/env bash
# Creates .venv-checkov (git-ignored) with the pinned checkov from scripts/requirements-checkov.txt. Its own
# virtualenv, apart from .venv (scripts/python-env.sh): checkov pins many libraries that would conflict with
# moto and schemathesis. Re-running is cheap: it reinstalls only when scripts/requirements-checkov.txt changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-checkov"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$root/scripts/requirements-checkov.txt" | cut -d' ' -f1)"
if [ -x "$venv/bin/checkov" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "setting up $venv (checkov)…" >&2
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/scripts/requirements-checkov.txt"
echo "$want" > "$stamp"
