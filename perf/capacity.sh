#!/usr/bin/env bash
# Measures what the planner needs on THIS machine (see perf/README.md "Capacity and cost model"):
# CPU and wall time per segment by format and segment length (server vs raw FFmpeg), and latency vs offered load.
# Usage: perf/capacity.sh [--out perf/results/capacity.json] [--formats aac,fmp4,webm,pcm] [--seconds 2,6]
#                         [--segments 12] [--curve-format aac] [--curve-seconds 6] [--loads 0.25,...,1.5]
#                         [--step-seconds 20]
set -euo pipefail
exec bash "$(dirname "$0")/vbuf-perf.sh" capacity "$@"
