#!/usr/bin/env bash
# PyTorch + diffusers + tomesd on the SD 1.5 UNet (random weights) at merge ratios
# 0, 0.3, 0.5, 0.6, interleaved over ROUNDS rounds with the order rotated each round,
# one process per measurement (so peak RSS is per ratio). JSON lines go to stdout,
# one per measurement, each with a "round" field added.
#
#   benchmarks/torch/run.sh [ROUNDS] [unet_bench.py options...]
#
# e.g. benchmarks/torch/run.sh 3                      # SD 1.5, batch 2, 64x64 latent
#      benchmarks/torch/run.sh 1 --tiny --latent 16   # the tiny smoke test
#
# Env: TORCHBENCH (default /tmp/torchbench), RATIOS (default "0 0.3 0.5 0.6"),
# PYTHON (default /usr/bin/python3, Debian's, which python3-torch installs into).
set -euo pipefail

ROUNDS=${1:-3}
shift || true
TORCHBENCH=${TORCHBENCH:-/tmp/torchbench}
PYTHON=${PYTHON:-/usr/bin/python3}
read -r -a ratios <<<"${RATIOS:-0 0.3 0.5 0.6}"
here=$(cd "$(dirname "$0")" && pwd)

export PYTHONPATH=$TORCHBENCH/src/diffusers/src:$TORCHBENCH/src/tomesd:$TORCHBENCH/src/huggingface_hub/src
# torch.set_num_threads (--threads) sets the intra-op pool; keep OpenMP from
# spawning a pool of its own size before that.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
# diffusers must not try the network (nothing here downloads, but be sure).
export HF_HUB_OFFLINE=1 DIFFUSERS_OFFLINE=1

n=${#ratios[@]}
for ((round = 0; round < ROUNDS; round++)); do
	for ((i = 0; i < n; i++)); do
		ratio=${ratios[$(((i + round) % n))]}
		line=$("$PYTHON" "$here/unet_bench.py" --ratio "$ratio" "$@")
		echo "{\"round\": $round, ${line#\{}"
	done
done
