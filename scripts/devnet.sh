#!/usr/bin/env bash
# devnet.sh up|down|status - the development network (idempotent).
#
#   netns sr-dut:  veth sr-dut0, no IP address: DPDK's af_packet PMD owns it and
#                  sipreg itself answers ARP and ICMP for 198.51.100.1
#   netns sr-peer: veth sr-peer0, 198.51.100.2/24, where sipp and test clients run
#
# 198.51.100.0/24 (TEST-NET-2) exists only inside the two namespaces; the
# machine's own interfaces and network are never touched.
set -euo pipefail

DUT_NS=sr-dut
PEER_NS=sr-peer
DUT_IF=sr-dut0
PEER_IF=sr-peer0
PEER_ADDR=198.51.100.2/24

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

down() {
	ns_exists "$DUT_NS" && ip netns del "$DUT_NS"
	ns_exists "$PEER_NS" && ip netns del "$PEER_NS"
	echo "devnet: down"
}

status() {
	for ns in "$DUT_NS" "$PEER_NS"; do
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
case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
*)
	echo "usage: $0 up|down|status" >&2
	exit 2
	;;
esac
