#!/usr/bin/env bash
# install-ort.sh — put the CPU build of ONNX Runtime 1.29.0 where tomebench
# looks for it, without Go: the same steps as `tomebench install-ort`
# (internal/ort.Install).
#
#   1. npm pack onnxruntime-node@1.29.0 in a temporary folder (never npm
#      install: its install script downloads GPU parts from elsewhere);
#   2. check the tarball's sha256;
#   3. extract only package/bin/napi-v6/linux/x64/libonnxruntime.so.1;
#   4. check its sha256 and move it atomically into
#      ${XDG_CACHE_HOME:-~/.cache}/tomebench/onnxruntime-1.29.0/.
#
# Needs bash, npm (with access to the npm registry), tar, sha256sum.
# GPU users instead point ONNXRUNTIME_LIB at libonnxruntime.so.1 of ONNX
# Runtime's GPU release.
set -euo pipefail

VERSION=1.29.0
SPEC="onnxruntime-node@${VERSION}"
TARBALL_SHA=cfdfb45ec4044b1fdca43e5d2e180fb6817e649ff8ad1e0dfc90e18e51b67037
MEMBER=package/bin/napi-v6/linux/x64/libonnxruntime.so.1
LIB_SHA=89688f5cf51c7e31befbb7b9101bc027799009b18d1baa9a5b1146a72e69538d

cache="${XDG_CACHE_HOME:-}"
case "$cache" in
/*) ;;
*) cache="$HOME/.cache" ;; # unset or relative: the XDG default
esac
dest_dir="$cache/tomebench/onnxruntime-$VERSION"
dest="$dest_dir/libonnxruntime.so.1"

sha() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$dest" ] && [ "$(sha "$dest")" = "$LIB_SHA" ]; then
	echo "install-ort: $dest already installed (sha256 ok)"
	exit 0
fi
for tool in npm tar sha256sum; do
	command -v "$tool" >/dev/null || { echo "install-ort: $tool not found" >&2; exit 1; }
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tomebench-ort-XXXXXX")"
part=""
trap 'rm -rf "$tmp"; [ -z "$part" ] || rm -f "$part"' EXIT

echo "install-ort: npm pack $SPEC"
(cd "$tmp" && npm pack --ignore-scripts --silent "$SPEC" >/dev/null)
set -- "$tmp"/*.tgz
if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then
	echo "install-ort: npm pack $SPEC did not leave one .tgz in $tmp" >&2
	exit 1
fi
tgz="$1"
got="$(sha "$tgz")"
if [ "$got" != "$TARBALL_SHA" ]; then
	echo "install-ort: sha256 mismatch: $(basename "$tgz") has $got, want $TARBALL_SHA" >&2
	exit 1
fi
echo "install-ort: $(basename "$tgz") sha256 ok"

mkdir -p "$tmp/x" "$dest_dir"
tar -xzf "$tgz" -C "$tmp/x" "$MEMBER"
got="$(sha "$tmp/x/$MEMBER")"
if [ "$got" != "$LIB_SHA" ]; then
	echo "install-ort: sha256 mismatch: $MEMBER has $got, want $LIB_SHA" >&2
	exit 1
fi
# Copy next to the destination first, so that the final rename is atomic.
part="$(mktemp "$dest_dir/.part-XXXXXX")"
cp "$tmp/x/$MEMBER" "$part"
chmod 644 "$part"
mv -f "$part" "$dest"
part=""
echo "install-ort: installed $dest (sha256 ok)"
