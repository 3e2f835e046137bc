#!/usr/bin/env bash
# Runs the in-process neighbour table benchmark: ns per received frame learned, per datagram sent with
# its next hop known, and per address resolved (N frames from HOSTS sources; defaults 10000000 and
# 1000), then instructions per frame and per send under callgrind (CG_N frames, default 1000000;
# skipped when valgrind is missing). The last line of output is one JSON object.
#
#   BUILD_DIR=build-release SR_SANITIZE=0 scripts/setup.sh
#   BUILD_DIR=build-release bench/neigh/run.sh [N] [HOSTS] [CG_N]
set -euo pipefail
. "$(dirname "$0")/../inproc.sh"
inproc_build bench/neigh/bench_neigh
hosts=${2:-1000}
native=$(taskset -c "${SR_BENCH_CPU:-1}" "$bin" "${1:-10000000}" "$hosts")
echo "$native" | head -n -1
json=$(echo "$native" | tail -n 1)
cg=${3:-1000000}
if command -v valgrind >/dev/null; then
	learn_ir=$(inproc_ir "run_learn*" "$cg" "$cg" "$hosts")
	send_ir=$(inproc_ir "run_send*" "$cg" "$cg" "$hosts")
	echo "callgrind, $cg frames: $learn_ir instructions per frame learned, $send_ir per send"
	json=${json%\}}", \"ir_per_learn\": $learn_ir, \"ir_per_send\": $send_ir}"
fi
echo "$json"
