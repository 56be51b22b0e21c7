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

cpu() { awk '{print $14+$15, $16+$17}' "/proc/$1/stat"; }   # clock ticks: own, reaped children
jit() { # nanoseconds the JIT compiler threads have run
  local total=0 t name ns
  for t in /proc/"$1"/task/*; do
    name=$(cat "$t/comm" 2>/dev/null) || continue
    case "$name" in
      C1\ Compiler*|C2\ Compiler*) ns=$(cut -d' ' -f1 "$t/schedstat" 2>/dev/null) && total=$((total + ns)) ;;
    esac
  done
  echo "$total"
}

port=$(( 20000 + RANDOM % 20000 ))
env VBUF_SERVER_PORT="$port" VBUF_LOG_LEVEL=WARNING \
    VBUF_LIMITS_SESSION_SEGMENTS_PER_SECOND=100000 VBUF_LIMITS_SESSION_SEGMENT_BURST=100000 \
    "$JAVA" -jar target/vbuf.jar >/dev/null 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -sf "localhost:$port/observe/health/ready" >/dev/null && break; sleep 0.1; done

measure() { # WARM_UP MODE LABEL
  local args=(--port "$port" --segments "$N" --warm-up "$1")
  [ "$2" = paced ] && args+=(--paced)
  coproc DRIVE { "$JAVA" -jar perf/target/vbuf-perf.jar drive "${args[@]}"; }
  read -r _ <&"${DRIVE[0]}"   # "warmed-up"
  read -r own0 kids0 < <(cpu "$pid"); jit0=$(jit "$pid")
  echo go >&"${DRIVE[1]}"
  read -r result <&"${DRIVE[0]}"
  read -r own1 kids1 < <(cpu "$pid"); jit1=$(jit "$pid")
  wait "$DRIVE_PID" || true
  awk -v l="$3" -v m="$2" -v n="$N" -v o=$((own1 - own0)) -v k=$((kids1 - kids0)) -v j=$((jit1 - jit0)) \
      -v r="$result" \
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
