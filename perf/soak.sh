#!/usr/bin/env bash
# Soak: tens of thousands of segments (10 % bad) over churning sessions against a server in its own process; its open
# descriptors, OS threads, child processes, RSS and heap after GC are sampled and must end where they started
# (see perf/README.md). Exit status 1 on a leak.
# Usage: perf/soak.sh [--segments 20000] [--sessions 16] [--per-session 50] [--bad-share 0.1] [--sample-seconds 15]
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-$(bash .ci/install)}"
[ -f target/vbuf.jar ] && [ -x target/ffmpeg/ffmpeg ] || mvn -B -q package -DskipTests
exec "$JAVA_HOME/bin/java" -jar target/vbuf.jar soak "$@"
