#!/usr/bin/env bash
# redis-server's instructions per binding change, by command form (callgrind:
# exact and repeatable, unlike timings on a shared machine). For each mode of
# redis_stream.py: a fresh redis-server under callgrind (AOF on, everysec, as in
# bench_repl), N new AoR keys written (phase "add"), then the same bindings
# refreshed (phase "refresh"); each phase counted alone (callgrind_control -z/-d)
# and divided by N; then, on a fresh server, bench_repl's sequence of 10N changes
# (phase "mix": 4 bindings added per AoR, then refreshes) divided by 10N.
# Prints one line per mode and phase.
#
#   bench/replication/redis_callgrind.sh [MODES...]   (default: v1 v2 v2multi hset)
#   SR_CG_AORS=20480 SR_CG_PORT=16391
set -euo pipefail
cd "$(dirname "$0")/../.."
aors=${SR_CG_AORS:-20480}
port=${SR_CG_PORT:-16391}
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(v1 v2 v2multi hset)
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
cli() { redis-cli -p "$port" "$@"; }
# the function library of layout 1, as its writer loaded it (the C string in repl_layout.c at c757174,
# the last commit of layout 1)
git show c757174:lib/replication/repl_layout.c >"$tmp/layout1.c"
python3 - "$tmp/layout1.c" >"$tmp/lib.lua" <<'PY'
import re, sys, ast
src = open(sys.argv[1]).read()
body = src[src.index("const char sr_repl_functions[] ="):]
body = body[:body.index(";\n")]
body = body.replace('SR_REPL_FUNCTION_LIBRARY', '"sipreg_1"')
sys.stdout.write("".join(ast.literal_eval(s) for s in re.findall(r'"(?:[^"\\]|\\.)*"', body)))
PY
phase_count() { # $1 mode $2 phase -> instructions
	callgrind_control -z "$pid" >/dev/null 2>&1
	python3 bench/replication/redis_stream.py "$1" "$2" --aors "$aors" | cli --pipe >/dev/null
	rm -f "$tmp"/callgrind.out.*.[0-9]*
	callgrind_control -d "$pid" >/dev/null 2>&1
	sleep 1
	awk '/^summary:|^totals:/ { print $2; exit }' "$(ls -t "$tmp"/callgrind.out.*.[0-9]* | head -1)"
}
for m in "${modes[@]}"; do
	valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind.out.%p" --collect-atstart=no \
		--toggle-collect=readQueryFromClient --toggle-collect=beforeSleep --toggle-collect=sendReplyToClient \
		redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp" --appendonly yes \
		--appendfsync everysec --save '' --daemonize no >"$tmp/redis.log" 2>&1 &
	pid=$!
	for _ in $(seq 300); do [ "$(cli ping 2>/dev/null)" = PONG ] && break; sleep 0.2; done
	if [ "$m" = v1 ]; then cli -x FUNCTION LOAD REPLACE <"$tmp/lib.lua" >/dev/null; fi
	for ph in add refresh; do
		n=$(phase_count "$m" "$ph")
		echo "$m $ph: $((n / aors)) instructions per change ($n for $aors changes)"
	done
	cli flushall >/dev/null
	n=$(phase_count "$m" mix)
	echo "$m mix: $((n / aors / 10)) instructions per change ($n for $((aors * 10)) changes)"
	cli shutdown nosave >/dev/null 2>&1 || true
	wait "$pid" 2>/dev/null || true
	pid=
done
