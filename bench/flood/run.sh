#!/usr/bin/env bash
# Runs the in-process flood table benchmark: ns per admit from a known source and from a source never seen
# (N requests from HOSTS sources, then NEW new sources; defaults 10000000, 1000, 1000000), then instructions
# per admit of each kind under callgrind (CG_N requests and CG_N/10 new sources, default 1000000; skipped
# when valgrind is missing). The last line of output is one JSON object.
#
#   BUILD_DIR=build-release SR_SANITIZE=0 scripts/setup.sh
#   BUILD_DIR=build-release bench/flood/run.sh [N] [HOSTS] [NEW] [CG_N]
set -euo pipefail
. "$(dirname "$0")/../inproc.sh"
inproc_build bench/flood/bench_flood
hosts=${2:-1000}
native=$(taskset -c "${SR_BENCH_CPU:-1}" "$bin" "${1:-10000000}" "$hosts" "${3:-1000000}")
echo "$native" | head -n -1
json=$(echo "$native" | tail -n 1)
cg=${4:-1000000}
cg_new=$((cg / 10))
if command -v valgrind >/dev/null; then
	known_ir=$(inproc_ir "run_known*" "$cg" "$cg" "$hosts" "$cg_new")
	new_ir=$(inproc_ir "run_new*" "$cg_new" "$cg" "$hosts" "$cg_new")
	echo "callgrind, $cg requests from $hosts sources, then $cg_new new: $known_ir instructions per known admit, $new_ir per new"
	json=${json%\}}", \"ir_per_known\": $known_ir, \"ir_per_new\": $new_ir}"
fi
echo "$json"
