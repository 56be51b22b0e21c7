#!/usr/bin/env bash
# Makes the image's JVM ahead-of-time cache: one training run of a real vbuf server (dev.vbuf.tools.AotTraining)
# on the image's own Java runtime, with the application laid out as Jib lays it out in the image.
#
# Why here and not at container start: an AOT cache (JDK 25, JEP 483/514/515) or CDS archive (JDK 21-24) only works
# with the exact runtime that made it and the class path it recorded (same jars, same order, same sizes). The image's
# runtime is the one base-image.sh jlinked into /opt/java of the base image, so this script takes it from the base
# image tar; the class path is the image's (/app/classpath/vbuf.jar, then /app/libs/* in the order of the jar's
# manifest, which is the order Jib writes to /app/jib-classpath-file), staged under a temporary directory with Jib's
# file times. The JVM accepts a class path moved under another directory as long as the entries are the same.
# The JVM options that matter for the cache (the garbage collector) are the image's.
#
# Usage: aot-cache.sh --base-tar FILE --jar target/vbuf.jar --libs target/libs --ffmpeg target/ffmpeg/ffmpeg --out FILE
# The image's JVM reads the result with -XX:SharedArchiveFile (pom.xml, profile container-image). Needs tar and unzip.
set -euo pipefail

base_tar=""; jar=""; libs=""; ffmpeg=""; out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --base-tar) base_tar="${2#tar://}"; shift 2 ;;
    --jar) jar="$2"; shift 2 ;;
    --libs) libs="$2"; shift 2 ;;
    --ffmpeg) ffmpeg="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "aot-cache.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
for v in base_tar jar libs ffmpeg out; do
  [ -n "${!v}" ] || { echo "aot-cache.sh: --${v//_/-} is required (see --help)" >&2; exit 2; }
done
[ -f "$base_tar" ] || { echo "aot-cache.sh: no base image tar at $base_tar" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/vbuf-aot.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# the base image's Java runtime (a docker-save tar: manifest.json names the layers, each a tar of files)
tar -xf "$base_tar" -C "$work" manifest.json
for layer in $(grep -o '"[^"]*\(layer.tar\|\.tar\)"' "$work/manifest.json" | tr -d '"'); do
  tar -xf "$base_tar" -O "$layer" | tar -x -C "$work" --wildcards 'opt/java/*' './opt/java/*' 2>/dev/null || true
done
java="$work/opt/java/bin/java"
[ -x "$java" ] || { echo "aot-cache.sh: $base_tar has no /opt/java/bin/java" >&2; exit 1; }
feature="$("$java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}')"

# the application as Jib lays it out, with Jib's file times (1970-01-01T00:00:01Z)
app="$work/app"
mkdir -p "$app/classpath" "$app/libs"
cp "$jar" "$app/classpath/$(basename "$jar")"
cp "$libs"/*.jar "$app/libs/"
touch -d @1 "$app/classpath/"* "$app/libs/"*
order="$(unzip -p "$jar" META-INF/MANIFEST.MF | tr -d '\r' | sed -e ':a' -e '/^ /{H;$!d}' -e 'x;s/\n //g' \
  | grep '^Class-Path:' | sed 's/^Class-Path: *//')"
cp_list="$app/classpath/*"
for entry in $order; do
  cp_list="$cp_list:$app/libs/$(basename "$entry")"
done

if [ "$feature" -ge 25 ] 2>/dev/null; then flag="-XX:AOTCacheOutput=$work/vbuf.aot"; else flag="-XX:ArchiveClassesAtExit=$work/vbuf.aot"; fi
echo "aot-cache: training run on the base image's Java $feature runtime ($flag)" >&2
(cd "$work" && VBUF_FFMPEG_PATH="$(realpath "$ffmpeg")" VBUF_FFMPEG_REQUIRED_VERSION="" \
  "$java" -XX:+UseG1GC -XX:MaxRAMPercentage=60 -XX:InitialRAMPercentage=20 -Djava.io.tmpdir=/tmp \
  -Xlog:disable -Xlog:all=error:stderr "$flag" -cp "$cp_list" dev.vbuf.tools.AotTraining) >&2
[ -s "$work/vbuf.aot" ] || { echo "aot-cache.sh: the training run wrote no cache" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
mv "$work/vbuf.aot" "$out"
echo "aot-cache: wrote $out ($(du -h "$out" | cut -f1))" >&2
