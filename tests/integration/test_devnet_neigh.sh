#!/usr/bin/env bash
# test_devnet_neigh.sh [BUILD_DIR] - sipreg resolves next hops by ARP of its own (issue 12).
#
# sr-peer gets a second interface, a macvlan on its end of the veth with a MAC of its own, holding
# 198.51.100.3-.8 (ARP for them answered only there: arp_ignore=1). Six callees register from the
# peer's usual address 198.51.100.2, each through an edge proxy at one of those addresses (Path), so
# sipreg never received a frame from them. In proxy mode, with 2 workers (the callees' AoRs spread
# over both; an ARP reply lands on whichever queue the kernel picks, so some resolutions need the
# news passed between workers):
#   0. a REGISTER from an address sipreg never heard of (ARP pinned on the peer) teaches the neighbour
#      table of the worker that owns its AoR, once, and not the worker that received it and handed it
#      on (sipreg_worker_neigh_entries, _bindings, _rx_packets_total); one sent in fragments too, its AoR
#      chosen so that the worker its fragments reach is not the owner: handed over after reassembly
#      (sipreg_handoffs_total);
#   1. a MESSAGE for each callee reaches the listener bound to the macvlan (SO_BINDTODEVICE: only a
#      frame sent to the macvlan's MAC gets there; the old fallback, the port's last-seen MAC, would
#      deliver it to the veth instead), and the listener's 200 comes back to the caller;
#   2. sipreg asked by ARP and learned the answers (sipreg_arp_requests_total, _resolved_total), and
#      the workers passed ARP news to each other (sipreg_arp_shared_total);
#   3. a Path hop at an address nobody holds (198.51.100.77): three ARP requests, then given up, the
#      held datagram dropped and counted (sipreg_arp_failed_total, sipreg_neigh_dropped_total);
#   4. restarted with authentication: a source blocked by its AoR's owner after failed authentications
#      sends from another MAC, handed over to that owner and refused there; the refused datagram teaches
#      nothing (a MESSAGE to its contact still goes to the MAC learned before the block);
#   5. no sanitizer report; SIGTERM exits 0 (each run).
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
edges=(3 4 5 6 7 8) # 198.51.100.N: the edge proxies on the macvlan
"${peer[@]}" ip link add "$mv" link sr-peer0 type macvlan mode bridge || { echo "FAIL: macvlan"; exit 1; }
"${peer[@]}" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.sr-peer0.arp_ignore=1
for n in "${edges[@]}"; do "${peer[@]}" ip addr add "198.51.100.$n/24" dev "$mv"; done
"${peer[@]}" ethtool -K "$mv" tx off rx off >/dev/null 2>&1 || true
"${peer[@]}" ip link set "$mv" up
mv_mac=$("${peer[@]}" cat "/sys/class/net/$mv/address")

it_start_run "$work/neigh.log" --set workers.count=2 --set routing.mode=proxy
for n in "${edges[@]}"; do
	"${peer[@]}" "$py" "$rp" contact "nina$n" 5085 "<sip:nina$n@198.51.100.$n:5086>" \
		"Path: <sip:198.51.100.$n:5086;lr>" "Supported: path" >/dev/null || fail "REGISTER nina$n through .$n"
done
[ "$(figure sipreg_arp_requests_total)" = 0 ] || fail "ARP requests before any send: $(figure sipreg_arp_requests_total)"

# 0. a SIP datagram teaches once, the table of the worker that owns it, whichever worker received it; a
#    reassembled one too. New sources on the peer's own interface, its ARP entry for sipreg pinned so that no
#    ARP request names them: only the REGISTER can teach sipreg their MAC. The owner is the worker whose
#    bindings grew, the receiver the one whose received frames did.
dut_mac=$("${peer[@]}" ip neigh show 198.51.100.1 dev sr-peer0 |
	awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')
"${peer[@]}" ip neigh replace 198.51.100.1 lladdr "$dut_mac" dev sr-peer0 nud permanent
per_worker() { # per_worker JSON: "entries0 entries1 bindings0 bindings1 rx0 rx1"
	local f w
	for f in neigh_entries bindings rx_packets_total; do
		for w in 0 1; do echo -n "$(stat "sipreg_worker_$f" "$w" <<<"$1") "; done
	done
}
sums() { # sums "e0 e1 b0 b1 r0 r1": "entries bindings frames" of both workers
	local a=($1)
	echo "$((a[0] + a[1])) $((a[2] + a[3])) $((a[4] + a[5]))"
}
# a REGISTER's figures are all published: the entries, bindings and received frames of the workers have moved
register_published() {
	local e b r
	read -r e b r <<<"$(sums "$(per_worker "$1")")"
	[ "$e" != "$before_e" ] && [ "$b" != "$before_b" ] && [ "$r" != "$before_r" ]
}
sent=0 taught=0 handed=0
teach_from() { # teach_from N SIZE: a REGISTER of lone$N from the new source 198.51.100.N
	local n=$1 size=$2 src=198.51.100.$1 out d
	"${peer[@]}" ip addr add "$src/24" dev sr-peer0
	read -r e0 e1 b0 b1 r0 r1 <<<"$(per_worker "$(stats)")"
	read -r before_e before_b before_r <<<"$(sums "$e0 $e1 $b0 $b1 $r0 $r1")"
	out=$("${peer[@]}" "$py" "$np" register "$src" "lone$n" "$size")
	sent=$((sent + 1))
	it_poll_stats register_published
	read -r f0 f1 g0 g1 s0 s1 <<<"$(per_worker "$polled")"
	d="entries +$((f0 - e0))/+$((f1 - e1)), bindings +$((g0 - b0))/+$((g1 - b1)), frames +$((s0 - r0))/+$((s1 - r1))"
	if [ "$out" != "SIP/2.0 200 OK" ]; then
		fail "REGISTER from $src ($size bytes): $out"
	elif { [ $((g0 - b0)) = 1 ] && [ $((g1 - b1)) = 0 ] && [ $((f0 - e0)) = 1 ] && [ $((f1 - e1)) = 0 ]; } ||
		{ [ $((g0 - b0)) = 0 ] && [ $((g1 - b1)) = 1 ] && [ $((f0 - e0)) = 0 ] && [ $((f1 - e1)) = 1 ]; }; then
		taught=$((taught + 1))
		{ [ $((g0 - b0)) = 1 ] && [ $((s0 - r0)) = 0 ]; } || { [ $((g1 - b1)) = 1 ] && [ $((s1 - r1)) = 0 ]; } &&
			handed=$((handed + 1))
	else
		fail "REGISTER from $src ($size bytes) did not teach its owner's table once (workers 0/1: $d)"
	fi
}
for n in 40 41 42 43 44 45 46; do teach_from "$n" 600; done
# The receiving queue is the kernel's flow hash of addresses and random source ports (unpredictable), the
# owner the AoR's: each REGISTER is handed over with even odds. More, from new sources, until one is (bounded).
for n in $(seq 48 71); do
	[ "$handed" = 0 ] || break
	teach_from "$n" 600
done
[ "$taught" = "$sent" ] && [ "$handed" -ge 1 ] &&
	ok "$sent REGISTERs from new sources each taught its owner's table once, $handed handed over" ||
	fail "taught once: $taught of $sent, handed over: $handed (a hand-over is needed to test the receiver)"

# 0b. a REGISTER past the MTU (sent as three fragments), received whole by one worker (af_packet's fan-out
#     reassembles before it picks a queue; sipreg does, with AF_XDP) and handed over whole to the owner, which
#     learns its source, the receiver not. Every datagram of one flow (the new source 198.51.100.47, one fixed
#     port) lands on the same receiving worker: the first REGISTER says which, and teaches its AoR's owner;
#     then AoRs are tried from that flow until one the other worker owns (even odds, at most 16 tries). Each
#     try: the owner's bindings grow, its table learns the source unless it knew it, the other table never,
#     and sipreg_handoffs_total moves exactly when receiver and owner differ.
frag_src=198.51.100.47 frag_port=5097 frag_rcv= frag_handed=0 frag_tries=0
frag_knows=(0 0) # whether each worker's table holds the source by now
"${peer[@]}" ip addr add "$frag_src/24" dev sr-peer0
frag_published() { # the bindings and the received frames have moved (the entries need not: the source may be known)
	local e b r
	read -r e b r <<<"$(sums "$(per_worker "$1")")"
	[ "$b" != "$before_b" ] && [ "$r" != "$before_r" ]
}
frag_try() { # frag_try USER: one fragmented REGISTER of USER from the flow, checked
	local s out h0 h1 own rcv d
	s=$(stats)
	read -r e0 e1 b0 b1 r0 r1 <<<"$(per_worker "$s")"
	read -r before_e before_b before_r <<<"$(sums "$e0 $e1 $b0 $b1 $r0 $r1")"
	h0=$(stat sipreg_handoffs_total <<<"$s")
	out=$("${peer[@]}" "$py" "$np" register "$frag_src" "$1" 3000 "$frag_port")
	[ "$out" = "SIP/2.0 200 OK" ] || { fail "fragmented REGISTER of $1: $out"; return 1; }
	it_poll_stats frag_published
	sleep 0.3 # and a few publishing periods more, for the entries
	s=$(stats)
	read -r f0 f1 g0 g1 s0 s1 <<<"$(per_worker "$s")"
	h1=$(stat sipreg_handoffs_total <<<"$s")
	d="entries +$((f0 - e0))/+$((f1 - e1)), bindings +$((g0 - b0))/+$((g1 - b1)), frames +$((s0 - r0))/+$((s1 - r1)), handoffs +$((h1 - h0))"
	frag_tries=$((frag_tries + 1))
	if [ $((g0 - b0)) = 1 ] && [ $((g1 - b1)) = 0 ]; then own=0; elif [ $((g0 - b0)) = 0 ] && [ $((g1 - b1)) = 1 ]; then own=1
	else fail "fragmented REGISTER of $1: not one binding at one worker ($d)"; return 1; fi
	if [ $((s0 - r0)) -ge 1 ] && [ $((s1 - r1)) = 0 ]; then rcv=0; elif [ $((s1 - r1)) -ge 1 ] && [ $((s0 - r0)) = 0 ]; then rcv=1
	else fail "fragmented REGISTER of $1: not received by one worker ($d)"; return 1; fi
	[ -z "$frag_rcv" ] || [ "$frag_rcv" = "$rcv" ] || { fail "the flow's fragments moved from worker $frag_rcv to $rcv"; return 1; }
	frag_rcv=$rcv
	local want0=0 want1=0
	[ "${frag_knows[$own]}" = 1 ] || eval "want$own=1"
	if [ $((f0 - e0)) != "$want0" ] || [ $((f1 - e1)) != "$want1" ]; then
		fail "fragmented REGISTER of $1 (owner $own, received by $rcv): entries +$want0/+$want1 expected ($d)"
		return 1
	fi
	frag_knows[$own]=1
	if [ "$rcv" != "$own" ]; then
		[ $((h1 - h0)) = 1 ] || { fail "fragmented REGISTER of $1 handed from $rcv to $own: handoffs ($d)"; return 1; }
		frag_handed=1
	else
		[ $((h1 - h0)) = 0 ] || { fail "fragmented REGISTER of $1 kept by $own: handoffs ($d)"; return 1; }
	fi
}
for user in frag0 frag1 frag2 frag3 frag4 frag5 frag6 frag7 frag8 frag9 frag10 frag11 frag12 frag13 frag14 frag15; do
	frag_try "$user" || break
	[ "$frag_handed" = 0 ] || break
done
[ "$frag_handed" = 1 ] &&
	ok "a REGISTER in fragments received by worker $frag_rcv was handed over whole (try $frag_tries): its owner learned the source, the receiver not, sipreg_handoffs_total +1" ||
	fail "no fragmented REGISTER handed over in $frag_tries tries"

# 1. each reached at the macvlan's MAC
reached=0
for n in "${edges[@]}"; do
	out=$("${peer[@]}" "$py" "$np" call "nina$n" "198.51.100.$n" "$mv" 5086)
	if grep -q "^reached: MESSAGE sip:nina$n@198.51.100.$n:5086" <<<"$out" && grep -q '^final: SIP/2.0 200' <<<"$out"; then
		reached=$((reached + 1))
	else
		fail "MESSAGE to nina$n through 198.51.100.$n: $(tr '\n' ' ' <<<"$out")"
	fi
done
[ "$reached" = ${#edges[@]} ] &&
	ok "$reached MESSAGEs reached edge proxies at $mv_mac that never sent sipreg a frame; their 200s came back"

# 2. the ARP request and the learned answer
arp_published() {
	[ "$(stat sipreg_arp_resolved_total <<<"$1")" -ge ${#edges[@]} ] && [ "$(stat sipreg_arp_shared_total <<<"$1")" -ge 1 ]
}
it_poll_stats arp_published
s=$polled
req=$(stat sipreg_arp_requests_total <<<"$s")
[ "$req" -ge ${#edges[@]} ] && [ "$(stat sipreg_arp_resolved_total <<<"$s")" -ge ${#edges[@]} ] &&
	[ "$(stat sipreg_arp_failed_total <<<"$s")" = 0 ] && [ "$(stat sipreg_neigh_dropped_total <<<"$s")" = 0 ] &&
	[ "$(stat sipreg_arp_shared_total <<<"$s")" -ge 1 ] &&
	ok "ARP: $req requests, resolved, $(stat sipreg_arp_shared_total <<<"$s") passed between workers, nothing failed or dropped" ||
	fail "ARP figures: $(grep -o '"sipreg_\(arp\|neigh\)[^,]*' <<<"$s" | tr '\n' ' ')"

# 3. an address nobody answers for: given up after 3 requests 1 s apart, the datagram dropped and counted
"${peer[@]}" "$py" "$rp" contact nemo 5087 "<sip:nemo@198.51.100.77:5088>" "Path: <sip:198.51.100.77:5088;lr>" \
	"Supported: path" >/dev/null || fail "REGISTER nemo through the absent edge proxy"
"${peer[@]}" "$py" "$np" call nemo 198.51.100.3 "$mv" 5089 >/dev/null
given_up() { [ "$(stat sipreg_arp_failed_total <<<"$1")" -ge 1 ] && [ "$(stat sipreg_neigh_dropped_total <<<"$1")" -ge 1 ]; }
it_poll_stats given_up 50 # 3 s after the first request, plus the publishing period
s=$polled
[ "$(stat sipreg_arp_failed_total <<<"$s")" -ge 1 ] && [ "$(stat sipreg_neigh_dropped_total <<<"$s")" -ge 1 ] &&
	[ "$(stat sipreg_arp_requests_total <<<"$s")" -ge $((req + 3)) ] &&
	ok "unanswered: 3 requests, given up, the datagram dropped and counted" ||
	fail "unanswered ARP figures: $(grep -o '"sipreg_\(arp\|neigh\)[^,]*' <<<"$s" | tr '\n' ' ')"

it_stop TERM
[ "$stop_rc" = 0 ] && ok "SIGTERM, exit 0" || fail "exit status $stop_rc"
it_check_sanitizers "$work/neigh.log"

# 4. a source the flood guard refuses teaches the neighbour table nothing. The guard that blocks a source after
#    failed authentications is its AoR's owner's, which refuses it in sip_process after a hand-over (the worker
#    that receives it does not know the block). A blocked source was taught by the failed attempts that blocked
#    it, so only a move shows it: .90 (an address on the macvlan) fails authentication as alice three times out
#    of sr-peer0 (alice's owner learns it at sr-peer0's MAC, then blocks it), then sends out of the macvlan
#    (another MAC; its ARP entry for sipreg pinned, so no ARP tells sipreg either) from one source port after
#    another until one lands on the other worker and is handed over to the owner: refused there. A MESSAGE to
#    alice (Path through .90) must still reach a listener bound to sr-peer0 with no ARP request: the owner
#    sent it to the MAC it learned before the block, not to the refused frame's.
blk=198.51.100.90
"${peer[@]}" ip addr add "$blk/24" dev "$mv"
"${peer[@]}" ip neigh replace 198.51.100.1 lladdr "$dut_mac" dev "$mv" nud permanent
it_start_run "$work/neigh-auth.log" --set workers.count=2 --set routing.mode=proxy --set auth.enabled=true \
	--set auth.subscribers="$here/dpdk-config/subscribers.example" --set auth.algorithms=MD5 \
	--set flood.auth_fail_limit=3 --set flood.auth_fail_window=60 --set flood.block_time=60
read -r e0 e1 b0 b1 r0 r1 <<<"$(per_worker "$(stats)")"
before_b=$((b0 + b1))
out=$("${peer[@]}" "$py" "$np" authreg alice alice-secret "<sip:alice@$blk:5091>" "Path: <sip:$blk:5091;lr>" \
	"Supported: path") # through an edge proxy at .90 (Path), as in 1: the MESSAGE goes there
[ "$out" = "SIP/2.0 200 OK" ] || fail "alice's REGISTER with credentials: $out"
bound() { read -r _ _ g0 g1 _ _ <<<"$(per_worker "$1")"; [ $((g0 + g1)) != "$before_b" ]; }
it_poll_stats bound
read -r _ _ g0 g1 _ _ <<<"$(per_worker "$polled")"
own=$([ $((g0 - b0)) = 1 ] && echo 0 || echo 1) # alice's owner
for i in 1 2 3; do
	out=$("${peer[@]}" "$py" "$np" badauth "$blk" sr-peer0 alice)
	case "$out" in "SIP/2.0 401"* | "SIP/2.0 403"*) ;; *) fail "failed authentication $i from $blk: $out" ;; esac
done
handed_refused=0
for sport in $(seq 5101 5116); do
	s=$(stats)
	read -r _ _ _ _ r0 r1 <<<"$(per_worker "$s")"
	blocked0=$(stat sipreg_flood_blocked_total <<<"$s") h0=$(stat sipreg_handoffs_total <<<"$s")
	"${peer[@]}" "$py" "$np" badauth "$blk" "$mv" alice "$sport" >/dev/null
	refused() { [ "$(stat sipreg_flood_blocked_total <<<"$1")" -gt "$blocked0" ]; }
	it_poll_stats refused || { fail "the REGISTER from $blk out of $mv (port $sport) was not refused as blocked"; break; }
	sleep 0.2 # the received frames too
	s=$(stats)
	read -r _ _ _ _ s0 s1 <<<"$(per_worker "$s")"
	rcv=$([ $((s0 - r0)) -ge 1 ] && echo 0 || echo 1)
	if [ "$rcv" != "$own" ]; then
		[ "$(stat sipreg_handoffs_total <<<"$s")" -gt "$h0" ] && handed_refused=1 ||
			fail "a REGISTER received by worker $rcv, owned by $own, was not handed over"
		break
	fi
done
[ "$handed_refused" = 1 ] || fail "no refused REGISTER from $blk reached alice's owner (worker $own) by a hand-over"
req0=$(stat sipreg_arp_requests_total <<<"$(stats)")
out=$("${peer[@]}" "$py" "$np" call alice "$blk" sr-peer0 5091)
grep -q "^reached: MESSAGE sip:alice@$blk:5091" <<<"$out" &&
	[ "$(stat sipreg_arp_requests_total <<<"$(stats)")" = "$req0" ] &&
	ok "a blocked source's REGISTER from another MAC, handed over and refused by its owner, taught nothing: the MESSAGE went to the MAC learned before" ||
	fail "MESSAGE to alice at the blocked $blk: $(tr '\n' ' ' <<<"$out")(ARP requests $req0 -> $(stat sipreg_arp_requests_total <<<"$(stats)"))"

it_stop TERM
[ "$stop_rc" = 0 ] && ok "SIGTERM, exit 0" || fail "exit status $stop_rc"
it_check_sanitizers "$work/neigh-auth.log"
it_finish
