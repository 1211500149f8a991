#!/usr/bin/env bash
# Builds the web page into web/dist (or the directory given as $1): esbuild bundles
# src/ui/main.js (with the protocol and the pinned @noble libraries) into tallow.js, the
# download worker into sw.js and the stylesheet into style.css; index.html gets each file's
# Subresource-Integrity sha384 hash. Same inputs give the same bytes (the committed dist is
# checked against a fresh build). Prints "web bundle sha384-..." for the README / SRI check.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
out="${1:-$here/dist}"
esbuild_version=0.28.2

if [ -x node_modules/.bin/esbuild ]; then
  esbuild=(node_modules/.bin/esbuild)
else
  [ -d node_modules/@noble ] || { echo "build.sh: run 'npm ci' in web/ first (the @noble libraries are bundled)" >&2; exit 1; }
  esbuild=(npx --yes "esbuild@$esbuild_version")
fi
have="$("${esbuild[@]}" --version)"
[ "$have" = "$esbuild_version" ] || { echo "build.sh: esbuild $have found, $esbuild_version expected (pinned for reproducible bytes)" >&2; exit 1; }

mkdir -p "$out"
rm -f "$out/tallow.js" "$out/sw.js" "$out/style.css" "$out/index.html"
common=(--minify --charset=utf8 --legal-comments=eof --target=es2022 --log-level=warning)
"${esbuild[@]}" src/ui/main.js --bundle --format=iife "${common[@]}" --outfile="$out/tallow.js"
"${esbuild[@]}" src/sw.js --bundle --format=iife "${common[@]}" --outfile="$out/sw.js"
"${esbuild[@]}" src/style.css "${common[@]}" --outfile="$out/style.css"

sri() { echo "sha384-$(openssl dgst -sha384 -binary "$1" | openssl base64 -A)"; }
bundle="$(sri "$out/tallow.js")"
style="$(sri "$out/style.css")"
sed -e "s|@BUNDLE_SRI@|$bundle|" -e "s|@STYLE_SRI@|$style|" src/index.html > "$out/index.html"
grep -q '@[A-Z_]*_SRI@' "$out/index.html" && { echo "build.sh: a placeholder was left in index.html" >&2; exit 1; }
echo "web bundle $bundle"
