#!/usr/bin/env bash
# Runs one of vbuf's performance tools from the perf build's jar: perf/vbuf-perf.sh bench|soak|capacity|plan [OPTIONS]
# (`perf/vbuf-perf.sh COMMAND --help` lists a command's options). Builds the server and the perf module first when
# perf/target/vbuf-perf.jar is absent. Runs from the repository's top level, so paths such as perf/results/ work.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-$(bash .ci/install)}"
if [ ! -f perf/target/vbuf-perf.jar ] || [ ! -x perf/target/libs/ffmpeg/ffmpeg ]; then
  echo "vbuf-perf: building the server (into the local Maven repository) and perf/target/vbuf-perf.jar" >&2
  mvn -B -q install -DskipTests -Djib.skip=true
  mvn -B -q -f perf/pom.xml package -DskipTests
fi
exec "$JAVA_HOME/bin/java" -jar perf/target/vbuf-perf.jar "$@"
