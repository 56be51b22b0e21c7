#!/usr/bin/env bash
# Soak: tens of thousands of segments (10 % bad) over churning sessions against a server in its own process; its open
# descriptors, OS threads, child processes, RSS and heap after GC are sampled and must end where they started
# (see perf/README.md). Exit status 1 on a leak.
# Usage: perf/soak.sh [--segments 20000] [--sessions 16] [--per-session 50] [--bad-share 0.1] [--sample-seconds 15]
set -euo pipefail
exec bash "$(dirname "$0")/vbuf-perf.sh" soak "$@"
