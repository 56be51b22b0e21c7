#!/usr/bin/env bash
# The server's own CPU per segment next to FFmpeg's, for an earlier revision and for this checkout, in one run on
# this machine (perf/README.md "Server CPU per segment"): each server is started from its own build, warmed up, then
# one session sends 6-s 720p segments as 64 KiB frames, unpaced and paced at 20 Mbit/s; CPU is read from
# /proc/PID/stat (the server's own: utime+stime; FFmpeg's: its reaped children, cutime+cstime).
# The warm-up is long enough for the JIT to compile what runs once per segment (C2 compiles a method after ~5,000
# calls; after 1,000 segments the compilers were still busy with it: perf/warm-up.sh).
# A paced run is warmed up paced too (faster), so the server's path for waiting on a frame is compiled before it counts.
# With ROUNDS > 1 each mode is measured ROUNDS times per server, the order of the two servers swapped every round (on
# a shared machine, whichever runs second in a pair was not favoured or penalised systematically).
# Usage: perf/before-after.sh [REV] [SEGMENTS] [WARM_UP] [ROUNDS]
#        (default: the revision before the capacity work, 40 segments, 6000 warm-up segments, 1 round)
set -euo pipefail
cd "$(dirname "$0")/.."
REV="${1:-7a6f340}"
N="${2:-40}"
WARM_UP="${3:-6000}"
ROUNDS="${4:-1}"
export JAVA_HOME="${JAVA_HOME:-$(bash .ci/install)}"
JAVA="$JAVA_HOME/bin/java"
[ -f perf/target/vbuf-perf.jar ] || bash perf/vbuf-perf.sh --help >/dev/null
mvn -B -q package -DskipTests -Djib.skip=true   # this checkout as it is now: the "after" row is what it runs
BEFORE="$(mktemp -d)"
trap 'git worktree remove --force "$BEFORE" >/dev/null 2>&1 || true; rm -rf "$BEFORE"' EXIT
git worktree add -q --detach "$BEFORE" "$REV"
(cd "$BEFORE" && mvn -B -q package -DskipTests -Djib.skip=true)

# shellcheck source=perf/drive-server.sh
. perf/drive-server.sh

measure() { # DIR LABEL MODE
  local dir="$1" label="$2" mode="$3" port pid own kids result
  port=$(( 20000 + RANDOM % 20000 ))
  start_server "$dir" "$port"
  pid=$!
  read -r own kids _ result < <(drive_server "$pid" "$port" "$N" "$WARM_UP" "$mode")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  awk -v l="$label" -v m="$mode" -v n="$N" -v o="$own" -v k="$kids" -v r="$result" \
    'BEGIN { printf "| %s | %s | %d | %.1f | %.1f | %.2f | %s |\n", l, m, n, o*10/n, k*10/n, o/k, r }'
}

echo "| server | upload | segments | server CPU ms/seg | FFmpeg CPU ms/seg | server/FFmpeg | client, last byte → audio |"
echo "|---|---|---|---|---|---|---|"
AFTER="after ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src pom.xml || echo ' + changes'))"
for mode in unpaced paced; do
  for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then
      measure "$BEFORE" "before ($REV)" "$mode"; measure "." "$AFTER" "$mode"
    else
      measure "." "$AFTER" "$mode"; measure "$BEFORE" "before ($REV)" "$mode"
    fi
  done
done
