#!/usr/bin/env bash
# Builds vbuf's container base image: the image Jib puts the application on.
#
# Why vbuf has its own base: no container registry is needed to build it, and it holds exactly what the service
# needs. The segment FFmpeg the image carries (src/main/ffmpeg/build.sh) is one static executable, so the base needs
# no FFmpeg libraries at all. The base is:
#   - Debian 12 "bookworm", minbase variant, built with debootstrap from Debian's archive (no registry needed);
#   - a Java runtime made with jlink from the JDK in JAVA_HOME (21 or newer; modules in JAVA_MODULES below), at
#     /opt/java, on PATH;
#   - an unprivileged user and group `vbuf` (10001:10001), the image's default user.
# Nothing else: no compiler, no package manager (apt, perl-base removed), no package lists, no docs.
#
# Usage:
#   base-image.sh --tar FILE        write the image as a docker-save tar (what Jib's `tar://` base reads)
#   base-image.sh --push IMAGE      also push it (e.g. REGION-docker.pkg.dev/PROJECT/vbuf/vbuf-base:bookworm) and print
#                                   the pushed digest: put IMAGE@sha256:... into -Dvbuf.image.base for jib:build.
# Environment:
#   JAVA_HOME          JDK whose jlink makes the runtime (required)
#   VBUF_BASE_MIRROR   Debian mirror (default http://deb.debian.org/debian). For a byte-reproducible base, point it
#                      at a snapshot, e.g. http://snapshot.debian.org/archive/debian/20250520T000000Z
# Needs root (debootstrap, chroot), debootstrap and podman.
set -euo pipefail

SUITE=bookworm
MIRROR="${VBUF_BASE_MIRROR:-http://deb.debian.org/debian}"
# `jdeps --print-module-deps` on the application's class path, plus the modules it reaches reflectively or through
# services (logging, JMX for the system meters, naming, TLS elliptic curves, zip file systems).
JAVA_MODULES=java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,java.naming,java.net.http,java.sql,jdk.crypto.ec,jdk.management,jdk.unsupported,jdk.zipfs
VBUF_UID=10001

tar_out=""; push=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tar) tar_out="$2"; shift 2 ;;
    --push) push="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "base-image.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$tar_out" ] || [ -n "$push" ] || { echo "base-image.sh: give --tar FILE and/or --push IMAGE" >&2; exit 2; }
[ -x "${JAVA_HOME:-}/bin/jlink" ] || { echo "base-image.sh: JAVA_HOME must point at a JDK 21+ (jlink)" >&2; exit 2; }
for tool in debootstrap podman chroot objcopy; do
  command -v "$tool" >/dev/null || { echo "base-image.sh: $tool is not installed" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/vbuf-base.XXXXXX")"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

echo "base-image: debootstrap $SUITE from $MIRROR" >&2
for attempt in 1 2; do
  if debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1; then break; fi
  if [ "$attempt" -eq 2 ]; then tail -20 "$work/debootstrap.log" >&2; exit 1; fi
  rm -rf "$rootfs"; sleep 5
done

chroot "$rootfs" sh -c "groupadd --gid $VBUF_UID vbuf && useradd --uid $VBUF_UID --gid $VBUF_UID \
  --home-dir /home/vbuf --create-home --shell /usr/sbin/nologin vbuf"
chroot "$rootfs" apt-get clean
# A runtime needs no package manager: apt and its library go, and perl-base, which only dpkg's maintainer scripts use;
# so do glibc's character-set converters (gconv: Java brings its own charsets). About 21 MB. (No CA certificates
# either: Java verifies TLS with its own store, lib/security/cacerts.)
chroot "$rootfs" dpkg --purge --force-depends apt libapt-pkg6.0 >"$work/purge.log" 2>&1
chroot "$rootfs" dpkg --purge --force-remove-essential --force-depends perl-base >>"$work/purge.log" 2>&1
rm -rf "$rootfs"/usr/lib/*-linux-gnu/gconv
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/usr/share/doc/* \
       "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/* "$rootfs"/var/log/*.log "$rootfs"/etc/resolv.conf
: > "$rootfs/etc/resolv.conf"   # the container runtime mounts its own

echo "base-image: jlink $JAVA_MODULES from $JAVA_HOME" >&2
# debug attributes and native debug symbols off (objcopy, binutils: ~5 MB of libjvm.so alone)
"$JAVA_HOME/bin/jlink" --add-modules "$JAVA_MODULES" --strip-java-debug-attributes --strip-native-debug-symbols=exclude-debuginfo-files \
  --no-man-pages --no-header-files \
  --compress=zip-6 --output "$rootfs/opt/java"
java_version="$("$rootfs/opt/java/bin/java" -XshowSettings:properties -version 2>&1 \
  | awk -F'= ' '/java.runtime.version/{print $2}')"

tag="localhost/vbuf-base:$SUITE"
echo "base-image: podman import as $tag (Java $java_version)" >&2
tar -C "$rootfs" --numeric-owner -c . | podman import \
  --change "ENV PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV JAVA_HOME=/opt/java" \
  --change "ENV LANG=C.UTF-8" \
  --change "USER $VBUF_UID:$VBUF_UID" \
  --change "WORKDIR /home/vbuf" \
  --change "LABEL org.opencontainers.image.title=vbuf-base" \
  --change "LABEL org.opencontainers.image.description=Debian $SUITE minbase without apt, Java $java_version runtime, user vbuf ($VBUF_UID)" \
  --quiet - "$tag" >/dev/null

if [ -n "$tar_out" ]; then
  mkdir -p "$(dirname "$tar_out")"
  rm -f "$tar_out.partial"
  podman save --quiet --format docker-archive -o "$tar_out.partial" "$tag" >/dev/null
  mv "$tar_out.partial" "$tar_out"
  echo "base-image: wrote $tar_out ($(du -h "$tar_out" | cut -f1))" >&2
fi
if [ -z "$push" ]; then
  podman rmi "$tag" >/dev/null   # the tar is the product; keep the runtime's storage clean
fi
if [ -n "$push" ]; then
  podman tag "$tag" "$push"
  podman push --digestfile "$work/digest" "$push" >&2
  echo "${push%:*}@$(cat "$work/digest")"
fi
