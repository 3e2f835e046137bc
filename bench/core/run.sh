#!/usr/bin/env bash
# Runs the in-process core benchmark: ns per REGISTER (new, refresh, fetch) and
# bytes per binding. Builds nothing beyond `ninja -C $BUILD_DIR`; the last line
# of output is one JSON object.
#
#   BUILD_DIR=build-release SR_SANITIZE=0 scripts/setup.sh
#   BUILD_DIR=build-release bench/core/run.sh [AORS] [slow] [prescan]  (default 1000000; slow: libosip2
#   path only; prescan: the owner pre-scan before each request and the parse resumed from it, as in a worker)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
ninja -C "$build" bench/core/bench_core >/dev/null
if meson configure "$build" 2>/dev/null | grep -Eq '^ *b_sanitize +address'; then
	echo "warning: $build is a sanitizer build; numbers are not representative" >&2
fi
# Pin to one CPU so the figure is per core.
exec taskset -c "${SR_BENCH_CPU:-1}" "$build/bench/core/bench_core" "${1:-1000000}" "${@:2}"
