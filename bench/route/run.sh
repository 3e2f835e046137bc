#!/usr/bin/env bash
# Runs the in-process routing benchmark: CPU per routed call through the routing shard and its
# transaction layer (no packets, no parse, no location store). The last line of output is one JSON object.
#
#   BUILD_DIR=build-release SR_SANITIZE=0 scripts/setup.sh
#   BUILD_DIR=build-release bench/route/run.sh core [CALLS]     (default 200000)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
what=${1:-core}
[ "$what" = core ] || { echo "usage: $0 core [CALLS]" >&2; exit 2; }
ninja -C "$build" bench/route/bench_route_core >/dev/null
if meson configure "$build" 2>/dev/null | grep -Eq '^ *b_sanitize +address'; then
	echo "warning: $build is a sanitizer build; numbers are not representative" >&2
fi
exec taskset -c "${SR_BENCH_CPU:-1}" "$build/bench/route/bench_route_core" "${2:-200000}"
