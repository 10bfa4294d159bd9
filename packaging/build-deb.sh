#!/usr/bin/env bash
# Builds the Debian package: packaging/build-deb.sh [--binary PATH] [--out DIR] [--build-only]
#
#   (no options)    release build (static Swift runtime) into .build-release, then the .deb
#   --binary PATH   package an existing release build instead of building one
#   --out DIR       where the .deb goes (default: ./dist)
#   --build-only    only the release build (test.sh makes it while the tests run)
#
# Prints the path of the .deb on its last line. The package holds:
#   /usr/bin/switchback                        the server and operator tools
#   /usr/share/switchback/{scripts,sounds,schemas}   shipped scripts, prompts, schemas
#   /etc/switchback/config.yaml                the configuration (a conffile, commented)
#   /lib/systemd/system/switchback.service     the hardened unit
#   /usr/share/doc/switchback/README.md
# and a postinst that creates the switchback user and /var/lib/switchback.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
binary=""
out="$root/dist"
build_only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --build-only) build_only=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "build-deb.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

for tool in dpkg-deb dpkg; do
  command -v "$tool" >/dev/null || { echo "build-deb.sh: $tool is missing: apt-get install dpkg-dev" >&2; exit 1; }
done

describe="$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)"
if [ -z "$binary" ]; then
  echo "release build of switchback $describe (this takes a while)" >&2
  (cd "$root" && SWITCHBACK_VERSION="$describe" tools/release-build.sh --static-swift-stdlib \
      --scratch-path "${SWITCHBACK_RELEASE_SCRATCH:-$root/.build-release}" --product switchback >&2)
  binary="${SWITCHBACK_RELEASE_SCRATCH:-$root/.build-release}/release/switchback"
fi
if [ -n "$build_only" ]; then echo "$binary"; exit 0; fi
[ -x "$binary" ] || { echo "build-deb.sh: no executable at $binary" >&2; exit 1; }

# The version the binary reports (git describe), as a Debian version: digits first.
reported="$("$binary" --version | awk '{print $2}')"
# A tag (v1.2.3 or 1.2.3, maybe with -N-gHASH after it) is the version; a bare commit
# hash or "dev" sorts below every tagged version.
if printf '%s' "$reported" | grep -Eq '^v?[0-9]+\.'; then
  upstream="${reported#v}"
else
  upstream="0~git.$reported"
fi
upstream="$(printf '%s' "$upstream" | tr -c 'A-Za-z0-9.+~\n' '.')"
version="$upstream-1"
arch="$(dpkg --print-architecture)"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/switchback"
install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/share/switchback" "$pkg/etc/switchback" \
  "$pkg/lib/systemd/system" "$pkg/usr/share/doc/switchback"
install -m 0755 "$binary" "$pkg/usr/bin/switchback"
strip --strip-unneeded "$pkg/usr/bin/switchback" 2>/dev/null || true
for dir in scripts schemas; do
  cp -r "$root/$dir" "$pkg/usr/share/switchback/$dir"
done
install -d "$pkg/usr/share/switchback/sounds"
for language in "$root"/sounds/*/; do
  cp -r "$language" "$pkg/usr/share/switchback/sounds/"
done
install -m 0644 "$root/packaging/config.yaml" "$pkg/etc/switchback/config.yaml"
install -m 0644 "$root/packaging/switchback.service" "$pkg/lib/systemd/system/switchback.service"
install -m 0644 "$root/README.md" "$pkg/usr/share/doc/switchback/README.md"
chmod -R u=rwX,go=rX "$pkg/usr/share"
for script in postinst prerm postrm; do
  install -m 0755 "$root/packaging/debian/$script" "$pkg/DEBIAN/$script"
done
install -m 0644 "$root/packaging/debian/conffiles" "$pkg/DEBIAN/conffiles"
size="$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
  "$root/packaging/debian/control" > "$pkg/DEBIAN/control"

mkdir -p "$out"
deb="$out/switchback_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >&2
echo "$deb"
