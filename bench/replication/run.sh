#!/usr/bin/env bash
# Replication benchmark (in process, against redis-server processes it starts on
# 127.0.0.1 and stops): binding changes per second into one Redis and into a
# three-master cluster, standby lag at 100,000 changes/s, automatic failover time.
# The last line of output is one JSON object (events_per_s, events_per_s_cluster,
# lag_ms_p50/p99/max, failover_ms, acknowledged, lost, failures).
#
#   SR_SANITIZE=0 BUILD_DIR=build-release scripts/setup.sh
#   BUILD_DIR=build-release bench/replication/run.sh [bench_repl options, e.g. --smoke]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
ninja -C "$build" bench/replication/bench_repl >/dev/null
if meson configure "$build" 2>/dev/null | grep -Eq '^ *b_sanitize +address'; then
	echo "warning: $build is a sanitizer build; numbers are not representative" >&2
fi
exec "$build/bench/replication/bench_repl" "$@"
