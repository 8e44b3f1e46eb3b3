#!/usr/bin/env bash
# Installs what tomebench uses at run time:
#  1. ONNX Runtime 1.29.0, CPU build (required): into the per-user cache via
#     `tomebench install-ort` (npm pack of onnxruntime-node, checksummed; never its
#     install script). Skipped when one is found (ONNXRUNTIME_LIB or the cache).
#  2. bin/tomebench, built from this checkout (stamped with its git commit, which every
#     run records).
#  3. OpenBLAS (optional): Debian's libopenblas0-pthread, which the fid package opens at
#     run time for 2048-d Fréchet distances about 5x faster than pytorch-fid (pure Go
#     otherwise). Installed only when running as root with apt-get; never fatal.
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./cmd/tomebench install-ort
go build -o bin/tomebench ./cmd/tomebench
echo "setup: built bin/tomebench"
if ! ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\.0'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing libopenblas0-pthread for fast FID (optional)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null) \
      || echo "setup: could not install OpenBLAS; FID uses pure Go (same values, slower)"
  else
    echo "setup: no OpenBLAS found; FID uses pure Go (same values, slower). Install libopenblas0 for speed."
  fi
fi
