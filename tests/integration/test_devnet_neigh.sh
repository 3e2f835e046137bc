#!/usr/bin/env bash
# test_devnet_neigh.sh [BUILD_DIR] - sipreg resolves next hops by ARP of its own (issue 12).
#
# sr-peer gets a second interface, a macvlan on its end of the veth with a MAC of its own, holding
# 198.51.100.3 (ARP for it answered only there: arp_ignore=1). A callee registers from the peer's
# usual address 198.51.100.2 through an edge proxy at 198.51.100.3 (Path), so sipreg never received a
# frame from .3. In proxy mode, with 2 workers:
#   1. a MESSAGE for the callee reaches the listener bound to the macvlan (SO_BINDTODEVICE: only a
#      frame sent to the macvlan's MAC gets there; the old fallback, the port's last-seen MAC, would
#      deliver it to the veth instead), and the listener's 200 comes back to the caller;
#   2. sipreg asked by ARP and learned the answer (sipreg_arp_requests_total, _resolved_total);
#   3. a Path hop at an address nobody holds (198.51.100.77): three ARP requests, then given up, the
#      held datagram dropped and counted (sipreg_arp_failed_total, sipreg_neigh_dropped_total);
#   4. no sanitizer report; SIGTERM exits 0.
# Exit 77 (meson: skipped) when not root or when netns/python3 are unavailable.
set -uo pipefail

prefix=sipreg-neigh
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-neigh
rp=$here/tests/integration/route_peer.py
np=$here/tests/integration/neigh_peer.py
figure() { stats | stat "$@"; }

it_devnet_fresh
mv=sr-peer-mv
"${peer[@]}" ip link add "$mv" link sr-peer0 type macvlan mode bridge || { echo "FAIL: macvlan"; exit 1; }
"${peer[@]}" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.sr-peer0.arp_ignore=1
"${peer[@]}" ip addr add 198.51.100.3/24 dev "$mv"
"${peer[@]}" ethtool -K "$mv" tx off rx off >/dev/null 2>&1 || true
"${peer[@]}" ip link set "$mv" up
mv_mac=$("${peer[@]}" cat "/sys/class/net/$mv/address")

it_start_run "$work/neigh.log" --set workers.count=2 --set routing.mode=proxy
"${peer[@]}" "$py" "$rp" contact nina 5085 "<sip:nina@198.51.100.3:5086>" "Path: <sip:198.51.100.3:5086;lr>" \
	"Supported: path" >/dev/null || fail "REGISTER nina through the edge proxy"
[ "$(figure sipreg_arp_requests_total)" = 0 ] || fail "ARP requests before any send: $(figure sipreg_arp_requests_total)"

# 1. reached at the macvlan's MAC
out=$("${peer[@]}" "$py" "$np" call nina 198.51.100.3 "$mv" 5086)
grep -q '^reached: MESSAGE sip:nina@198.51.100.3:5086' <<<"$out" &&
	ok "MESSAGE reached 198.51.100.3 at $mv_mac, an address that never sent sipreg a frame" ||
	fail "MESSAGE to the edge proxy: $(tr '\n' ' ' <<<"$out")"
grep -q '^final: SIP/2.0 200' <<<"$out" && ok "its 200 came back to the caller" || fail "caller: $(tr '\n' ' ' <<<"$out")"

# 2. the ARP request and the learned answer
sleep 0.3 # figures are published every 100 ms
s=$(stats)
req=$(stat sipreg_arp_requests_total <<<"$s")
[ "$req" -ge 1 ] && [ "$(stat sipreg_arp_resolved_total <<<"$s")" -ge 1 ] &&
	[ "$(stat sipreg_arp_failed_total <<<"$s")" = 0 ] && [ "$(stat sipreg_neigh_dropped_total <<<"$s")" = 0 ] &&
	ok "ARP: $req request(s), resolved, nothing failed or dropped" ||
	fail "ARP figures: $(grep -o '"sipreg_\(arp\|neigh\)[^,]*' <<<"$s" | tr '\n' ' ')"
"${peer[@]}" ip neigh show 198.51.100.1 | grep -q lladdr && ok "sr-peer learned sipreg from its request" ||
	fail "sr-peer has no entry for sipreg: $("${peer[@]}" ip neigh show)"

# 3. an address nobody answers for: given up after 3 requests 1 s apart, the datagram dropped and counted
"${peer[@]}" "$py" "$rp" contact nemo 5087 "<sip:nemo@198.51.100.77:5088>" "Path: <sip:198.51.100.77:5088;lr>" \
	"Supported: path" >/dev/null || fail "REGISTER nemo through the absent edge proxy"
"${peer[@]}" "$py" "$np" call nemo 198.51.100.3 "$mv" 5089 >/dev/null
sleep 1.5 # 3 s after the first request, plus the publishing period
s=$(stats)
[ "$(stat sipreg_arp_failed_total <<<"$s")" -ge 1 ] && [ "$(stat sipreg_neigh_dropped_total <<<"$s")" -ge 1 ] &&
	[ "$(stat sipreg_arp_requests_total <<<"$s")" -ge $((req + 3)) ] &&
	ok "unanswered: 3 requests, given up, the datagram dropped and counted" ||
	fail "unanswered ARP figures: $(grep -o '"sipreg_\(arp\|neigh\)[^,]*' <<<"$s" | tr '\n' ' ')"

it_stop TERM
[ "$stop_rc" = 0 ] && ok "SIGTERM, exit 0" || fail "exit status $stop_rc"
it_check_sanitizers "$work/neigh.log"
it_finish
