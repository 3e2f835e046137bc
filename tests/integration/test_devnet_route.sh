#!/usr/bin/env bash
# test_devnet_route.sh [BUILD_DIR] - routing.mode redirect and proxy end to end (issue 12).
#
# Over the development network, sipreg with 2 workers; callees register from the port they
# listen on (route_peer.py register), so the binding's source is where sipp answers:
#   redirect mode:
#     1. an INVITE for an AoR with two bindings gets 302 listing both contacts, highest q first;
#     2. an AoR without bindings gets 480; a foreign domain gets 404 (never relayed);
#     2b. routing.user_agent_filter: only the binding whose User-Agent matches is listed;
#   proxy mode (routing.record_route on), sipp as caller (port 5070) and callees (5090...):
#     3. a call set up and torn down through sipreg: INVITE/100/180/200/ACK/BYE/200, the ACK and
#        BYE following sipreg's Record-Route;
#     4. serial forking: the q=1 callee answers 486, the q=0.5 callee gets the INVITE and answers;
#     5. parallel forking: two q=1 callees ring, one answers, the other gets CANCEL (487, ACK);
#     6. 480 without bindings, 404 for a foreign domain;
#     7. an INVITE sent three times reaches the callee once (retransmissions absorbed);
#     7b. a Contact with a private address is reached at the REGISTER's source (NAT); a binding
#        registered through an edge proxy (Path) is reached through it with the Path as Route;
#        a public GRUU and a temporary GRUU reach exactly their instance, not the AoR's other
#        binding; a forged temporary GRUU gets 404;
#     7b''. the Allow filter: a callee registered with Allow: INVITE, ACK, BYE, CANCEL gets no
#        MESSAGE while the AoR's binding that allows MESSAGE does (and answers it); when every
#        binding's Allow excludes the method the caller gets 405 with the methods they accept;
#     7b'. the lookup command (telemetry /sipreg/lookup and sipregctl lookup) shows each binding's
#        destination: the REGISTER's source, or the first Path hop;
#     7c. a STUN Binding request on the SIP port gets its response (mapped address, FINGERPRINT);
#     8. the routing's counters in /sipreg/stats agree; no sanitizer report; SIGTERM exits 0.
# Exit 77 (meson: skipped) when not root or when netns/sipp/python3 are unavailable.
set -uo pipefail

prefix=sipreg-route
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-route
it_need sipp "scripts/setup.sh installs sip-tester"
rp=$here/tests/integration/route_peer.py
scen=$here/tests/integration/sipp

# sipp_run NAME ARGS...: one sipp in sr-peer (bounded), its output in $work/NAME.*; returns sipp's status.
sipp_run() {
	local name=$1
	shift
	(cd "$work" && timeout 40 "${peer[@]}" sipp "$@" -i 198.51.100.2 -m 1 -timeout 30s -nostdin \
		-trace_err -error_file "$work/$name.err" >"$work/$name.out" 2>&1)
}
# callee NAME SCENARIO PORT: a sipp callee in the background; its pid in callee_pid[NAME]
declare -A callee_pid
callee() {
	sipp_run "$1" -sf "$scen/$2" -p "$3" &
	callee_pid[$1]=$!
}
# callee_ok NAME: the background callee finished its scenario
callee_ok() {
	wait "${callee_pid[$1]}" && ok "callee $1: scenario complete" ||
		{ fail "callee $1: sipp failed"; tail -5 "$work/$1.out"; head -c 1500 "$work/$1.err" 2>/dev/null; }
}
caller_ok() {
	sipp_run "$1" -sf "$scen/route_uac.xml" -s "$2" -p 5070 198.51.100.1:5060 && ok "caller $1: $3" ||
		{ fail "caller $1: $3"; tail -5 "$work/$1.out"; head -c 1500 "$work/$1.err" 2>/dev/null; }
}
register() { "${peer[@]}" "$py" "$rp" register "$@" >/dev/null || fail "REGISTER $*"; }
invite() { "${peer[@]}" "$py" "$rp" invite "$@"; }
# figure NAME [LABEL]: one figure of /sipreg/stats now
figure() { stats | stat "$@"; }

it_devnet_fresh

# --- redirect ---
it_start_run "$work/redirect.log" --set workers.count=2 --set routing.mode=redirect
register bob 5091 0.5
register bob 5090 1.0
out=$(invite bob)
if [ "$(sed -n 1p <<<"$out" | cut -d' ' -f2)" = 302 ] && sed -n 2p <<<"$out" | grep -q '^<sip:bob@198.51.100.2:5090>.*;q=1$' &&
	sed -n 3p <<<"$out" | grep -q '^<sip:bob@198.51.100.2:5091>.*;q=0.5$'; then
	ok "redirect: 302 with the contacts by q: $(tr '\n' ' ' <<<"$out")"
else
	fail "redirect: expected 302 with 5090 (q=1) then 5091 (q=0.5), got: $out"
fi
out=$(invite nobody)
[[ $out == "SIP/2.0 480"* ]] && ok "redirect: AoR without bindings -> ${out%%$'\n'*}" || fail "redirect: nobody -> $out"
out=$(invite bob foreign.example.net)
[[ $out == "SIP/2.0 404"* ]] && ok "redirect: foreign domain -> ${out%%$'\n'*}" || fail "redirect: foreign -> $out"
sleep 0.3 # figures are published every 100 ms
s=$(stats)
[ "$(stat sipreg_route_redirects_total <<<"$s")" = 1 ] && [ "$(stat sipreg_route_no_binding_total <<<"$s")" = 1 ] &&
	[ "$(stat sipreg_route_refused_foreign_total <<<"$s")" = 1 ] &&
	ok "redirect counters: 1 redirect, 1 without binding, 1 foreign" ||
	fail "redirect counters: $(grep -o '"sipreg_route[^]]*' <<<"$s" | head -20)"
it_stop TERM
[ "$stop_rc" = 0 ] && ok "redirect: SIGTERM, exit 0" || fail "redirect: exit status $stop_rc"
it_check_sanitizers "$work/redirect.log"

# 2b. the User-Agent filter (a short run of its own)
it_start_run "$work/ua.log" --set workers.count=2 --set routing.mode=redirect --set 'routing.user_agent_filter=^Good/'
"${peer[@]}" "$py" "$rp" contact uma 5101 "<sip:uma@198.51.100.2:5101>" "User-Agent: Good/1.0" >/dev/null ||
	fail "REGISTER uma (Good)"
"${peer[@]}" "$py" "$rp" contact uma 5102 "<sip:uma@198.51.100.2:5102>;q=1.0" "User-Agent: Bad/1.0" >/dev/null ||
	fail "REGISTER uma (Bad)"
out=$(invite uma)
if [[ $out == "SIP/2.0 302"* ]] && [ "$(grep -c '^<sip:' <<<"$out")" = 1 ] && grep -q '^<sip:uma@198.51.100.2:5101>' <<<"$out"; then
	ok "User-Agent filter: only the matching binding listed: $(tr '\n' ' ' <<<"$out")"
else
	fail "User-Agent filter: $out"
fi
sleep 0.3
[ "$(figure sipreg_route_filtered_total)" = 1 ] && ok "filtered counted" ||
	fail "sipreg_route_filtered_total = $(figure sipreg_route_filtered_total)"
it_stop TERM
[ "$stop_rc" = 0 ] || fail "user-agent run: exit status $stop_rc"
it_check_sanitizers "$work/ua.log"

# --- proxy ---
it_start_run "$work/proxy.log" --set workers.count=2 --set routing.mode=proxy --set routing.record_route=true

# 3. a call through sipreg
register bob 5090
callee bob route_uas.xml 5090
sleep 0.5
caller_ok call bob "INVITE/100/180/200/ACK/BYE/200 through sipreg"
callee_ok bob

# 4. serial forking: q=1 busy, then q=0.5 answers
register carol 5092 1.0
register carol 5093 0.5
callee carol_busy route_uas_busy.xml 5092
callee carol_answer route_uas.xml 5093
sleep 0.5
caller_ok serial carol "486 from the q=1 callee, answered by the q=0.5 callee"
callee_ok carol_busy
callee_ok carol_answer

# 5. parallel forking: both ring, one answers, the other is cancelled
register dave 5094 1.0
register dave 5095 1.0
callee dave_ringing route_uas_cancelled.xml 5094
callee dave_answer route_uas.xml 5095
sleep 0.5
caller_ok parallel dave "two callees ring, one answers"
callee_ok dave_ringing
callee_ok dave_answer

# 6. refusals
out=$(invite nobody)
[[ $out == "SIP/2.0 480"* ]] && ok "proxy: AoR without bindings -> ${out%%$'\n'*}" || fail "proxy: nobody -> $out"
out=$(invite bob foreign.example.net)
[[ $out == "SIP/2.0 404"* ]] && ok "proxy: foreign domain refused -> ${out%%$'\n'*}" || fail "proxy: foreign -> $out"

# 7. retransmissions of an INVITE are absorbed
register erin 5096
absorbed0=$(figure sipreg_route_txn_absorbed_total)
n=$("${peer[@]}" "$py" "$rp" retrans erin 5096 3)
[ "$n" = 1 ] && ok "INVITE sent 3 times, forwarded once" || fail "INVITE sent 3 times reached the callee $n times"
sleep 0.3
absorbed1=$(figure sipreg_route_txn_absorbed_total)
[ $((absorbed1 - absorbed0)) -ge 2 ] && ok "txn_absorbed +$((absorbed1 - absorbed0))" ||
	fail "txn_absorbed went from $absorbed0 to $absorbed1"

# 7b. NAT, Path, GRUU
reach() { "${peer[@]}" "$py" "$rp" reach "$@"; }
"${peer[@]}" "$py" "$rp" contact nat 5097 "<sip:nat@10.0.0.5:5060>" >/dev/null || fail "REGISTER nat"
out=$(reach sip:nat@example.com 5097)
[ "$out" = "5097: INVITE sip:nat@10.0.0.5:5060 SIP/2.0 | " ] &&
	ok "NAT: private Contact reached at the REGISTER's source: $out" || fail "NAT: $out"
"${peer[@]}" "$py" "$rp" contact pat 5081 "<sip:pat@10.1.1.1:5060>" "Path: <sip:198.51.100.2:5098;lr>" 	"Supported: path" >/dev/null || fail "REGISTER pat with Path"
out=$(reach sip:pat@example.com 5098 5081)
[ "$out" = $'5098: INVITE sip:pat@10.1.1.1:5060 SIP/2.0 | <sip:198.51.100.2:5098;lr>\n5081: none' ] &&
	ok "Path: reached through the edge proxy with Route: $(tr '\n' ' ' <<<"$out")" || fail "Path: $out"
urn=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6
gina=$("${peer[@]}" "$py" "$rp" contact gina 5099 "<sip:gina@198.51.100.2:5099>;+sip.instance=\"<$urn>\"" \
	"Supported: gruu") || fail "REGISTER gina with an instance"
tgruu=$(sed -n 's/.*temp-gruu="\([^"]*\)".*/\1/p' <<<"$gina" | head -n 1)
register gina 5100
out=$(reach "sip:gina@example.com;gr=$urn" 5099 5100)
[[ $out == $'5099: INVITE sip:gina@198.51.100.2:5099 SIP/2.0 | \n5100: none' ]] &&
	ok "GRUU: the public GRUU reached its instance only: $(tr '\n' ' ' <<<"$out")" || fail "GRUU: $out"
# the temporary GRUU carries its AoR encrypted: owned and looked up where gina is, matched to its binding
out=$(reach "${tgruu:-none}" 5099 5100)
[[ $tgruu == sip:tgruu.*@example.com\;gr && $out == $'5099: INVITE sip:gina@198.51.100.2:5099 SIP/2.0 | \n5100: none' ]] &&
	ok "GRUU: the temporary GRUU $tgruu reached its instance only" || fail "temporary GRUU '$tgruu': $out"
forged=${tgruu/tgruu./tgruu.0}
out=$("${peer[@]}" "$py" "$rp" send INVITE "$forged" 5099 5100)
[[ $out == *"final: SIP/2.0 404"* && $out != *INVITE* ]] && ok "a forged temporary GRUU gets 404" ||
	fail "forged temporary GRUU: $out"
out=$(reach sip:gina@example.com 5099 5100)
[ "$(grep -c INVITE <<<"$out")" = 2 ] && ok "the AoR itself forks to both: $(tr '\n' ' ' <<<"$out")" ||
	fail "AoR gina: $out"

# 7b''. the Allow filter (OpenSIPS lookup method filtering)
"${peer[@]}" "$py" "$rp" contact flo 5104 "<sip:flo@198.51.100.2:5104>" "Allow: INVITE, ACK, BYE, CANCEL" >/dev/null ||
	fail "REGISTER flo (calls only)"
"${peer[@]}" "$py" "$rp" contact flo 5105 "<sip:flo@198.51.100.2:5105>" "Allow: INVITE, ACK, BYE, CANCEL, MESSAGE" \
	>/dev/null || fail "REGISTER flo (calls and messages)"
refused0=$(figure sipreg_route_method_refused_total)
out=$("${peer[@]}" "$py" "$rp" send MESSAGE sip:flo@example.com 5104 5105)
[ "$out" = $'5104: none\n5105: MESSAGE sip:flo@198.51.100.2:5105 SIP/2.0 | \nfinal: SIP/2.0 200 OK | ' ] &&
	ok "Allow filter: MESSAGE reached only the binding that allows it: $(tr '\n' ' ' <<<"$out")" ||
	fail "Allow filter: $out"
out=$("${peer[@]}" "$py" "$rp" send INVITE sip:flo@example.com 5104 5105)
[ "$(grep -c '^510[45]: INVITE' <<<"$out")" = 2 ] && ok "Allow filter: an INVITE still forks to both" ||
	fail "Allow filter, INVITE: $out"
"${peer[@]}" "$py" "$rp" contact gus 5106 "<sip:gus@198.51.100.2:5106>" "Allow: INVITE, ACK, BYE, CANCEL" >/dev/null ||
	fail "REGISTER gus (calls only)"
out=$("${peer[@]}" "$py" "$rp" send MESSAGE sip:gus@example.com 5106)
[ "$out" = $'5106: none\nfinal: SIP/2.0 405 Method Not Allowed | INVITE, ACK, BYE, CANCEL' ] &&
	ok "Allow filter: every binding excludes MESSAGE -> 405 with their Allow" || fail "Allow filter, 405: $out"
sleep 0.3
[ $(($(figure sipreg_route_method_refused_total) - refused0)) = 1 ] && ok "405 counted in method_refused" ||
	fail "sipreg_route_method_refused_total went from $refused0 to $(figure sipreg_route_method_refused_total)"

# 7b'. the lookup command: destinations as the routing uses them
r=$(telemetry "/sipreg/lookup,sip:pat@example.com")
"$py" -c 'import json,sys; d=json.load(sys.stdin)["/sipreg/lookup"]; assert d["destination"] == ["198.51.100.2:5098"], d' <<<"$r" &&
	ok "/sipreg/lookup: Path binding routed to its first hop" || fail "/sipreg/lookup pat: $r"
r=$(timeout 10 "$BUILD_DIR/app/sipregctl/sipregctl" --prefix "$prefix" --json lookup sip:nat@example.com)
"$py" -c 'import json,sys; d=json.load(sys.stdin); assert d["destination"] == ["198.51.100.2:5097"] and d["contact"] == ["sip:nat@10.0.0.5:5060"], d' <<<"$r" &&
	ok "sipregctl lookup: private Contact routed to the REGISTER's source" || fail "sipregctl lookup nat: $r"
r=$(timeout 10 "$BUILD_DIR/app/sipregctl/sipregctl" --prefix "$prefix" --json lookup sip:carol@example.com)
"$py" -c 'import json,sys; d=json.load(sys.stdin); assert d["q"] == [1000, 500] and d["destination"] == ["198.51.100.2:5092", "198.51.100.2:5093"], d' <<<"$r" &&
	ok "sipregctl lookup: q order with destinations" || fail "sipregctl lookup carol: $r"

# 7c. STUN on the SIP port
out=$("${peer[@]}" "$py" "$rp" stun 5103)
[ "$out" = 198.51.100.2:5103 ] && ok "STUN Binding answered, mapped address $out, FINGERPRINT valid" ||
	fail "STUN: $out"

# 8. counters
sleep 0.3
s=$(stats)
fwd=$(stat sipreg_route_forwarded_total <<<"$s")
br=$(stat sipreg_route_branches_total <<<"$s")
[ "$fwd" -ge 7 ] && [ "$br" -ge 9 ] && ok "forwarded $fwd, branches $br" || fail "forwarded $fwd, branches $br"
[ "$(stat sipreg_route_acks_forwarded_total <<<"$s")" -ge 3 ] && ok "ACKs of 2xx forwarded along the Record-Route" ||
	fail "acks_forwarded $(stat sipreg_route_acks_forwarded_total <<<"$s")"
[ "$(stat sipreg_route_in_dialog_total <<<"$s")" -ge 3 ] && ok "BYEs forwarded along the Record-Route" ||
	fail "in_dialog $(stat sipreg_route_in_dialog_total <<<"$s")"
[ "$(stat sipreg_stun_replies_total <<<"$s")" = 1 ] && ok "stun_replies counted" ||
	fail "sipreg_stun_replies_total = $(stat sipreg_stun_replies_total <<<"$s")"
for k in sipreg_route_no_neighbour_total sipreg_route_send_failed_total sipreg_route_exhausted_total; do
	v=$(stat $k <<<"$s")
	[ "$v" = 0 ] || fail "$k = $v (expected 0)"
done
it_stop TERM
[ "$stop_rc" = 0 ] && ok "proxy: SIGTERM, exit 0" || fail "proxy: exit status $stop_rc"
it_check_sanitizers "$work/proxy.log"
it_finish
