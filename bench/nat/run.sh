#!/usr/bin/env bash
# Runs the in-process NAT keepalive benchmark: ns per ping and per answer over one 30 s round of
# AORS bindings behind NAT (default 1000000), then instructions per ping and per answer under
# callgrind (CG_AORS bindings, default 100000; skipped when valgrind is missing). The last line
# of output is one JSON object.
#
#   BUILD_DIR=build-release SR_SANITIZE=0 scripts/setup.sh
#   BUILD_DIR=build-release bench/nat/run.sh [AORS] [CG_AORS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
ninja -C "$build" bench/nat/bench_nat >/dev/null
if meson configure "$build" 2>/dev/null | grep -Eq '^ *b_sanitize +address'; then
	echo "warning: $build is a sanitizer build; numbers are not representative" >&2
fi
bin=$build/bench/nat/bench_nat
native=$(taskset -c "${SR_BENCH_CPU:-1}" "$bin" "${1:-1000000}")
echo "$native" | head -n -1
json=$(echo "$native" | tail -n 1)
cg=${2:-100000}
ir() { # ir FUNCTION: instructions inside FUNCTION (and its callees) per ping, under callgrind
	local out
	out=$(mktemp)
	valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="$1" "$bin" "$cg" >/dev/null 2>&1
	callgrind_annotate "$out" 2>/dev/null | awk -v n="$cg" '/PROGRAM TOTALS/ { gsub(",", "", $1); printf "%.0f", $1 / n }'
	rm -f "$out"
}
if command -v valgrind >/dev/null; then
	ping_ir=$(ir sr_nat_ping_advance)
	answer_ir=$(ir sr_nat_ping_answer)
	echo "callgrind, $cg bindings: $ping_ir instructions per ping (schedule + OPTIONS), $answer_ir per answer"
	json=${json%\}}", \"ir_per_ping\": $ping_ir, \"ir_per_answer\": $answer_ir}"
fi
echo "$json"
