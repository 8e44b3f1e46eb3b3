#!/usr/bin/env bash
# The built-in default job, end to end on a tiny model, on a fresh machine (until the
# experiment runner exists, this is the closest thing to `tomebench run`):
#  1. set-up (ONNX Runtime; OpenBLAS when possible) and `tomebench doctor`;
#  2. the shared tiny SD 1.5 UNet (a real diffusers export) on its golden inputs,
#     checked against torch's output;
#  3. a tiny random-weight SD pipeline (`synth`), 4 images per ToMe ratio (0, 0.5)
#     with `generate`, seconds per image for each;
#  4. FID between the two image sets with the fixtures' deterministic Inception
#     weights (formula:det): it exercises the FID path end to end, the number itself
#     means nothing (random models, 4 images, no real weights offline).
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=${TOMEBENCH_FIXTURES:-../shared/fixtures}
golden=$fixtures/unet/tiny-sd15/golden
out=out/smoke
rm -rf "$out" && mkdir -p "$out"
bash scripts/setup.sh
go build -o out/tomebench ./cmd/tomebench
tb=out/tomebench
$tb doctor

echo "== tiny SD 1.5 UNet export vs torch"
$tb exec "$fixtures/unet/tiny-sd15/onnx/model.onnx" \
  --input sample="$golden/sample.npy" \
  --input timestep="$golden/timestep.npy" \
  --input encoder_hidden_states="$golden/encoder_hidden_states.npy" \
  --output out_sample="$out/out_sample.npy" \
  --expect out_sample="$golden/out_unpatched.npy" --atol 1e-5

echo "== tiny random-weight pipeline, 50 PNDM steps, 4 images per ToMe ratio"
$tb synth --arch tiny --seed 1 --out "$out/tiny"
for ratio in 0 0.5; do
  mkdir -p "$out/r$ratio"
  start=$(date +%s.%N)
  $tb generate --model "$out/tiny" --prompt "A high quality photograph of a tench." \
    --steps 50 --batch 4 --seed 0 --ratio "$ratio" --out "$out/r$ratio/img.png" --quiet
  end=$(date +%s.%N)
  awk -v r="$ratio" -v a="$start" -v b="$end" 'BEGIN { printf "ratio %s: %.2f s/im (wall time incl. model load)\n", r, (b - a) / 4 }'
done

echo "== FID between the two sets (formula weights: a plumbing check, not a measurement)"
$tb fid --weights formula:det --batch-size 4 "$out/r0" "$out/r0.5"
echo "smoke: OK ($out)"
