#!/usr/bin/env bash
# What makes a Lambda binary big: builds it with the release profile but keeps its symbols, then
# sums the sizes of its code and data symbols by crate (Rust symbols by their first path segment,
# C symbols by library prefix). The figures behind BENCHMARKS.md's size decisions.
#   bash scripts/bloat.sh [package] [binary] [rows]     (default: forgeflow-api-lambda forgeflow-api 25)
# It reuses the release build in target/release; only the final link is redone.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
package="${1:-forgeflow-api-lambda}"
binary="${2:-forgeflow-api}"
rows="${3:-25}"
target="${CARGO_TARGET_DIR:-$root/target}"
CARGO_PROFILE_RELEASE_STRIP=false cargo build --quiet --release -p "$package" --bin "$binary"
file="$target/release/$binary"
echo "$binary: $(stat -c %s "$file") bytes with symbols" >&2
nm -S --size-sort --demangle=rust "$file" | python3 -c '
import collections, re, sys
rows = int(sys.argv[1])
sizes = collections.Counter()
for line in sys.stdin:
    parts = line.split(None, 3)
    if len(parts) < 4 or parts[2] not in "tTrRdDbB":
        continue
    size, name = int(parts[1], 16), parts[3].strip()
    name = re.sub(r"^<(impl )?", "", name)
    if name.startswith("aws_lc_") or name.startswith("AWS_LC"):
        crate = "[C] aws-lc"
    elif "::" in name:
        crate = name.split("::")[0].lstrip("<&*").split(" as ")[0].split("<")[0]
    else:
        crate = "[C/other] " + (name.split("_")[0] or name)[:20]
    sizes[crate] += size
total = sum(sizes.values())
print("%-40s %8s %6s" % ("crate", "KiB", "share"))
for crate, size in sizes.most_common(rows):
    print(f"{crate:<40} {size/1024:>8.0f} {100*size/total:>5.1f}%")
print("%-40s %8.0f" % ("all symbols", total / 1024))
' "$rows"
