#!/usr/bin/env bash
# Builds the packages for people who are not developers, from the NativeAOT binary:
#   artifacts/packages/tallow_VERSION_ARCH.deb           (dpkg -i; relay service installed, not enabled)
#   artifacts/packages/tallow-VERSION-linux-x64.tar.gz   (unpack anywhere; no .NET needed)
# Both carry the binary with libsodium.so, libblake3_dotnet.so and libe_sqlite3.so beside it, completions for bash/zsh/fish and the man page,
# which the binary writes from its own command tree (tallow completion SHELL, tallow manpage).
# Usage: scripts/package.sh [--binary DIR] [--out DIR]
#   --binary DIR  package DIR/tallow and its libraries as they are (e.g. artifacts/tallow), instead
#                 of publishing a portable binary (x64 baseline, -p:TallowPortable=true) first.
#   --out DIR     where the packages go (default: artifacts/packages).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bindir=""
out="$root/artifacts/packages"
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) bindir="$(cd "$2" && pwd)"; shift 2 ;;
    --out) mkdir -p "$2"; out="$(cd "$2" && pwd)"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for tool in dpkg-deb dpkg gzip tar objdump; do
  command -v "$tool" >/dev/null || { echo "package.sh: '$tool' is needed (Debian: apt-get install dpkg binutils gzip tar)" >&2; exit 1; }
done

if [ -z "$bindir" ]; then
  # A binary for any x64 machine: the x64 baseline instruction set, not this machine's (see Tallow.Cli.csproj).
  bindir="$root/artifacts/tallow-portable"
  echo "package.sh: publishing a portable binary into $bindir (a few minutes)..." >&2
  dotnet publish "$root/src/Tallow.Cli/Tallow.Cli.csproj" -c Release -o "$bindir" -p:TallowPortable=true --nologo -v quiet >&2
fi
bin="$bindir/tallow"
# The native libraries the binary loads from beside its real path: libsodium (crypto), blake3_dotnet
# (BLAKE3, the official Rust implementation) and e_sqlite3 (tallow history).
libs=("$bindir/libsodium.so" "$bindir/libblake3_dotnet.so" "$bindir/libe_sqlite3.so")
for needed in "$bin" "${libs[@]}"; do
  [ -f "$needed" ] || { echo "package.sh: $bin and the libraries beside it (${libs[*]##*/}) are needed; $needed is missing" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "package.sh: $bin is not executable" >&2; exit 1; }

# "tallow 1.0.0+abc123 (relay protocol 2, ...)" -> 1.0.0
version="$("$bin" version | awk '{print $2}' | sed 's/+.*//')"
[[ $version =~ ^[0-9][0-9A-Za-z.~-]*$ ]] || { echo "package.sh: unexpected version '$version' from $bin version" >&2; exit 1; }
arch="$(dpkg --print-architecture)"
[ "$arch" = amd64 ] || { echo "package.sh: the binary is linux-x64; this machine is $arch" >&2; exit 1; }

# glibc the binary and its libraries link against (highest GLIBC_x.y symbol version they need).
glibc="$(objdump -T "$bin" "${libs[@]}" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)"
# libssl is loaded at run time (dlopen; TLS and the system's crypto), so ldd does not show it.
depends="libc6 (>= $glibc), libssl3 | libssl3t64"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- Files both packages carry, written by the binary itself --------------------------------------
gen="$work/generated"
mkdir -p "$gen"
"$bin" completion bash > "$gen/tallow.bash"
"$bin" completion zsh > "$gen/_tallow"
"$bin" completion fish > "$gen/tallow.fish"
"$bin" manpage > "$gen/tallow.1"
gzip -9n < "$gen/tallow.1" > "$gen/tallow.1.gz"
# The unit as packaged: the binary is /usr/bin/tallow (deploy/ documents /usr/local/bin for a copy by hand).
sed -e 's|/usr/local/bin/tallow|/usr/bin/tallow|g' -e 's|^Description=.*|&\nDocumentation=man:tallow(1)|' \
    -e 's|^# Install: the CLI at /usr/bin/tallow|# Installed by the tallow package: the CLI at /usr/bin/tallow|' \
    "$root/deploy/tallow-relay.service" > "$gen/tallow-relay.service"

# --- .deb ------------------------------------------------------------------------------------------
pkg="$work/deb"
install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/lib/tallow" "$pkg/lib/systemd/system" "$pkg/etc/tallow" \
  "$pkg/usr/share/bash-completion/completions" "$pkg/usr/share/zsh/vendor-completions" \
  "$pkg/usr/share/fish/vendor_completions.d" "$pkg/usr/share/man/man1" "$pkg/usr/share/doc/tallow"
# The binary finds its libraries beside its real path, so they all live in /usr/lib/tallow.
install -m 0755 "$bin" "$pkg/usr/lib/tallow/tallow"
install -m 0644 "${libs[@]}" "$pkg/usr/lib/tallow/"
ln -s ../lib/tallow/tallow "$pkg/usr/bin/tallow"
install -m 0644 "$gen/tallow-relay.service" "$pkg/lib/systemd/system/tallow-relay.service"
install -m 0644 "$root/deploy/relay.toml" "$pkg/etc/tallow/relay.toml"
install -m 0644 "$gen/tallow.bash" "$pkg/usr/share/bash-completion/completions/tallow"
install -m 0644 "$gen/_tallow" "$pkg/usr/share/zsh/vendor-completions/_tallow"
install -m 0644 "$gen/tallow.fish" "$pkg/usr/share/fish/vendor_completions.d/tallow.fish"
install -m 0644 "$gen/tallow.1.gz" "$pkg/usr/share/man/man1/tallow.1.gz"
install -m 0644 "$root/scripts/packaging/copyright" "$pkg/usr/share/doc/tallow/copyright"
gzip -9n < "$root/README.md" > "$pkg/usr/share/doc/tallow/README.md.gz"
chmod 0644 "$pkg/usr/share/doc/tallow/README.md.gz"
{
  echo "tallow ($version) unstable; urgency=medium"
  echo
  echo "  * Package built by scripts/package.sh from the tallow repository."
  echo
  echo " -- Tallow maintainers <maintainers@users.noreply.b-seed-42d0ad0c.example>  $(date -R -u -d @"${SOURCE_DATE_EPOCH:-$(stat -c %Y "$root/README.md")}")"
} | gzip -9n > "$pkg/usr/share/doc/tallow/changelog.gz"
chmod 0644 "$pkg/usr/share/doc/tallow/changelog.gz"
echo "/etc/tallow/relay.toml" > "$pkg/DEBIAN/conffiles"
# Checksums of everything but the conffile (dpkg keeps its own for those).
(cd "$pkg" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort | xargs md5sum) > "$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/md5sums" "$pkg/DEBIAN/conffiles"
size="$(du -k -s --exclude=DEBIAN "$pkg" | cut -f1)"
cat > "$pkg/DEBIAN/control" <<EOF
Package: tallow
Version: $version
Architecture: $arch
Maintainer: Tallow maintainers <maintainers@users.noreply.b-seed-42d0ad0c.example>
Installed-Size: $size
Depends: $depends
Suggests: xclip | xsel | wl-clipboard
Section: net
Priority: optional
Description: end-to-end encrypted, post-quantum file transfer with a short code
 tallow sends files, folders, text and streams between two people who share a
 short code phrase such as 7-amber-lunar-zodiac. After a post-quantum handshake
 (CPace, ML-KEM-1024 and X25519) everything is sealed with AES-256-GCM, through
 a relay that sees only the number in front of the code, sizes and timing;
 computers that can reach each other connect directly.
 .
 The package also installs the relay's systemd unit (tallow-relay.service, not
 enabled) with /etc/tallow/relay.toml, shell completions and a manual page.
EOF
mkdir -p "$out"
deb="$out/tallow_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"

# --- tar.gz ----------------------------------------------------------------------------------------
name="tallow-$version-linux-x64"
tree="$work/$name"
install -d -m 0755 "$tree/completions" "$tree/systemd"
install -m 0755 "$bin" "$tree/tallow"
install -m 0644 "${libs[@]}" "$tree/"
install -m 0644 "$gen/tallow.bash" "$tree/completions/tallow.bash"
install -m 0644 "$gen/_tallow" "$tree/completions/_tallow"
install -m 0644 "$gen/tallow.fish" "$tree/completions/tallow.fish"
install -m 0644 "$gen/tallow.1" "$tree/tallow.1"
install -m 0644 "$root/README.md" "$tree/README.md"
install -m 0644 "$root/scripts/packaging/copyright" "$tree/COPYRIGHT"
install -m 0644 "$root/deploy/tallow-relay.service" "$tree/systemd/tallow-relay.service"
install -m 0644 "$root/deploy/relay.toml" "$tree/systemd/relay.toml"
tarball="$out/$name.tar.gz"
tar -C "$work" --owner=0 --group=0 --numeric-owner --sort=name -czf "$tarball" "$name"
echo "$tarball"
