#!/usr/bin/env bash
# test_persist_bench_store.sh [BUILD_DIR] - a store written by bench/persist/bench_persist is one
# sipreg restores, live, so that bench's restart figures (and its 10M-binding store, restored by
# sipreg itself in bench/persist/RESULTS.md) stand for the real thing.
#   1. bench_persist 2000 DIR keep: exit 0, the kept store's directory printed, data.mdb in it;
#      a third argument other than "keep" is refused;
#   2. sipreg (persistence on, control.data_dir = that store, 1 worker) restores all 2000 bindings
#      with none expired (the bench stamps them with the wall clock, an hour to live), and
#      /sipreg/aor shows one of them with its contact and a remaining expiry in (0, 86400] (bench_persist stamps a day).
# Exit 77 (skip) when not root or when netns/python3 are unavailable.
set -uo pipefail

prefix=sipreg-pbs
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-pbs
bench=$BUILD_DIR/bench/persist/bench_persist
[ -x "$bench" ] || { echo "FAIL: $bench not built"; exit 1; }

# --- 1. the bench keeps its store ---
if "$bench" 2000 "$work" kept >/dev/null 2>&1; then
	fail "bench_persist accepted a third argument other than 'keep'"
fi
"$bench" 2000 "$work" keep >"$work/bench.out" 2>&1 || { cat "$work/bench.out"; echo "FAIL: bench_persist"; exit 1; }
store=$(sed -n 's/^store kept in \([^ ]*\) .*/\1/p' "$work/bench.out")
if [ -n "$store" ] && [ -f "$store/data.mdb" ]; then
	ok "bench_persist kept its store in $store"
else
	cat "$work/bench.out"
	echo "FAIL: no kept store"
	exit 1
fi

# --- 2. sipreg restores it ---
it_devnet_fresh
it_start_run "$work/sipreg.log" --set workers.count=1 --set control.persistence=true \
	--set control.data_dir="$store"
if grep -q "persistence in $store: 2000 bindings restored, 0 expired while down" "$work/sipreg.log"; then
	ok "sipreg restored the bench's 2000 bindings, none expired"
else
	fail "sipreg did not restore the bench's store: $(grep 'persistence' "$work/sipreg.log")"
fi
aor=$("$py" "$client" telemetry "$prefix" "/sipreg/aor,sip:user0001234@example.com")
if "$py" -c 'import json,sys; d=json.load(sys.stdin)["/sipreg/aor"]; assert d["bindings"] == 1 and d["contact"][0].startswith("sip:user0001234@198.51.100.2:") and 0 < d["expires"][0] <= 86400, d' <<<"$aor"; then
	ok "/sipreg/aor shows a restored binding: $aor"
else
	fail "/sipreg/aor of a restored AoR: $aor"
fi
it_stop TERM
[ "$stop_rc" = 0 ] || fail "sipreg exit status $stop_rc after SIGTERM"
it_check_sanitizers "$work/sipreg.log"
it_finish
