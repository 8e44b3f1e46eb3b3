#!/usr/bin/env bash
# Runs every test of tomebench. Installs the pinned CPU build of ONNX Runtime into the
# per-user cache first when none is found (needs npm and the npm registry; see
# scripts/setup.sh, which also adds OpenBLAS for fast FID when it can), so that the
# tests that need it run instead of failing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
go vet ./...
# -v lists every test that ran; the === RUN/PAUSE/CONT chatter is dropped.
go test -count=1 -timeout 30m -v ./... 2>&1 | grep -v -E '^=== (RUN|PAUSE|CONT|NAME)'
