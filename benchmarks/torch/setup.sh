#!/usr/bin/env bash
# Check out diffusers v0.19.3, tomesd v0.1.3 and huggingface_hub v0.16.4 (pure-Python
# sources, no pip) under $TORCHBENCH/src, verify their commits and write a COMMIT file
# at each root (unet_bench.py reports it). The apt packages come first: see README.md.
#
#   benchmarks/torch/setup.sh
#
# Env: TORCHBENCH (default /tmp/torchbench); DIFFUSERS_REPO, TOMESD_REPO, HFHUB_REPO
# (default the GitHub URLs; any git URL works, e.g. file:///path/to/a/bare/mirror).
set -euo pipefail

TORCHBENCH=${TORCHBENCH:-/tmp/torchbench}
DIFFUSERS_REPO=${DIFFUSERS_REPO:-https://github.com/huggingface/diffusers.git}
TOMESD_REPO=${TOMESD_REPO:-https://github.com/dbolya/tomesd.git}
HFHUB_REPO=${HFHUB_REPO:-https://github.com/huggingface/huggingface_hub.git}

checkout() { # name url tag commit
	local name=$1 url=$2 tag=$3 want=$4 dir=$TORCHBENCH/src/$1
	if [[ -f $dir/COMMIT && $(cat "$dir/COMMIT") == "$want" ]]; then
		echo "$name: $tag ($want) already in $dir"
		return
	fi
	rm -rf "$dir"
	git -c advice.detachedHead=false clone --quiet --depth 1 --branch "$tag" "$url" "$dir"
	local got
	got=$(git -C "$dir" rev-parse HEAD)
	if [[ $got != "$want" ]]; then
		echo "$name: $tag is $got, expected $want" >&2
		exit 1
	fi
	echo "$got" >"$dir/COMMIT"
	echo "$name: $tag ($got) in $dir"
}

mkdir -p "$TORCHBENCH/src"
checkout diffusers "$DIFFUSERS_REPO" v0.19.3 de9c72d58c3eb4bcd50901d0c23c7c46f0cec29b
checkout tomesd "$TOMESD_REPO" v0.1.3 dc08c1bb06b670ffbf0182a998730daf1e0ec4b3
checkout huggingface_hub "$HFHUB_REPO" v0.16.4 11cf5cc775405b93d17ef367e9199777af2c306b

PYTHONPATH=$TORCHBENCH/src/diffusers/src:$TORCHBENCH/src/tomesd:$TORCHBENCH/src/huggingface_hub/src \
	/usr/bin/python3 -c '
import torch, diffusers, tomesd, huggingface_hub
from diffusers import UNet2DConditionModel
print("ok: torch", torch.__version__, "diffusers", diffusers.__version__, "huggingface_hub", huggingface_hub.__version__)'
