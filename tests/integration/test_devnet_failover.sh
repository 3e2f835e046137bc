#!/usr/bin/env bash
# test_devnet_failover.sh [BUILD_DIR] - replication on Redis: a standby takes over the service
# address without a re-registration (issue 16).
#
# The development network in pair mode (scripts/devnet.sh up-pair): registrar A in sr-dut,
# registrar B in sr-dut2, both configured with the service address 198.51.100.1 and bridged
# to sr-peer, where the test starts a redis-server (on the kernel links 198.51.100.129/133).
#   1. A starts active, B standby (auto_failover off); B does not answer ARP for the address;
#      SR_FO_AORS (default 5000) AoRs are registered through the address at SR_FO_RATE/s;
#      once A reports nothing left to replicate and B has applied what it follows, A is
#      killed with SIGKILL and B promoted by `sipregctl promote`: the time from the kill to
#      the first 200 answered at 198.51.100.1 is the failover time (by command); every
#      acknowledged AoR answers a fetch with its own contact, now from B;
#   2. A restarts with role=active over its own data: it finds B's heartbeat, comes back as
#      standby (epoch fencing), does not answer ARP (only B's MAC answers) and follows B;
#   3. B is killed with SIGKILL and A promotes itself when B's heartbeat lapses
#      (failover_ms=500): the failover time is measured the same way and every acknowledged
#      AoR answers a fetch from A.
# The failover times are printed (bench/RESULTS.md quotes them). Async durability: the load
# has settled in Redis before each kill (sync durability is not wired yet).
# Exit 77 (skip) when not root, or without ip netns, python3 or redis-server.
set -uo pipefail

aors=${SR_FO_AORS:-5000}
rate=${SR_FO_RATE:-1000}
prefix=sipreg-foa
prefix_b=sipreg-fob
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-failover
it_need redis-server "scripts/setup.sh installs redis-server"
sipreg=$BUILD_DIR/app/sipreg/sipreg
ctl=$BUILD_DIR/app/sipregctl/sipregctl
fop="$here/tests/integration/failover_peer.py"
[ -x "$ctl" ] || { echo "FAIL: $ctl not built"; exit 1; }

pid_a= pid_b= redis_pid=
cleanup() {
	for p in $pid_a $pid_b; do kill -KILL "$p" 2>/dev/null; done
	[ -n "$redis_pid" ] && kill -KILL "$redis_pid" 2>/dev/null
	wait 2>/dev/null
	it_cleanup
}
trap cleanup EXIT

"$here/scripts/devnet.sh" down >/dev/null 2>&1
"$here/scripts/devnet.sh" up-pair >/dev/null || { echo "FAIL: devnet up-pair"; exit 1; }
mac_a=$(ip netns exec sr-dut cat /sys/class/net/sr-dut0/address)
mac_b=$(ip netns exec sr-dut2 cat /sys/class/net/sr-dut0/address)

"${peer[@]}" redis-server --bind 198.51.100.129 198.51.100.133 --port 6379 --save "" --appendonly no \
	--protected-mode no --dir "$work" >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 50); do
	"${peer[@]}" redis-cli -h 198.51.100.129 ping 2>/dev/null | grep -q PONG && break
	sleep 0.1
done
"${peer[@]}" redis-cli -h 198.51.100.129 ping | grep -q PONG || { echo "FAIL: redis-server did not start"; exit 1; }

# start NODE(a|b) ROLE AUTO LOG: sipreg of that node in its namespace; sets pid_a or pid_b.
start() {
	local node=$1 role=$2 auto=$3 log=$4 ns redis pfx
	if [ "$node" = a ]; then ns=sr-dut redis=198.51.100.129:6379 pfx=$prefix
	else ns=sr-dut2 redis=198.51.100.133:6379 pfx=$prefix_b; fi
	ip netns exec "$ns" "$sipreg" --config "$here/dpdk-config/sipreg-dev.ini" \
		--set eal.file_prefix="$pfx" --set workers.count=1 --set control.persistence=true \
		--set control.data_dir="$work/data-$node" --set replication.redis="$redis" \
		--set replication.role="$role" --set replication.auto_failover="$auto" \
		--set replication.failover_ms=500 --set replication.node_id="node-$node" >"$log" 2>&1 &
	local pid=$!
	eval "pid_$node=$pid"
	for _ in $(seq 300); do
		grep -q "sipreg: ready" "$log" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$log"
	echo "FAIL: sipreg $node did not start"
	exit 1
}

# repl PREFIX KEY: one field of `sipregctl replication`.
repl() {
	"$ctl" --prefix "$1" --json replication 2>/dev/null |
		"$py" -c 'import json,sys; d=json.load(sys.stdin); d=d.get("/sipreg/replication", d); print(d.get(sys.argv[1], ""))' "$2"
}
# wait_role PREFIX ROLE [TENTHS]
wait_role() {
	for _ in $(seq "${3:-100}"); do
		[ "$(repl "$1" role)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# wait_settled PREFIX_ACTIVE PREFIX_STANDBY COUNT: the active has nothing unsettled and the standby has
# followed at least COUNT changes.
wait_settled() {
	for _ in $(seq 300); do
		if [ "$(repl "$1" lag_events)" = 0 ] && [ "$(repl "$2" follow_changes)" -ge "$3" ] 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
arp_macs() { "${peer[@]}" "$py" "$fop" arp sr-br0; }
# kill_and_time NODE(a|b) HOW [COMMAND...]: SIGKILL the node, run COMMAND (the promotion, if any), then
# prints how long it took from the kill to the first 200 at 198.51.100.1.
kill_and_time() {
	local node=$1 how=$2 pid t_kill ms
	shift 2
	pid=$(eval echo "\$pid_$node")
	t_kill=$(date +%s.%N)
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	eval "pid_$node="
	[ $# -gt 0 ] && { "$@" >/dev/null || fail "$* failed"; }
	ms=$("${peer[@]}" "$py" "$fop" answer "$t_kill" 10)
	echo "failover ($how): ${ms} ms from kill -9 to the first 200 at 198.51.100.1"
}
# fetch_all NODE_NAME: every acknowledged AoR answers a fetch with its own contact.
fetch_all() {
	local found missing
	read -r found missing < <("${peer[@]}" "$py" "$fop" fetch "$work/acked")
	[ "$missing" = 0 ] && ok "every acknowledged AoR ($found) answers a fetch on $1" ||
		fail "$missing of $acked acknowledged AoRs missing on $1"
}
# metric PREFIX NAME: one unlabelled figure of `sipregctl stats`.
metric() {
	"$ctl" --prefix "$1" --json stats |
		"$py" -c 'import json,sys; d=json.load(sys.stdin); print(d.get("/sipreg/stats", d)[sys.argv[1]])' "$2"
}

# --- 1. A active, B standby; load; kill A; promote B by command ---
start a active false "$work/a1.log"
wait_role "$prefix" active || fail "A did not become active: $(repl "$prefix" role) $(repl "$prefix" last_error)"
start b standby false "$work/b1.log"
wait_role "$prefix_b" standby || fail "B is not standby: $(repl "$prefix_b" role)"
macs=$(arp_macs)
[ "$macs" = "$mac_a" ] && ok "only A answers ARP for 198.51.100.1" || fail "ARP answered by [$macs], expected A $mac_a"

acked=$("${peer[@]}" "$py" "$fop" register "$aors" "$rate" "$work/acked")
[ "$acked" -ge $((aors * 99 / 100)) ] && ok "$acked of $aors AoRs acknowledged by A" ||
	fail "only $acked of $aors AoRs acknowledged"
wait_settled "$prefix" "$prefix_b" "$acked" ||
	fail "not settled: A lag $(repl "$prefix" lag_events), B followed $(repl "$prefix_b" follow_changes)"
echo "replication: A lag_ms $(repl "$prefix" lag_ms), B follow_lag_ms $(repl "$prefix_b" follow_lag_ms)"
[ "$(metric "$prefix_b" sipreg_repl_standby_drops_total)" -gt 0 ] && ok "B dropped what reached it as standby" ||
	fail "B counted no standby drop (it saw the ARP broadcasts)"

kill_and_time a "by command" "$ctl" --prefix "$prefix_b" promote
[ "$(repl "$prefix_b" role)" = active ] && ok "B is active after promote" || fail "B role $(repl "$prefix_b" role)"
fetch_all B
[ "$(metric "$prefix_b" sipreg_repl_garps_total)" -ge 1 ] && ok "B sent a gratuitous ARP" || fail "no gratuitous ARP from B"

# --- 2. A comes back: standby, fenced ---
start a active true "$work/a2.log"
wait_role "$prefix" standby || fail "returning A is $(repl "$prefix" role), expected standby"
grep -q "replication: active" "$work/a2.log" && fail "returning A was active at some point"
sleep 1
macs=$(arp_macs)
[ "$macs" = "$mac_b" ] && ok "returning A is standby; only B answers ARP" || fail "ARP answered by [$macs], expected B $mac_b"
wait_settled "$prefix_b" "$prefix" 0 || fail "A does not follow B"

# --- 3. kill B; A promotes itself ---
for _ in $(seq 100); do [ "$(repl "$prefix" follow_streaming)" = 1 ] && break; sleep 0.1; done
kill_and_time b "automatic, failover_ms=500"
[ "$(repl "$prefix" role)" = active ] && ok "A promoted itself" || fail "A role $(repl "$prefix" role)"
fetch_all A

kill -TERM "$pid_a"
wait "$pid_a" 2>/dev/null
pid_a=
for f in "$work"/a1.log "$work"/b1.log "$work"/a2.log; do it_check_sanitizers "$f"; done
it_finish
