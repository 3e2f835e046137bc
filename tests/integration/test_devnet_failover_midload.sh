#!/usr/bin/env bash
# test_devnet_failover_midload.sh [BUILD_DIR] - the active dies in the middle of a registration load
# and nothing it acknowledged is lost (issue 16's failover test).
#
# Two registrars in pair mode with Redis in sr-peer (tests/integration/repl_lib.sh), both with
# control.durability=sync and replication.durability=sync: a 200 leaves only once its change is
# settled in Redis, so "acknowledged" means "replicated" and the check below is exact (with async
# durability up to one flush interval of acknowledged changes may die with the active; issue 16
# allows that, and this test would then count them as missing).
#   1. A active, B standby (auto_failover off). SR_FM_AORS (default 10000) AoRs are registered
#      through 198.51.100.1 at SR_FM_RATE/s (default 2000; unanswered requests are retransmitted
#      after the first pass); half-way through the load A is killed with SIGKILL and B promoted by
#      `sipregctl promote`. The time from the kill to the first 200 at the address (a probe from
#      its own port) is the failover time; the load goes on against B. Every AoR acknowledged (by A
#      before the kill or by B after it) answers a fetch on B with its own contact.
#   2. A restarts (role=active over its own data): fenced, it comes back as standby. The same load
#      for SR_FM_AORS further AoRs runs through B, killed half-way; A promotes itself when B's
#      heartbeat lapses (failover_ms=500). Every AoR acknowledged in either load answers on A.
# The failover times are printed; with SR_FM_CLUSTER=1 Redis is a three-master cluster
# (repl_lib.sh). bench/replication/failover_devnet.sh runs this with 50,000 AoRs.
# Exit 77 (skip) when not root, or without ip netns, python3 or redis-server.
set -uo pipefail

aors=${SR_FM_AORS:-10000}
rate=${SR_FM_RATE:-2000}
prefix=sipreg-fma
prefix_b=sipreg-fmb
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-failover-midload
[ "${SR_FM_CLUSTER:-0}" = 1 ] && repl_cluster=1
. "$(dirname "$0")/repl_lib.sh"
repl_up
sync=(--set control.durability=sync --set replication.durability=sync)
half=$(awk -v n="$aors" -v r="$rate" 'BEGIN { printf "%.2f", n / r / 2 }')

# load_and_kill NODE HOW FIRST ACKED [PROMOTE...]: the load of $aors AoRs from FIRST through the
# address, NODE killed half-way (then PROMOTE run, if given); waits for the load to end.
load_and_kill() {
	local node=$1 how=$2 first=$3 acked=$4 load n
	shift 4
	"${peer[@]}" "$py" "$fop" register "$aors" "$rate" "$acked" "$first" >"$acked.n" &
	load=$!
	sleep "$half"
	kill_and_time "$node" "$how, mid-load" "$@"
	wait "$load"
	n=$(cat "$acked.n")
	echo "load: $n of $aors AoRs acknowledged across the failover ($how); other answers: $(tr '\n' ';' <"$acked.status")"
	[ "$n" -ge $((aors * 9 / 10)) ] && ok "$n of $aors AoRs acknowledged across the failover ($how)" ||
		fail "only $n of $aors AoRs acknowledged ($how)"
}

# --- 1. kill A mid-load; promote B by command ---
node_start a active false "$work/a1.log" "${sync[@]}"
wait_role "$prefix" active || fail "A did not become active: $(repl "$prefix" role) $(repl "$prefix" last_error)"
node_start b standby false "$work/b1.log" "${sync[@]}"
wait_role "$prefix_b" standby || fail "B is not standby: $(repl "$prefix_b" role)"
load_and_kill a "by command" 0 "$work/acked1" "$ctl" --prefix "$prefix_b" promote
wait_role "$prefix_b" active 20 && ok "B is active after promote" || fail "B role $(repl "$prefix_b" role)"
fetch_all B "$work/acked1"
cluster_spread

# --- 2. A returns as standby; kill B mid-load; A promotes itself ---
node_start a active true "$work/a2.log" "${sync[@]}"
wait_role "$prefix" standby || fail "returning A is $(repl "$prefix" role), expected standby"
for _ in $(seq 100); do [ "$(repl "$prefix" follow_streaming)" = 1 ] && break; sleep 0.1; done
load_and_kill b "automatic (failover_ms=500)" "$aors" "$work/acked2"
wait_role "$prefix" active 20 && ok "A promoted itself" || fail "A role $(repl "$prefix" role)"
cat "$work/acked1" "$work/acked2" >"$work/acked"
fetch_all A "$work/acked"

kill -TERM "$pid_a"
wait "$pid_a" 2>/dev/null
pid_a=
for f in "$work"/a1.log "$work"/b1.log "$work"/a2.log; do it_check_sanitizers "$f"; done
it_finish
