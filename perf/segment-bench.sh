#!/usr/bin/env bash
# Raw FFmpeg vs the vbuf server over WebSocket, in one run on this machine (see perf/README.md).
# Usage: perf/segment-bench.sh [--segments 48] [--parallel 1,2,4] [--formats aac,webm] [--seconds 6]
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-$(bash .ci/install)}"
[ -f target/vbuf.jar ] && [ -x target/ffmpeg/ffmpeg ] || mvn -B -q package -DskipTests
exec "$JAVA_HOME/bin/java" -jar target/vbuf.jar bench "$@"
