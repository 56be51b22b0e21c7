#!/usr/bin/env bash
# Raw FFmpeg vs the vbuf server over WebSocket, in one run on this machine (see perf/README.md).
# Usage: perf/segment-bench.sh [--segments 48] [--parallel 1,2,4] [--formats aac,webm] [--seconds 6]
#                              [--server-jvm-opts "JVM OPTIONS"] [--warm-up 6000] [--warm-up-seconds 480]
set -euo pipefail
exec bash "$(dirname "$0")/vbuf-perf.sh" bench "$@"
