# bench/inproc.sh - shell functions shared by the in-process benchmarks' run.sh (bench/flood, bench/neigh);
# sourced, not run.

# inproc_build TARGET: from the repository root, builds TARGET (e.g. bench/flood/bench_flood) in $BUILD_DIR
# (default build), warns when that is a sanitizer build, and sets bin to the binary's path.
inproc_build() {
	cd "$(dirname "${BASH_SOURCE[0]}")/.."
	local build=${BUILD_DIR:-build}
	ninja -C "$build" "$1" >/dev/null
	if meson configure "$build" 2>/dev/null | grep -Eq '^ *b_sanitize +address'; then
		echo "warning: $build is a sanitizer build; numbers are not representative" >&2
	fi
	bin=$build/$1
}

# inproc_ir FUNCTION PER ARGS...: instructions callgrind counts inside FUNCTION (a --toggle-collect pattern:
# the function, its callees and its loop) in one run of $bin ARGS..., divided by PER (operations).
inproc_ir() {
	local fn=$1 per=$2 out
	shift 2
	out=$(mktemp)
	valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="$fn" "$bin" "$@" >/dev/null 2>&1
	callgrind_annotate "$out" 2>/dev/null | awk -v n="$per" '/PROGRAM TOTALS/ { gsub(",", "", $1); printf "%.1f", $1 / n }'
	rm -f "$out"
}
