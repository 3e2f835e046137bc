# repl_lib.sh - what the replication tests share (sourced after lib.sh's it_init, not run).
#
# The development network in pair mode (scripts/devnet.sh up-pair): node a in sr-dut, node b in
# sr-dut2, both with the service address 198.51.100.1, bridged to sr-peer where repl_up starts a
# redis-server (append-only file, fsync per write, in the test's work directory) on the kernel links
# 198.51.100.129 (a's) and 198.51.100.133 (b's). The EXIT trap (repl_cleanup) kills both nodes and
# Redis by pid, then lib.sh's cleanup removes the network and the work directory.
# Needs: prefix (node a's eal.file_prefix), prefix_b, work, py, peer, here, BUILD_DIR.
#
# With repl_cluster=1 set before sourcing, Redis is a three-master Redis Cluster instead: three
# redis-server processes in sr-peer on 198.51.100.140 ports 7001-7003 (an address on sr-peer's
# loopback, announced by every node in CLUSTER SLOTS, routed from sr-dut via .129 and from sr-dut2
# via .133, so that both registrars reach every master at the one address the cluster gives), made a
# cluster by `redis-cli --cluster create`; both nodes get replication.redis listing the three.

sipreg=$BUILD_DIR/app/sipreg/sipreg
ctl=$BUILD_DIR/app/sipregctl/sipregctl
fop="$here/tests/integration/failover_peer.py"
pid_a= pid_b= redis_pid=
repl_cluster=${repl_cluster:-0}
cluster_ip=198.51.100.140
cluster_ports=(7001 7002 7003)

repl_cleanup() {
	# by pid: a bare `wait` would also wait for the devnet lock's holder, which waits for us
	for p in $pid_a $pid_b $redis_pid; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	it_cleanup
}

# cluster_start: the three masters (each in its own directory), made one cluster the first time.
cluster_start() {
	local port nodes=() p
	redis_pid=
	for port in "${cluster_ports[@]}"; do
		mkdir -p "$work/redis-$port"
		"${peer[@]}" redis-server --bind "$cluster_ip" --port "$port" --cluster-enabled yes \
			--cluster-config-file "$work/redis-$port/nodes.conf" --cluster-announce-ip "$cluster_ip" \
			--save "" --appendonly yes --appendfsync always --protected-mode no --dir "$work/redis-$port" \
			>>"$work/redis.log" 2>&1 &
		redis_pid="$redis_pid $!"
		nodes+=("$cluster_ip:$port")
	done
	for port in "${cluster_ports[@]}"; do
		for _ in $(seq 50); do
			"${peer[@]}" redis-cli -h "$cluster_ip" -p "$port" ping 2>/dev/null | grep -q PONG && break
			sleep 0.1
		done
	done
	if ! "${peer[@]}" redis-cli -h "$cluster_ip" -p 7001 cluster info | grep -q "cluster_known_nodes:3"; then
		"${peer[@]}" redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes \
			>>"$work/redis.log" 2>&1 || { echo "FAIL: redis-cli --cluster create"; cat "$work/redis.log"; exit 1; }
	fi
	for _ in $(seq 100); do
		p=0
		for port in "${cluster_ports[@]}"; do
			"${peer[@]}" redis-cli -h "$cluster_ip" -p "$port" cluster info | grep -q "cluster_state:ok" && p=$((p + 1))
		done
		[ "$p" = 3 ] && return 0
		sleep 0.1
	done
	echo "FAIL: the Redis Cluster did not reach cluster_state:ok"
	cat "$work/redis.log"
	exit 1
}

# cluster_spread: with a cluster, checks that every master holds keys (the AoRs were sharded, not
# all written through one node); prints the key count of each.
cluster_spread() {
	local port n sizes=() empty=0
	[ "$repl_cluster" = 1 ] || return 0
	for port in "${cluster_ports[@]}"; do
		n=$("${peer[@]}" redis-cli -h "$cluster_ip" -p "$port" dbsize 2>/dev/null)
		sizes+=("$port:${n:-?}")
		[ "${n:-0}" -gt 0 ] 2>/dev/null || empty=1
	done
	[ "$empty" = 0 ] && ok "the keys are spread over the three masters (${sizes[*]})" ||
		fail "a master holds no key (${sizes[*]})"
}

# redis_start: the test's Redis in sr-peer (again over the same directory after a kill).
redis_start() {
	[ "$repl_cluster" = 1 ] && { cluster_start; return; }
	"${peer[@]}" redis-server --bind 198.51.100.129 198.51.100.133 --port 6379 --save "" --appendonly yes \
		--appendfsync always --protected-mode no --dir "$work" >>"$work/redis.log" 2>&1 &
	redis_pid=$!
	for _ in $(seq 50); do
		"${peer[@]}" redis-cli -h 198.51.100.129 ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	echo "FAIL: redis-server did not start"
	cat "$work/redis.log"
	exit 1
}

# repl_up: checks, the network in pair mode, Redis, the EXIT trap; sets mac_a and mac_b.
repl_up() {
	it_need redis-server "scripts/setup.sh installs redis-server"
	[ -x "$ctl" ] || { echo "FAIL: $ctl not built"; exit 1; }
	trap repl_cleanup EXIT
	"$here/scripts/devnet.sh" down >/dev/null 2>&1
	"$here/scripts/devnet.sh" up-pair >/dev/null || { echo "FAIL: devnet up-pair"; exit 1; }
	mac_a=$(ip netns exec sr-dut cat /sys/class/net/sr-dut0/address)
	mac_b=$(ip netns exec sr-dut2 cat /sys/class/net/sr-dut0/address)
	if [ "$repl_cluster" = 1 ]; then
		it_need redis-cli "scripts/setup.sh installs redis-server (redis-tools)"
		ip -n sr-peer link set lo up
		ip -n sr-peer addr replace "$cluster_ip/32" dev lo
		ip -n sr-dut route replace "$cluster_ip/32" via 198.51.100.129
		ip -n sr-dut2 route replace "$cluster_ip/32" via 198.51.100.133
	fi
	redis_start
}

# node_start NODE(a|b) ROLE AUTO_FAILOVER LOG [--set KEY=VALUE ...]: sipreg of that node in its namespace
# (one worker, persistence in $work/data-NODE, failover_ms=500); waits for "ready"; sets pid_a or pid_b.
node_start() {
	local node=$1 role=$2 auto=$3 log=$4 ns redis pfx
	shift 4
	if [ "$node" = a ]; then ns=sr-dut redis=198.51.100.129:6379 pfx=$prefix
	else ns=sr-dut2 redis=198.51.100.133:6379 pfx=$prefix_b; fi
	[ "$repl_cluster" = 1 ] && redis=$cluster_ip:7001,$cluster_ip:7002,$cluster_ip:7003
	ip netns exec "$ns" "$sipreg" --config "$here/dpdk-config/sipreg-dev.ini" \
		--set eal.file_prefix="$pfx" --set workers.count=1 --set control.persistence=true \
		--set control.data_dir="$work/data-$node" --set replication.redis="$redis" \
		--set replication.role="$role" --set replication.auto_failover="$auto" \
		--set replication.failover_ms=500 --set replication.node_id="node-$node" "$@" >"$log" 2>&1 &
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
		"$py" -c 'import json,sys; d=json.load(sys.stdin); print(d.get("/sipreg/replication", d).get(sys.argv[1], ""))' "$2"
}
# metric PREFIX NAME: one unlabelled figure of `sipregctl stats`.
metric() {
	"$ctl" --prefix "$1" --json stats |
		"$py" -c 'import json,sys; d=json.load(sys.stdin); print(d.get("/sipreg/stats", d)[sys.argv[1]])' "$2"
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
# arp_macs: the MACs answering an ARP request for 198.51.100.1 on the bridge, one a line.
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
	ms=$("${peer[@]}" env SR_FO_PORT=5071 "$py" "$fop" answer "$t_kill" 10) # its own port: a load may run
	echo "failover ($how): ${ms} ms from kill -9 to the first 200 at 198.51.100.1"
}

# fetch_all NODE_NAME ACKED_FILE: every acknowledged AoR answers a fetch with its own contact.
fetch_all() {
	local found missing total
	total=$(wc -l <"$2")
	read -r found missing < <("${peer[@]}" "$py" "$fop" fetch "$2")
	[ "$missing" = 0 ] && ok "every acknowledged AoR ($found) answers a fetch on $1" ||
		fail "$missing of $total acknowledged AoRs missing on $1"
}
