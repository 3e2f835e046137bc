#!/usr/bin/env bash
# Runs the in-process authentication benchmark: server time per registration and
# registrations/s on one core with auth off (1 request) and on (401 + 200, SHA-256
# and MD5). The last line of output is one JSON object.
#
#   BUILD_DIR=build-release SR_SANITIZE=0 scripts/setup.sh
#   BUILD_DIR=build-release bench/auth/run.sh [REGISTRATIONS]     (default 100000)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
ninja -C "$build" bench/auth/bench_auth >/dev/null
if meson configure "$build" 2>/dev/null | grep -Eq '^ *b_sanitize +address'; then
	echo "warning: $build is a sanitizer build; numbers are not representative" >&2
fi
exec taskset -c "${SR_BENCH_CPU:-1}" "$build/bench/auth/bench_auth" "${1:-100000}"
