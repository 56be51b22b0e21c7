#!/usr/bin/env bash
# The JVM's own CPU for the FFmpeg part of a segment alone (spawn, pipes, pumps, reaping): the command vbuf runs
# against the same command without -flush_packets 0, alternating blocks in one process (perf/README.md "Server CPU
# per segment").
# Usage: perf/ffmpeg-path.sh [--format aac] [--blocks 20] [--block-size 20] [--warm-up 750]
set -euo pipefail
exec bash "$(dirname "$0")/vbuf-perf.sh" ffmpeg-path "$@"
