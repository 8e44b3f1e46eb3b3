#!/usr/bin/env bash
# The built-in default job on a fresh machine: install ONNX Runtime if needed, report the
# set-up, and run the tiny SD 1.5 UNet (a real diffusers export with random weights)
# on its golden inputs, checking the output against torch's.
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=${TOMEBENCH_FIXTURES:-../shared/fixtures}
golden=$fixtures/unet/tiny-sd15/golden
mkdir -p out
go build -o out/tomebench ./cmd/tomebench
out/tomebench install-ort
out/tomebench doctor
out/tomebench exec "$fixtures/unet/tiny-sd15/onnx/model.onnx" \
  --input sample="$golden/sample.npy" \
  --input timestep="$golden/timestep.npy" \
  --input encoder_hidden_states="$golden/encoder_hidden_states.npy" \
  --output out_sample=out/smoke_out_sample.npy \
  --expect out_sample="$golden/out_unpatched.npy" --atol 1e-5
echo "smoke: OK (out/smoke_out_sample.npy)"
