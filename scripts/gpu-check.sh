#!/usr/bin/env bash
# gpu-check.sh: the CUDA checks of tomebench, for a GPU machine without network access.
# Runs in the repository root with only carried files:
#   bin/tomebench                 built here: go build -o bin/tomebench ./cmd/tomebench
#   ORT parts in $PARTS (default .ortgpu), either
#     - the two npm tarballs (onnxruntime-node-1.29.0.tgz and
#       com.github.asus4.onnxruntime.linux-x64-gpu-0.4.9.tgz), installed with
#       `tomebench install-ort --gpu --from $PARTS` (sha256-pinned), or
#     - the parts of ../shared/gpu/ort-cuda-parts.sh (core.tar.xz, cuda.xz.partNN),
#       assembled here and checked against the same sha256 pins.
#   fixtures in $FIXTURES (default ../shared/fixtures or shared/fixtures; optional).
# CUDA 13, cuBLAS, cuRAND and cuDNN 9 must be loadable: the script adds the nvidia/*/lib
# folders of a CUDA 13 PyTorch install to LD_LIBRARY_PATH when python3 has one.
# Steps (about 6–8 minutes on one modern GPU, most of it building the random SD 1.5 UNet):
#   1. install ORT + CUDA provider, doctor
#   2. tiny fixture UNet on CUDA vs torch: unpatched and ToMe r=0.5 (fixed partition),
#      fp32, plain and fused attention, --atol 1e-4
#   3. tomebench bench --arch sd15 --precision fp16 --provider cuda --ratios 0,0.3,0.5,0.6
# Results: $OUT (default gpu-check-out)/{doctor.txt,fixtures.txt,bench_sd15_fp16*.{md,json}}.
set -euo pipefail
cd "$(dirname "$0")/.."
PARTS=${PARTS:-.ortgpu}
OUT=${OUT:-gpu-check-out}
mkdir -p "$OUT"
TB=${TB:-bin/tomebench}
[ -x "$TB" ] || { echo "gpu-check: $TB missing: build it first (go build -o bin/tomebench ./cmd/tomebench)" >&2; exit 1; }
export XDG_CACHE_HOME=${XDG_CACHE_HOME:-$PWD/.gpu-cache}

# 1. ONNX Runtime with the CUDA provider.
LIBDIR=$XDG_CACHE_HOME/tomebench/onnxruntime-1.29.0-gpu
if ls "$PARTS"/*.tgz >/dev/null 2>&1; then
  "$TB" install-ort --gpu --from "$PARTS"
elif [ -f "$PARTS/core.tar.xz" ]; then
  mkdir -p "$LIBDIR"
  tar -xJf "$PARTS/core.tar.xz" -C "$LIBDIR"
  cat "$PARTS"/cuda.xz.part* | xz -d > "$LIBDIR/libonnxruntime_providers_cuda.so"
  ( cd "$LIBDIR" && sha256sum -c - <<'SUMS'
89688f5cf51c7e31befbb7b9101bc027799009b18d1baa9a5b1146a72e69538d  libonnxruntime.so.1
c6a12593396095f5670160e284c35d1700b7708cf3037b7042e2a5200ccae772  libonnxruntime_providers_shared.so
56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037  libonnxruntime_providers_cuda.so
SUMS
  )
else
  echo "gpu-check: no ORT parts in $PARTS" >&2; exit 1
fi
export ONNXRUNTIME_LIB=$LIBDIR/libonnxruntime.so.1
if command -v python3 >/dev/null; then
  NV=$(python3 - <<'PY' 2>/dev/null || true
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
print(":".join(sorted({d for r in roots for d in glob.glob(os.path.join(r, "nvidia", "*", "lib"))})))
PY
)
  [ -n "$NV" ] && export LD_LIBRARY_PATH=$NV${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt" || true
"$TB" doctor | tee "$OUT/doctor.txt"

# 2. Tiny fixture UNet on CUDA against torch's outputs.
FIXTURES=${FIXTURES:-}
for f in ../shared/fixtures shared/fixtures; do [ -z "$FIXTURES" ] && [ -d "$f/unet/tiny-sd15" ] && FIXTURES=$f; done
if [ -n "$FIXTURES" ]; then
  G=$FIXTURES/unet/tiny-sd15/golden
  W=$(mktemp -d)
  {
    for att in plain fused; do
      flag=""; [ $att = fused ] && flag="--attention fused"
      "$TB" convert "$FIXTURES/unet/tiny-sd15/diffusers/unet" --out "$W/$att" $flag >/dev/null
      "$TB" patch "$W/$att/model.onnx" --out "$W/$att/r50.onnx" --ratio 0.5 --no-rand >/dev/null
      IN="--input sample=$G/sample.npy --input timestep=$G/timestep.npy --input encoder_hidden_states=$G/encoder_hidden_states.npy"
      echo "== $att attention, unpatched, cuda vs torch"
      "$TB" exec "$W/$att/model.onnx" --provider cuda $IN --expect out_sample=$G/out_unpatched.npy --atol 1e-4
      echo "== $att attention, ToMe r=0.5 no-rand, cuda vs tomesd"
      "$TB" exec "$W/$att/r50.onnx" --provider cuda $IN --expect out_sample=$G/out_tome_r50_norand.npy --atol 1e-4
    done
  } 2>&1 | tee "$OUT/fixtures.txt"
  rm -rf "$W"
else
  echo "gpu-check: no fixtures found; skipping the torch comparison" | tee "$OUT/fixtures.txt"
fi

# 3. SD 1.5 UNet, fp16, CUDA: time and memory per ratio (the paper's GB/im under 24 GB,
#    an RTX 4090's memory, as the paper measured).
B="$TB bench --arch sd15 --precision fp16 --provider cuda --ratios 0,0.3,0.5,0.6"
$B --repeat 3 --out "$OUT/bench_sd15_fp16.json" | tee "$OUT/bench_sd15_fp16.md"
$B --repeat 2 --attention fused --no-profile --out "$OUT/bench_sd15_fp16_fused.json" | tee "$OUT/bench_sd15_fp16_fused.md"
$B --repeat 1 --no-profile --memory-limit 24 --max-images 32 | tee "$OUT/bench_sd15_fp16_limit.md"
