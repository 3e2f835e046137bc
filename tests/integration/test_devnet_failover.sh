#!/usr/bin/env bash
# test_devnet_failover.sh [BUILD_DIR] - replication on Redis: a standby takes over the service
# address without a re-registration (issue 16).
#
# Two registrars in pair mode with Redis in sr-peer (tests/integration/repl_lib.sh): A in sr-dut,
# B in sr-dut2, both configured with the service address 198.51.100.1. Async durability.
#   1. A starts active, B standby (auto_failover off); only A answers ARP for the address, B counts
#      what it drops; SR_FO_AORS (default 5000) AoRs are registered through the address at
#      SR_FO_RATE/s while B's follow lag is sampled; once A has nothing unsettled and B has followed
#      every change, A is killed with SIGKILL and B promoted by `sipregctl promote`: the time from the
#      kill to the first 200 answered at 198.51.100.1 is the failover time (by command); every
#      acknowledged AoR answers a fetch with its own contact, now from B, which sent a gratuitous ARP;
#   2. A restarts with role=active over its own data: it finds B's heartbeat and comes back as
#      standby (epoch fencing), never active; only B's MAC answers ARP;
#   3. B is killed with SIGKILL and A promotes itself when B's heartbeat lapses (failover_ms=500):
#      the failover time is measured the same way and every acknowledged AoR answers a fetch from A.
# The failover times and the lag are printed (bench/RESULTS.md quotes them). With SR_FO_CLUSTER=1
# Redis is a three-master Redis Cluster (repl_lib.sh) and the same checks run against it.
# Exit 77 (skip) when not root, or without ip netns, python3 or redis-server.
set -uo pipefail

aors=${SR_FO_AORS:-5000}
rate=${SR_FO_RATE:-1000}
prefix=sipreg-foa
prefix_b=sipreg-fob
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-failover
[ "${SR_FO_CLUSTER:-0}" = 1 ] && repl_cluster=1
. "$(dirname "$0")/repl_lib.sh"
repl_up

# --- 1. A active, B standby; load; kill A; promote B by command ---
node_start a active false "$work/a1.log"
wait_role "$prefix" active || fail "A did not become active: $(repl "$prefix" role) $(repl "$prefix" last_error)"
node_start b standby false "$work/b1.log"
wait_role "$prefix_b" standby || fail "B is not standby: $(repl "$prefix_b" role)"
macs=$(arp_macs)
[ "$macs" = "$mac_a" ] && ok "only A answers ARP for 198.51.100.1" || fail "ARP answered by [$macs], expected A $mac_a"

# the standby's lag while the load runs: its follow_lag_ms (age of the last stream entry read) every 100 ms
(while :; do repl "$prefix_b" follow_lag_ms; sleep 0.1; done) >"$work/lag" 2>/dev/null &
sampler=$!
acked=$("${peer[@]}" "$py" "$fop" register "$aors" "$rate" "$work/acked")
t_load=$(date +%s%N)
[ "$acked" -ge $((aors * 99 / 100)) ] && ok "$acked of $aors AoRs acknowledged by A" ||
	fail "only $acked of $aors AoRs acknowledged"
wait_settled "$prefix" "$prefix_b" "$acked" ||
	fail "not settled: A lag $(repl "$prefix" lag_events), B followed $(repl "$prefix_b" follow_changes)"
settle_ms=$((($(date +%s%N) - t_load) / 1000000))
cluster_spread
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
echo "replication: standby follow lag during the load (ms, sampled every 100 ms): $(sort -n "$work/lag" |
	awk '/^[0-9]+$/ {v[n++] = $1} END {if (n) printf "p50 %d, p90 %d, max %d over %d samples", v[int(n/2)], v[int(n*0.9)], v[n-1], n}');" \
	"settled on the standby within ${settle_ms} ms (polled every 100 ms) of the last 200"
[ "$(metric "$prefix_b" sipreg_repl_standby_drops_total)" -gt 0 ] 2>/dev/null &&
	ok "B dropped what reached it as standby" || fail "B counted no standby drop (it saw the ARP broadcasts)"

kill_and_time a "by command" "$ctl" --prefix "$prefix_b" promote
wait_role "$prefix_b" active 20 && ok "B is active after promote" || fail "B role $(repl "$prefix_b" role)"
fetch_all B "$work/acked"
[ "$(metric "$prefix_b" sipreg_repl_garps_total)" -ge 1 ] 2>/dev/null && ok "B sent a gratuitous ARP" ||
	fail "no gratuitous ARP from B"

# --- 2. A comes back: standby, fenced ---
node_start a active true "$work/a2.log"
wait_role "$prefix" standby || fail "returning A is $(repl "$prefix" role), expected standby"
grep -q "replication: active" "$work/a2.log" && fail "returning A was active at some point"
sleep 1
macs=$(arp_macs)
[ "$macs" = "$mac_b" ] && ok "returning A is standby; only B answers ARP" || fail "ARP answered by [$macs], expected B $mac_b"

# --- 3. kill B; A promotes itself ---
for _ in $(seq 100); do [ "$(repl "$prefix" follow_streaming)" = 1 ] && break; sleep 0.1; done
kill_and_time b "automatic, failover_ms=500"
wait_role "$prefix" active 20 && ok "A promoted itself" || fail "A role $(repl "$prefix" role)"
fetch_all A "$work/acked"

kill -TERM "$pid_a"
wait "$pid_a" 2>/dev/null
pid_a=
for f in "$work"/a1.log "$work"/b1.log "$work"/a2.log; do it_check_sanitizers "$f"; done
it_finish
