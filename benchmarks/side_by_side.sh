#!/usr/bin/env bash
# tomebench and PyTorch + diffusers + tomesd on the SD 1.5 UNet (512², batch 2, fp32,
# CPU, ratios 0/0.3/0.5/0.6), the two tools alternated round by round so that both see
# the same machine: ROUNDS rounds (default 3) of one `tomebench bench` round and one
# benchmarks/torch/run.sh round. Needs bin/tomebench (scripts/setup.sh) and the torch
# setup (benchmarks/torch/README.md). Raw results go to OUT (default
# benchmarks/data/side_by_side): tomebench_roundN.json and torch_roundN.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
out=${OUT:-benchmarks/data/side_by_side}
mkdir -p "$out"
for ((r = 1; r <= rounds; r++)); do
	bin/tomebench bench --arch sd15 --ratios 0,0.3,0.5,0.6 --repeat 1 --no-profile --json >"$out/tomebench_round$r.json"
	benchmarks/torch/run.sh 1 >"$out/torch_round$r.jsonl"
done
