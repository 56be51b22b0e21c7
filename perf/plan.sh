#!/usr/bin/env bash
# Capacity and Cloud Run cost plan from measurements (perf/capacity.sh) and inputs (perf/planner.yaml): writes
# perf/results/capacity-report.md, latency-vs-load.png and cost-vs-players.png.
# Usage: perf/plan.sh [--measurements perf/results/capacity.json] [--inputs perf/planner.yaml] [--out perf/results]
set -euo pipefail
exec bash "$(dirname "$0")/vbuf-perf.sh" plan "$@"
