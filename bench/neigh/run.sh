#!/usr/bin/env bash
# Runs the in-process neighbour table benchmark: ns per received frame learned, per datagram sent with
# its next hop known, and per address resolved (N frames from HOSTS sources; defaults 10000000 and
# 1000), then instructions per frame and per send under callgrind (CG_N frames, default 1000000;
# skipped when valgrind is missing). The last line of output is one JSON object.
#
#   BUILD_DIR=build-release SR_SANITIZE=0 scripts/setup.sh
#   BUILD_DIR=build-release bench/neigh/run.sh [N] [HOSTS] [CG_N]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
ninja -C "$build" bench/neigh/bench_neigh >/dev/null
if meson configure "$build" 2>/dev/null | grep -Eq '^ *b_sanitize +address'; then
	echo "warning: $build is a sanitizer build; numbers are not representative" >&2
fi
bin=$build/bench/neigh/bench_neigh
hosts=${2:-1000}
native=$(taskset -c "${SR_BENCH_CPU:-1}" "$bin" "${1:-10000000}" "$hosts")
echo "$native" | head -n -1
json=$(echo "$native" | tail -n 1)
cg=${3:-1000000}
ir() { # ir FUNCTION: instructions inside FUNCTION (and its callees) per frame, under callgrind
	local out
	out=$(mktemp)
	valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="$1" "$bin" "$cg" "$hosts" >/dev/null 2>&1
	callgrind_annotate "$out" 2>/dev/null | awk -v n="$cg" '/PROGRAM TOTALS/ { gsub(",", "", $1); printf "%.1f", $1 / n }'
	rm -f "$out"
}
if command -v valgrind >/dev/null; then
	learn_ir=$(ir "run_learn*")
	send_ir=$(ir "run_send*")
	echo "callgrind, $cg frames: $learn_ir instructions per frame learned, $send_ir per send"
	json=${json%\}}", \"ir_per_learn\": $learn_ir, \"ir_per_send\": $send_ir}"
fi
echo "$json"
