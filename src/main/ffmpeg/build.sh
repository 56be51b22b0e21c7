#!/usr/bin/env bash
# Builds vbuf's segment FFmpeg: one static `ffmpeg` executable from Debian's source package (upstream's release with
# Debian's patches, security fixes included), configured with configure.flags beside this script: only what vbuf's
# segment command lines use, LGPL only. What the service runs for every segment (docs/architecture.md, "FFmpeg").
#
# Why a build of its own: a general-purpose FFmpeg spends most of a segment's CPU starting up (mapping and relocating
# dozens of shared libraries) and probing video it then drops; this one is a single static file that starts in well
# under a millisecond (perf/README.md, "The segment FFmpeg").
#
# The source is pinned (--source-version, --dsc-sha256; the pom's ffmpeg.source.* properties) and verified:
#   1. apt-get, with a configuration of its own (deb-src entries for SUITES below; the system's apt sources are not
#      touched), downloads Debian's source index and checks its InRelease signature with Debian's archive keyring;
#   2. `apt-get source --download-only` checks every file's size and SHA-256 against that signed index;
#   3. the .dsc's SHA-256 must be the pinned one (a different upload under the same version fails here);
#   4. `dpkg-source -x` checks the .orig and .debian tarballs against the .dsc and applies Debian's patches.
# The verification is recorded in BUILD-INFO beside the cached binary.
#
# Cached: the binary lands in CACHE/KEY/ffmpeg, KEY a hash of the pin, configure.flags and this script; a second
# build (any clone, any checkout with the same recipe) copies it from there instead of rebuilding. The downloaded
# source is kept in CACHE/src/ too, so a change of flags rebuilds without the network.
#
# Usage: build.sh (--source-version V --dsc-sha256 HEX --expect-version V | --from-pom POM) --out DIR [--cache DIR]
#   --source-version   Debian source version with its epoch, e.g. 7:7.1.5-0+deb13u1
#   --dsc-sha256       SHA-256 of that version's .dsc
#   --expect-version   what `ffmpeg -version` must report (ffmpeg.required-version of the image)
#   --from-pom         the three from that pom's ffmpeg.source.version, ffmpeg.source.dsc-sha256 and ffmpeg.version
#                      (the perf build reads the server's pom.xml, where the pin is written)
#   --out              where `ffmpeg` is copied (target/ffmpeg)
#   --cache            default ${VBUF_TOOLS_DIR:-$HOME/.cache/vbuf-tools}/ffmpeg
# Needs: apt-get, dpkg-source (dpkg-dev), Debian's archive keyring (debian-archive-keyring), a C compiler, make, nasm,
# pkg-config and libopus-dev (static libopus.a) — `.ci/install` installs them.
set -euo pipefail

SUITES=(trixie trixie-updates trixie-security)
MIRROR="${VBUF_FFMPEG_SOURCE_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${VBUF_FFMPEG_SOURCE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
here="$(cd "$(dirname "$0")" && pwd)"
flags_file="$here/configure.flags"

source_version=""; dsc_sha256=""; expect_version=""; out=""
cache="${VBUF_TOOLS_DIR:-$HOME/.cache/vbuf-tools}/ffmpeg"
while [ $# -gt 0 ]; do
  case "$1" in
    --source-version) source_version="$2"; shift 2 ;;
    --dsc-sha256) dsc_sha256="$2"; shift 2 ;;
    --expect-version) expect_version="$2"; shift 2 ;;
    --from-pom)
      prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$2" | head -1; }
      source_version="$(prop ffmpeg.source.version "$2")"; dsc_sha256="$(prop ffmpeg.source.dsc-sha256 "$2")"
      expect_version="$(prop ffmpeg.version "$2")"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --cache) cache="$2"; shift 2 ;;
    -h|--help) sed -n '2,31p' "$0"; exit 0 ;;
    *) echo "ffmpeg build: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
for v in source_version dsc_sha256 expect_version out; do
  [ -n "${!v}" ] || { echo "ffmpeg build: --${v//_/-} is required (see --help)" >&2; exit 2; }
done

# the configure flags: configure.flags without comments and blank lines, plus the version suffix (Debian's revision)
mapfile -t flags < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$flags_file" | grep -v '^$')
upstream="${source_version#*:}"; upstream="${upstream%-*}"          # 7:7.1.5-0+deb13u1 -> 7.1.5
revision="${source_version##*-}"                                     # -> 0+deb13u1
flags+=("--extra-version=$revision")
key="$( { printf '%s\n' "$source_version" "$dsc_sha256" "${SUITES[@]}" "${flags[@]}"; cat "$0"; } \
        | sha256sum | cut -c1-16)"
dir="$cache/$key"

install_binary() {
  mkdir -p "$out"
  cp "$dir/ffmpeg" "$out/ffmpeg.partial" && mv "$out/ffmpeg.partial" "$out/ffmpeg"
  chmod 755 "$out/ffmpeg"
  cp "$dir/BUILD-INFO" "$out/BUILD-INFO"
  reported="$("$out/ffmpeg" -hide_banner -version | sed -n '1s/^ffmpeg version \([^ ]*\).*/\1/p')"
  if [ "$reported" != "$expect_version" ]; then
    echo "ffmpeg build: $out/ffmpeg reports version '$reported', expected '$expect_version'" \
         "(ffmpeg.version in pom.xml must match the pinned source ffmpeg.source.version)" >&2
    exit 1
  fi
}

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9    # one build of a recipe at a time; a second build waits, then finds it cached
if [ -x "$dir/ffmpeg" ] && [ -s "$dir/BUILD-INFO" ]; then
  install_binary
  echo "ffmpeg build: $expect_version from the cache ($dir)" >&2
  exit 0
fi

for tool in apt-get dpkg-source make nasm pkg-config cc sha256sum; do
  command -v "$tool" >/dev/null || { echo "ffmpeg build: $tool is not installed (run .ci/install)" >&2; exit 2; }
done
[ -s "$KEYRING" ] || { echo "ffmpeg build: no Debian archive keyring at $KEYRING (debian-archive-keyring)" >&2; exit 2; }
pkg-config --exists opus || { echo "ffmpeg build: libopus-dev is not installed (run .ci/install)" >&2; exit 2; }

started=$SECONDS
src="$cache/src/ffmpeg_$upstream-$revision"
dsc="ffmpeg_$upstream-$revision.dsc"
if [ ! -s "$src/$dsc" ] || ! echo "$dsc_sha256  $src/$dsc" | sha256sum -c --quiet - 2>/dev/null; then
  echo "ffmpeg build: fetching Debian's source package ffmpeg $source_version" >&2
  apt_dir="$(mktemp -d "${TMPDIR:-/tmp}/vbuf-ffmpeg-apt.XXXXXX")"
  trap 'rm -rf "$apt_dir"' EXIT
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$src.partial"
  for suite in "${SUITES[@]}"; do
    m="$MIRROR"; [ "${suite%-security}" != "$suite" ] && m="$SECURITY_MIRROR"
    echo "deb-src [signed-by=$KEYRING] $m $suite main"
  done > "$apt_dir/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
            -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o Debug::NoLocking=1
            -o APT::Sandbox::User=root -o Acquire::Retries=2)
  fetched=false
  for _ in 1 2; do   # a flaky mirror gets a second chance
    if apt-get "${apt_opts[@]}" -qq update >&2 \
       && (cd "$src.partial" && apt-get "${apt_opts[@]}" -qq source --download-only "ffmpeg=$source_version" >&2); then
      fetched=true; break
    fi
    sleep 5
  done
  if ! $fetched; then
    now="$(apt-cache "${apt_opts[@]}" showsrc ffmpeg 2>/dev/null | sed -n 's/^Version: //p' | sort -u | tr '\n' ' ')"
    echo "ffmpeg build: could not fetch ffmpeg $source_version from ${SUITES[*]}." \
         "Debian now has: ${now:-nothing (network?)}. If that is a newer (security) release, pin it:" \
         "ffmpeg.source.version and ffmpeg.source.dsc-sha256 in pom.xml (the .dsc's SHA-256 from" \
         "apt-cache showsrc), and ffmpeg.version" >&2
    exit 1
  fi
  if ! echo "$dsc_sha256  $src.partial/$dsc" | sha256sum -c --quiet -; then
    echo "ffmpeg build: $dsc does not have the pinned SHA-256 $dsc_sha256" >&2
    exit 1
  fi
  rm -rf "$src"; mv "$src.partial" "$src"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/vbuf-ffmpeg-build.XXXXXX")"
trap 'rm -rf "$work" "${apt_dir:-}"' EXIT
echo "ffmpeg build: dpkg-source -x $dsc (checks the tarballs against the .dsc, applies Debian's patches)" >&2
dpkg-source --no-copy -x "$src/$dsc" "$work/ffmpeg" >"$work/dpkg-source.log" 2>&1 \
  || { cat "$work/dpkg-source.log" >&2; exit 1; }
patches="$(grep -cv '^\s*#' "$work/ffmpeg/debian/patches/series" 2>/dev/null || echo 0)"

jobs="$(nproc 2>/dev/null || echo 2)"
echo "ffmpeg build: configure (${#flags[@]} flags) and make -j$jobs (about a minute on 2 cores)" >&2
(cd "$work/ffmpeg" && ./configure --prefix="$work/install" "${flags[@]}" >"$work/configure.log" 2>&1) \
  || { tail -30 "$work/ffmpeg/ffbuild/config.log" >&2 2>/dev/null; tail -20 "$work/configure.log" >&2; exit 1; }
grep -q '^License: LGPL' "$work/configure.log" \
  || { echo "ffmpeg build: configure did not report an LGPL license:" >&2; grep '^License' "$work/configure.log" >&2; exit 1; }
(cd "$work/ffmpeg" && make -j"$jobs" ffmpeg >"$work/make.log" 2>&1) || { tail -40 "$work/make.log" >&2; exit 1; }
strip "$work/ffmpeg/ffmpeg"

mkdir -p "$dir.partial"
cp "$work/ffmpeg/ffmpeg" "$dir.partial/ffmpeg"
{
  echo "source: Debian source package ffmpeg $source_version (suites ${SUITES[*]}; $MIRROR, $SECURITY_MIRROR)"
  echo "verified: InRelease signature by $KEYRING (apt-get update); file sizes and SHA-256 against the signed"
  echo "  Sources index (apt-get source); .dsc SHA-256 $dsc_sha256 (pinned); tarballs against the .dsc (dpkg-source -x)"
  echo "debian patches applied: $patches"
  echo "license: $(sed -n 's/^License: //p' "$work/configure.log")"
  echo "configure: ${flags[*]}"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) in $((SECONDS - started)) s on $jobs CPUs, $(cc --version | head -1)"
  echo "size: $(stat -c %s "$dir.partial/ffmpeg") bytes"
} > "$dir.partial/BUILD-INFO"
rm -rf "$dir"; mv "$dir.partial" "$dir"
# older recipes' binaries are of no further use
find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name src ! -name "$key" -exec rm -rf {} +
find "$cache/src" -mindepth 1 -maxdepth 1 ! -name "$(basename "$src")" -exec rm -rf {} +
install_binary
echo "ffmpeg build: built $expect_version in $((SECONDS - started)) s ($dir)" >&2
