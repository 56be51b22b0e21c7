#!/usr/bin/env bash
# How the server's own CPU per segment settles as its JIT compiles: one server (this checkout's build), one session at
# a time; after each warm-up stage (cumulative; paced segments, 32x faster than a player's) it measures SEGMENTS paced
# segments (64 KiB frames at 20 Mbit/s), then SEGMENTS unpaced ones, and prints per segment the server's own CPU
# (utime+stime), FFmpeg's (its reaped children) and the JIT compiler threads' (their schedstat run time), all from
# /proc, in one process (perf/README.md "Server CPU per segment").
# Usage: perf/warm-up.sh [STAGES] [SEGMENTS]      (default: "1000 5000" 60: measured after 1,000 and after 6,000)
set -euo pipefail
cd "$(dirname "$0")/.."
STAGES="${1:-1000 5000}"
N="${2:-60}"
export JAVA_HOME="${JAVA_HOME:-$(bash .ci/install)}"
JAVA="$JAVA_HOME/bin/java"
[ -f perf/target/vbuf-perf.jar ] || bash perf/vbuf-perf.sh --help >/dev/null
mvn -B -q package -DskipTests -Djib.skip=true

# shellcheck source=perf/drive-server.sh
. perf/drive-server.sh

port=$(( 20000 + RANDOM % 20000 ))
start_server . "$port"
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT

measure() { # WARM_UP MODE LABEL
  local own kids jit result
  read -r own kids jit result < <(drive_server "$pid" "$port" "$N" "$1" "$2")
  awk -v l="$3" -v m="$2" -v n="$N" -v o="$own" -v k="$kids" -v j="$jit" -v r="$result" \
      'BEGIN { printf "| %s | %s | %d | %.1f | %.1f | %.2f | %.2f | %s |\n", l, m, n, o*10/n, k*10/n, o/k, j/1e6/n, r }'
}

echo "| warmed up with | upload | segments | server CPU ms/seg | FFmpeg CPU ms/seg | server/FFmpeg | of which JIT ms/seg | client, last byte → audio |"
echo "|---|---|---|---|---|---|---|---|"
done_so_far=0
for stage in $STAGES; do
  done_so_far=$((done_so_far + stage))
  measure "$stage" paced "$done_so_far segments"
  measure 0 unpaced "$done_so_far segments (+ $N paced)"
  done_so_far=$((done_so_far + 2 * N))
done
