#!/bin/sh
# report-screenshot.sh RUN_DIR OUT.png
#
# Screenshots RUN_DIR/report.html (written by `tomebench report RUN_DIR`) with headless
# Chromium, to check by eye that the table, plots and image grids show. Needs Debian's
# chromium package (apt-get install -y chromium). The window is 1400 x 2400 pixels.
set -eu
if [ $# -ne 2 ]; then
	echo "usage: $0 RUN_DIR OUT.png" >&2
	exit 2
fi
html=$(cd "$1" && pwd)/report.html
[ -f "$html" ] || { echo "$0: $html not found (run tomebench report first)" >&2; exit 1; }
case $2 in /*) out=$2 ;; *) out=$(pwd)/$2 ;; esac
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "$0: chromium not found (apt-get install -y chromium)" >&2; exit 1; }
# A fresh profile each time, so that concurrent runs do not share a lock.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
	--user-data-dir="$profile" --window-size=1400,2400 \
	--screenshot="$out" "file://$html" >/dev/null 2>&1
[ -s "$out" ] || { echo "$0: chromium wrote no $out" >&2; exit 1; }
echo "$out"
