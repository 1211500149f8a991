#!/usr/bin/env bash
# Prepares a fresh Debian machine for Tallow: checks the .NET 10 SDK, installs the Debian
# packages the tests use (only those missing), restores NuGet packages and builds the CLI.
# With --demo it then runs a real end-to-end encrypted transfer on the zero-config default.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

if ! command -v dotnet >/dev/null 2>&1 || ! dotnet --list-sdks | grep -q '^10\.'; then
  echo "setup: the .NET 10 SDK is required (dotnet on PATH); install it and run ./setup.sh again." >&2
  exit 1
fi

# Debian packages the test suites need (zsh and fish: the completion tests; man-db: the package
# test reads the installed man page; zbar-tools: zbarimg decodes the QR code `send --qr` draws;
# openssh-server and openssh-client: the `tallow ssh` tests run a real sshd, ssh and ssh-keygen;
# xvfb, xclip, xsel: the clipboard tests run two virtual X displays; chromium and nodejs (npm too
# when no npm came with it) and unzip: the web page's tests drive Debian's headless Chromium with
# puppeteer-core and check its zip downloads with unzip -t),
# and the native toolchain NativeAOT links the CLI with (clang, which brings binutils' ld and
# objcopy, and zlib1g-dev); installed only when missing.
need=()
for pkg in iproute2 procps iptables curl microsocks clang zlib1g-dev python3 zsh fish man-db zbar-tools openssh-server openssh-client xvfb xclip xsel chromium unzip; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
command -v node >/dev/null 2>&1 || need+=(nodejs)   # any Node.js ≥ 18 on PATH will do (this image's comes from NodeSource)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${need[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: please install: ${need[*]} (needs root)" >&2
  fi
fi

# The web page: its pinned npm packages (web/: the bundled @noble libraries and esbuild;
# web/e2e/: puppeteer-core), installed from the lock files only when missing.
if command -v npm >/dev/null 2>&1; then
  for dir in web web/e2e; do
    if [ -f "$dir/package-lock.json" ] && [ ! -d "$dir/node_modules" ]; then
      echo "setup: npm ci in $dir" >&2
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
    fi
  done
fi

echo "setup: restoring and building (Release; the CLI is compiled to a native binary, about a minute)..." >&2
dotnet restore Tallow.slnx --nologo -v quiet >&2
# A framework-dependent build from before NativeAOT left tallow.dll and friends here: drop them.
[ ! -f artifacts/tallow/tallow.dll ] || rm -rf artifacts/tallow
dotnet publish src/Tallow.Cli/Tallow.Cli.csproj -c Release -o artifacts/tallow --nologo -v quiet >&2
touch artifacts/tallow/tallow
echo "setup: done. Run ./tallow --help" >&2

if [ "${1:-}" = "--demo" ]; then
  exec "$root/scripts/demo.sh"
fi
