#!/usr/bin/env bash
# ONNX Runtime's memory patterns off (tomebench's default) vs on, on the SD 1.5 UNet
# (512², batch 2, fp32, CPU), plain and fused attention, interleaved: ROUNDS rounds
# (default 3), each running the four settings in turn, one unpatched call each (after
# a warm-up) in its own `tomebench bench` child. Prints one line per measurement:
#   round attention pattern=on|off s/call peak-RSS-GB opened-RSS-GB load
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
for ((round = 1; round <= rounds; round++)); do
	for att in plain fused; do
		for mp in off on; do
			flag=()
			[ "$mp" = on ] && flag=(--mem-pattern)
			bin/tomebench bench --arch sd15 --ratios 0 --repeat 1 --no-profile --attention "$att" "${flag[@]}" --json 2>/dev/null |
				python3 -c "
import json, sys
d = json.load(sys.stdin); r = d['rows'][0]
print($round, '$att', 'pattern=$mp', round(r['seconds']['median'], 3), round(r['peak_rss_bytes'] / 1e9, 2),
      round(r['opened_rss_bytes'] / 1e9, 2), d['environment']['load_before'][0])"
		done
	done
done
