#!/usr/bin/env bash
# Real-time players per instance (see perf/README.md "Real-time capacity"): N sessions each sending one 6-s 720p
# segment every 6 s to a server process whose JVM is limited as in a 4 GiB container; exit status 1 when not held.
# Usage: perf/realtime.sh [--sessions 100,200] [--seconds 6] [--warm-up-seconds 18] [--measure-seconds 60] [--paced]
#                         [--container-memory-mib 4096] [--budget-ms 1000]
set -euo pipefail
exec bash "$(dirname "$0")/vbuf-perf.sh" realtime "$@"
