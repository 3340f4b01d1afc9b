#!/usr/bin/env bash
# `make package`: the deployable form. Builds every Lambda with cargo-lambda (release profile, zig as
# the linker so the binaries run on Amazon Linux 2023's glibc) and leaves
# target/lambda/<function>/bootstrap.zip for every function in manifest/, which is what CDK ships.
#
# The API's HTTP and WebSocket functions share the `forgeflow-api` binary (Lambda's `_HANDLER` picks
# the function); each worker is a binary of its own. FORGEFLOW_LAMBDA_ARCH=arm64 builds for Graviton
# (needs `rustup target add aarch64-unknown-linux-gnu`); the default is x86_64. CDK reads the same
# variable, and refuses artifacts of another architecture.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

arch="${FORGEFLOW_LAMBDA_ARCH:-x86_64}"
case "$arch" in
  x86_64) target=x86_64-unknown-linux-gnu; flag=--x86-64; machine="X86-64" ;;
  arm64) target=aarch64-unknown-linux-gnu; flag=--arm64; machine="AArch64" ;;
  *) echo "FORGEFLOW_LAMBDA_ARCH must be x86_64 or arm64, not '$arch'" >&2; exit 2 ;;
esac
if ! rustc --print sysroot >/dev/null || [ ! -d "$(rustc --print sysroot)/lib/rustlib/$target" ]; then
  echo "the Rust standard library for $target is not installed: rustup target add $target" >&2
  exit 2
fi

bash scripts/python-env.sh
export PATH="$root/.venv/bin:$PATH"
out="${CARGO_TARGET_DIR:-$root/target}/lambda"
# Lambda's amazon linux 2023 has glibc 2.34; zig links against exactly that.
glibc=2.34

start=$SECONDS
# --disable-optimizations: the release profile in Cargo.toml is the one source of build settings.
cargo lambda build --release --disable-optimizations "$flag" --output-format zip --lambda-dir "$out" \
  -p forgeflow-api-lambda -p forgeflow-workers -p forgeflow-hello-lambda
echo "cargo lambda build: $((SECONDS - start)) s" >&2

api_functions="$(python3 scripts/lib/manifest_functions.py api)"
worker_functions="$(python3 scripts/lib/manifest_functions.py workers)"
for function in $api_functions; do
  mkdir -p "$out/$function"
  ln -f "$out/forgeflow-api/bootstrap.zip" "$out/$function/bootstrap.zip"
done

# Every artifact: an executable ELF for the wanted machine that asks no newer glibc than Lambda's.
check="$(mktemp -d)"
trap 'rm -rf "$check"' EXIT
for binary in forgeflow-api $worker_functions hello-lambda; do
  zip="$out/$binary/bootstrap.zip"
  [ -s "$zip" ] || { echo "missing $zip" >&2; exit 1; }
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("bootstrap", sys.argv[2])' "$zip" "$check/$binary"
  readelf -h "$check/$binary/bootstrap" | grep -q "Machine:.*$machine" \
    || { echo "$zip: not an $machine ELF" >&2; exit 1; }
  newest="$(objdump -T "$check/$binary/bootstrap" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)"
  if [ "$(printf '%s\n%s\n' "$newest" "$glibc" | sort -V | tail -1)" != "$glibc" ]; then
    echo "$zip needs glibc $newest; Lambda's provided.al2023 has $glibc" >&2
    exit 1
  fi
done
count=$(( $(echo "$api_functions" | wc -w) + $(echo "$worker_functions" | wc -w) ))
echo "packaged $count functions ($arch) in $out/<function>/bootstrap.zip in $((SECONDS - start)) s" >&2
