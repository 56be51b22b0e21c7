#!/usr/bin/env bash
# Startup to ready: starts `java [JVM options] -jar target/vbuf.jar` N times, one after another, and measures from
# just before the process is started to the first 200 of /observe/health/ready (polled every 5 ms over bash's own
# /dev/tcp, so the poller forks nothing). Run 1 is the cold start (the first after a build, or after dropping the page
# cache with --drop-caches); runs 2..N are warm. Prints each run and a markdown summary: median and p90 of the warm
# runs, the cold run, and a breakdown from the server's own log lines:
#   ffmpeg    process start -> "FFmpeg <version> (...)" (JVM start, configuration, logging, `ffmpeg -version`)
#   listening -> "listening on" (Helidon built and started)
#   self-test -> "self-test passed; ready"
#   ready     -> /observe/health/ready answered 200 (what a probe sees)
# With --image NAME it starts the container image instead (`podman run`, so podman's own start is included; the
# JVM options go in as JAVA_TOOL_OPTIONS) and the breakdown is the JVM's own "since JVM startup" for listening.
# Usage: perf/startup.sh [--runs 10] [--jvm-opts "OPTS"] [--drop-caches] [--port 18080] [--jar target/vbuf.jar]
#                        [--image localhost/vbuf:0.1.0-SNAPSHOT]
# Needs target/vbuf.jar (mvn -B -q package -DskipTests), or the image loaded into podman. --drop-caches needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=10; jvm_opts=""; drop=false; port=18080; jar=target/vbuf.jar; image=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --jvm-opts) jvm_opts="$2"; shift 2 ;;
    --drop-caches) drop=true; shift ;;
    --port) port="$2"; shift 2 ;;
    --jar) jar="$2"; shift 2 ;;
    --image) image="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "startup.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
JAVA="${JAVA_HOME:?set JAVA_HOME to a JDK 21+}/bin/java"
[ -n "$image" ] || [ -f "$jar" ] || { echo "startup.sh: $jar is missing; build it with mvn -B -q package -DskipTests" >&2; exit 2; }
log="$(mktemp "${TMPDIR:-/tmp}/vbuf-startup.XXXXXX")"
trap 'rm -f "$log"' EXIT

now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }
ready() { # one GET over /dev/tcp; true on 200
  local line
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  printf 'GET /observe/health/ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
  IFS= read -r -t 2 line <&3 || line=""
  exec 3>&-
  [[ "$line" == "HTTP/1.1 200"* ]]
}
log_ms() { # wall-clock ms of the first log line containing $1
  local stamp
  stamp="$(grep -m1 -F "$1" "$log" | cut -c1-23)"
  [ -n "$stamp" ] && date -d "$stamp" +%s%3N || echo ""
}

results=()
for i in $(seq 1 "$runs"); do
  if [ "$i" -eq 1 ] && $drop; then
    sync; echo 3 > /proc/sys/vm/drop_caches
  fi
  t0=$(now_ms)
  if [ -n "$image" ]; then
    podman run --rm -d --name vbuf-startup -p "$port:8080" ${jvm_opts:+-e "JAVA_TOOL_OPTIONS=$jvm_opts"} "$image" >/dev/null
    until ready; do sleep 0.005; done
    t_ready=$(now_ms)
    podman logs vbuf-startup >"$log" 2>&1
    podman stop -t 10 vbuf-startup >/dev/null
    listen=$(grep -o '[0-9]* milliseconds since JVM startup' "$log" | cut -d' ' -f1)
    row="- ${listen:--} - $((t_ready - t0))"
  else
    # shellcheck disable=SC2086
    VBUF_SERVER_PORT=$port VBUF_LOG_FORMAT=text "$JAVA" $jvm_opts -jar "$jar" >"$log" 2>&1 &
    pid=$!
    until ready; do
      kill -0 "$pid" 2>/dev/null || { echo "startup.sh: the server exited:" >&2; cat "$log" >&2; exit 1; }
      sleep 0.005
    done
    t_ready=$(now_ms)
    kill "$pid"; wait "$pid" || true
    t_ff=$(log_ms "dev.vbuf.server.VbufServer - FFmpeg "); t_listen=$(log_ms "listening on"); t_self=$(log_ms "self-test passed")
    row="$((t_ff - t0)) $((t_listen - t0)) $((t_self - t0)) $((t_ready - t0))"
  fi
  results+=("$row")
  # shellcheck disable=SC2086
  printf 'run %2d (%s): ffmpeg %5s  listening %5s  self-test %5s  ready %5s ms\n' "$i" \
    "$([ "$i" -eq 1 ] && echo cold || echo warm)" $row
done

# median and p90 (nearest rank) of a column over runs 2..N
stat() {
  local col=$1 q=$2
  printf '%s\n' "${results[@]:1}" | awk -v c="$col" '{print $c}' | sort -n | awk -v q="$q" \
    '{v[NR]=$1} END {r=int(q*NR+0.999999); if (r<1) r=1; if (r>NR) r=NR; print v[r]}'
}
echo
echo "\`perf/startup.sh --runs $runs${jvm_opts:+ --jvm-opts \"$jvm_opts\"}$($drop && echo " --drop-caches")${image:+ --image $image}\`," \
  "$(nproc) CPUs, $("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.runtime.version/{print $2}')"
echo
echo "| ms from $([ -n "$image" ] && echo "podman run (listening: from JVM start)" || echo "process start") | ffmpeg located | listening | self-test passed | ready (200) |"
echo "|---|---|---|---|---|"
if [ "$runs" -gt 1 ]; then
  echo "| warm median ($((runs - 1)) runs) | $(stat 1 0.5) | $(stat 2 0.5) | $(stat 3 0.5) | $(stat 4 0.5) |"
  echo "| warm p90 | $(stat 1 0.9) | $(stat 2 0.9) | $(stat 3 0.9) | $(stat 4 0.9) |"
fi
read -r c1 c2 c3 c4 <<<"${results[0]}"
echo "| cold (run 1$($drop && echo ", page cache dropped")) | $c1 | $c2 | $c3 | $c4 |"
