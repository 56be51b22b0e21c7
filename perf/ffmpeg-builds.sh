#!/usr/bin/env bash
# FFmpeg's CPU per segment, the segment build (src/main/ffmpeg/) against the tool FFmpeg (the bundled general-purpose
# build the segment path ran before), per format, in alternating blocks in one process, with the ratio
# (perf/README.md "The segment FFmpeg").
# Usage: perf/ffmpeg-builds.sh [--formats aac,fmp4,pcm,webm] [--blocks 10] [--block-size 10] [--other FFMPEG]
set -euo pipefail
exec bash "$(dirname "$0")/vbuf-perf.sh" ffmpeg-builds "$@"
