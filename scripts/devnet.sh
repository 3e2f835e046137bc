#!/usr/bin/env bash
# devnet.sh up|down|status - the development network (idempotent).
#
#   netns sr-dut:  veth sr-dut0, no IP address: DPDK's af_packet PMD owns it and
#                  sipreg itself answers ARP and ICMP for 198.51.100.1
#   netns sr-peer: veth sr-peer0, 198.51.100.2/24, where sipp and test clients run
#
# 198.51.100.0/24 (TEST-NET-2) exists only inside the two namespaces; the
# machine's own interfaces and network are never touched.
#
# devnet.sh up-pair (opt-in, for replication tests; `up` is unchanged): the
# above plus a second registrar namespace sharing the service address:
#   netns sr-dut2: veth sr-dut0 (the same name, so the same sipreg profile
#                  works), no IP address, its peer end sr-peer1 in sr-peer;
#   sr-peer:       bridge sr-br0 joins sr-peer0 and sr-peer1 and takes
#                  198.51.100.2/24, so both registrars are on one segment and
#                  198.51.100.1 belongs to whichever answers ARP for it;
#   kernel links for Redis (sipreg's hiredis uses the kernel's sockets, and
#   a DPDK-owned sr-dut0 has no kernel address): veth sr-repl0 in each
#   registrar namespace, 198.51.100.130/30 (sr-dut) and 198.51.100.134/30
#   (sr-dut2), to sr-repl1 198.51.100.129/30 and sr-repl2 198.51.100.133/30
#   in sr-peer, where the test's Redis listens.
# devnet.sh up-repl (opt-in, for benchmarks of one registrar with replication): `up` plus sr-dut's
#   kernel link for Redis (198.51.100.130/30 to sr-repl1 198.51.100.129/30 in sr-peer), nothing else.
# `down` removes sr-dut2 as well.
set -euo pipefail

DUT_NS=sr-dut
PEER_NS=sr-peer
DUT_IF=sr-dut0
PEER_IF=sr-peer0
PEER_ADDR=198.51.100.2/24
DUT2_NS=sr-dut2
BRIDGE=sr-br0

ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

# Checksum offloads off: on veth the kernel would otherwise leave UDP
# checksums partial ("to be filled by hardware") and sipreg would see them wrong.
offloads_off() {
	local ns=$1 dev=$2
	if command -v ethtool >/dev/null 2>&1; then
		ip netns exec "$ns" ethtool -K "$dev" tx off rx off >/dev/null 2>&1 || true
		ip netns exec "$ns" ethtool -K "$dev" gro off gso off tso off >/dev/null 2>&1 || true
	fi
}

up() {
	ns_exists "$DUT_NS" || ip netns add "$DUT_NS"
	ns_exists "$PEER_NS" || ip netns add "$PEER_NS"
	if ! ip netns exec "$DUT_NS" ip link show "$DUT_IF" >/dev/null 2>&1; then
		# create the pair inside sr-dut, then move one end: nothing appears in the root namespace for long
		ip netns exec "$DUT_NS" ip link add "$DUT_IF" type veth peer name "$PEER_IF"
		ip netns exec "$DUT_NS" ip link set "$PEER_IF" netns "$PEER_NS"
	fi
	# no IPv6 on the pair: router/neighbour chatter would show up in sipreg's drop counters
	ip netns exec "$DUT_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
	ip netns exec "$PEER_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
	ip netns exec "$DUT_NS" ip link set lo up
	ip netns exec "$PEER_NS" ip link set lo up
	offloads_off "$DUT_NS" "$DUT_IF"
	offloads_off "$PEER_NS" "$PEER_IF"
	ip netns exec "$PEER_NS" ip addr replace "$PEER_ADDR" dev "$PEER_IF"
	ip netns exec "$DUT_NS" ip link set "$DUT_IF" up
	ip netns exec "$PEER_NS" ip link set "$PEER_IF" up
	echo "devnet: up (sr-peer0 198.51.100.2/24 in $PEER_NS <-> sr-dut0 in $DUT_NS, registrar 198.51.100.1)"
}

# repl_link NS PEER_IF DUT_ADDR PEER_ADDR: a kernel veth sr-repl0 in NS to PEER_IF in sr-peer (for Redis).
repl_link() {
	local ns=$1 pif=$2 daddr=$3 paddr=$4
	if ! ip netns exec "$ns" ip link show sr-repl0 >/dev/null 2>&1; then
		ip netns exec "$ns" ip link add sr-repl0 type veth peer name "$pif"
		ip netns exec "$ns" ip link set "$pif" netns "$PEER_NS"
	fi
	ip netns exec "$ns" ip addr replace "$daddr" dev sr-repl0
	ip netns exec "$PEER_NS" ip addr replace "$paddr" dev "$pif"
	ip netns exec "$ns" ip link set sr-repl0 up
	ip netns exec "$PEER_NS" ip link set "$pif" up
}

up_pair() {
	up >/dev/null
	ns_exists "$DUT2_NS" || ip netns add "$DUT2_NS"
	if ! ip netns exec "$DUT2_NS" ip link show "$DUT_IF" >/dev/null 2>&1; then
		ip netns exec "$DUT2_NS" ip link add "$DUT_IF" type veth peer name sr-peer1
		ip netns exec "$DUT2_NS" ip link set sr-peer1 netns "$PEER_NS"
	fi
	ip netns exec "$DUT2_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
	ip netns exec "$DUT2_NS" ip link set lo up
	offloads_off "$DUT2_NS" "$DUT_IF"
	offloads_off "$PEER_NS" sr-peer1
	ip netns exec "$PEER_NS" ip link show "$BRIDGE" >/dev/null 2>&1 ||
		ip netns exec "$PEER_NS" ip link add "$BRIDGE" type bridge
	ip netns exec "$PEER_NS" ip link set "$BRIDGE" type bridge stp_state 0 forward_delay 0
	ip netns exec "$PEER_NS" ip addr flush dev "$PEER_IF"
	ip netns exec "$PEER_NS" ip link set "$PEER_IF" master "$BRIDGE"
	ip netns exec "$PEER_NS" ip link set sr-peer1 master "$BRIDGE"
	ip netns exec "$PEER_NS" ip addr replace "$PEER_ADDR" dev "$BRIDGE"
	ip netns exec "$PEER_NS" ip link set "$BRIDGE" up
	ip netns exec "$PEER_NS" ip link set sr-peer1 up
	ip netns exec "$DUT2_NS" ip link set "$DUT_IF" up
	repl_link "$DUT_NS" sr-repl1 198.51.100.130/30 198.51.100.129/30
	repl_link "$DUT2_NS" sr-repl2 198.51.100.134/30 198.51.100.133/30
	echo "devnet: up-pair (sr-dut and sr-dut2 bridged by $BRIDGE 198.51.100.2/24 in $PEER_NS; Redis links" \
		"198.51.100.129/30, 198.51.100.133/30)"
}

up_repl() {
	up >/dev/null
	repl_link "$DUT_NS" sr-repl1 198.51.100.130/30 198.51.100.129/30
	echo "devnet: up-repl (up, and sr-dut's Redis link 198.51.100.130/30 to 198.51.100.129 in $PEER_NS)"
}

down() {
	ns_exists "$DUT_NS" && ip netns del "$DUT_NS"
	ns_exists "$DUT2_NS" && ip netns del "$DUT2_NS"
	ns_exists "$PEER_NS" && ip netns del "$PEER_NS"
	echo "devnet: down"
}

status() {
	for ns in "$DUT_NS" "$DUT2_NS" "$PEER_NS"; do
		if ns_exists "$ns"; then
			echo "== $ns"
			ip netns exec "$ns" ip -br addr
		else
			echo "== $ns: absent"
		fi
	done
}

if [ "$(id -u)" -ne 0 ]; then
	echo "devnet: must run as root (network namespaces)" >&2
	exit 1
fi
# Changing the network takes the development network's lock too: a script
# holding it (a test, a benchmark, run.sh) exported SR_DEVNET_LOCKED=1 to its
# children and passes at once; `devnet.sh down` typed by hand waits instead of
# tearing the namespaces out from under a running test.
case "${1:-}" in
up | up-pair | up-repl | down)
	. "$(dirname "$0")/devnet_lock.sh"
	sr_devnet_lock
	;;
esac
case "${1:-}" in
up) up ;;
up-pair) up_pair ;;
up-repl) up_repl ;;
down) down ;;
status) status ;;
*)
	echo "usage: $0 up|up-pair|up-repl|down|status" >&2
	exit 2
	;;
esac
