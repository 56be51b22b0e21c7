#!/usr/bin/env bash
# Sourced by perf/before-after.sh and perf/warm-up.sh, not run: starts a vbuf server from a build and measures one
# `vbuf-perf drive` session against it, with the server's CPU read from /proc around the measured segments.
# The caller sets JAVA and runs from the repository's top level.

# start_server DIR PORT: starts DIR's target/vbuf.jar on PORT in the background (its PID is then $!) and waits until
# it is ready. Both the current and the earlier names of the settings, so any build lifts its per-session rate limits
# (the client is not a player).
start_server() {
  (cd "$1" && exec env VBUF_SERVER_PORT="$2" PORT="$2" VBUF_LOG_LEVEL=WARNING LOG_LEVEL=WARNING \
      VBUF_LIMITS_SESSION_SEGMENTS_PER_SECOND=100000 VBUF_LIMITS_SESSION_SEGMENT_BURST=100000 \
      VBUF_SESSION_SEGMENTS_PER_SECOND=100000 VBUF_SESSION_SEGMENT_BURST=100000 \
      "$JAVA" -jar target/vbuf.jar >/dev/null 2>&1) &
  for _ in $(seq 1 300); do curl -sf "localhost:$2/observe/health/ready" >/dev/null && return; sleep 0.1; done
}

# clock ticks of process PID: its own CPU (utime+stime), its reaped children's (cutime+cstime)
process_cpu() { awk '{print $14+$15, $16+$17}' "/proc/$1/stat"; }

# nanoseconds the JIT compiler threads of process PID have run (the live ones)
jit_ns() {
  local total=0 t name ns
  for t in /proc/"$1"/task/*; do
    name=$(cat "$t/comm" 2>/dev/null) || continue
    case "$name" in
      C1\ Compiler*|C2\ Compiler*) ns=$(cut -d' ' -f1 "$t/schedstat" 2>/dev/null) && total=$((total + ns)) ;;
    esac
  done
  echo "$total"
}

# drive_server PID PORT SEGMENTS WARM_UP MODE: one session sends WARM_UP segments, then SEGMENTS measured ones, MODE
# paced or unpaced. Prints, over the measured segments, the server's own CPU and its reaped children's (clock ticks),
# its JIT compiler threads' (ns), then the client's latency line.
drive_server() {
  local pid="$1" own0 kids0 jit0 own1 kids1 jit1 result
  local args=(--port "$2" --segments "$3" --warm-up "$4")
  [ "$5" = paced ] && args+=(--paced)
  coproc DRIVE { "$JAVA" -jar perf/target/vbuf-perf.jar drive "${args[@]}"; }
  read -r _ <&"${DRIVE[0]}"   # "warmed-up"
  read -r own0 kids0 < <(process_cpu "$pid"); jit0=$(jit_ns "$pid")
  echo go >&"${DRIVE[1]}"
  read -r result <&"${DRIVE[0]}"
  read -r own1 kids1 < <(process_cpu "$pid"); jit1=$(jit_ns "$pid")
  wait "$DRIVE_PID" || true
  echo "$((own1 - own0)) $((kids1 - kids0)) $((jit1 - jit0)) $result"
}
