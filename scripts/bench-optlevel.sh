#!/usr/bin/env bash
# Chooses the release opt-level by measuring: binary size of an API Lambda (fat LTO, as shipped)
# and the CPU-bound work of the functions (benches/optlevel.rs), for opt-level 3 and s.
# Slow (several release builds); writes its section of BENCHMARKS.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rows=""
for level in 3 s; do
  target="target/optlevel-$level"
  CARGO_PROFILE_RELEASE_OPT_LEVEL="$level" cargo build --quiet --release -p forgeflow-projects --bin projects-get --target-dir "$target"
  size=$(stat -c %s "$target/release/projects-get")
  line=$(CARGO_PROFILE_BENCH_OPT_LEVEL="$level" cargo bench --quiet -p forgeflow-generator --bench optlevel --target-dir "$target" | grep "^OPTLEVEL")
  jwt=$(sed 's/.*jwt_20k_ms=\([0-9]*\).*/\1/' <<<"$line")
  parse=$(sed 's/.*parse_5k_ms=\([0-9]*\).*/\1/' <<<"$line")
  gen=$(sed 's/.*generate_10k_ms=\([0-9]*\).*/\1/' <<<"$line")
  rows+="| $level | $((size / 1024)) KiB | $jwt ms | $parse ms | $gen ms |"$'\n'
  echo "opt-level $level: $((size / 1024)) KiB, $line"
done
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
python3 - "$rows" "$machine" <<'PY'
import sys, pathlib
rows, machine = sys.argv[1], sys.argv[2]
body = f"""## Release opt-level ([1/8])

Command: `bash scripts/bench-optlevel.sh` · machine: {machine} · `projects-get` built with the release profile
(fat LTO, codegen-units 1, stripped; x86_64 here, arm64 in AWS), and the CPU-bound work of our functions
(`shared/generator/benches/optlevel.rs`: 20,000 JWT issue + verify, 5,000 request bodies parsed and validated, a
10,000-file generation with its manifest).

| opt-level | projects-get size | JWT ×20k | parse ×5k | generate 10k files |
|---|---|---|---|---|
{rows.rstrip()}

Lambda bills memory × time and cold starts grow with binary size; the table shows what each level costs."""
path = pathlib.Path("BENCHMARKS.md")
text = path.read_text()
open_, close = "<!-- bench:optlevel -->", "<!-- /bench:optlevel -->"
section = f"{open_}\n{body}\n{close}"
if open_ in text and close in text:
    start, end = text.index(open_), text.index(close) + len(close)
    text = text[:start] + section + text[end:]
else:
    text = text.rstrip() + "\n" + section + "\n"
path.write_text(text)
print(body)
PY
