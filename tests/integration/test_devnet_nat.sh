#!/usr/bin/env bash
# test_devnet_nat.sh [BUILD_DIR] - NAT traversal from the registrar side (issue 12 item 3).
#
# Over the development network, sipreg with 2 workers, routing.mode=redirect,
# nat.ping_interval=2 and nat.ping_timeout=5. Two UAs register private Contacts
# (10.0.0.x) from ports of 198.51.100.2, so both are behind NAT:
#   1. the 200 of each REGISTER carries ;received="sip:198.51.100.2:PORT";
#      the lookups (telemetry /sipreg/lookup, sipregctl lookup) and the 302 of
#      an INVITE show it too;
#   2. a sipp UAS at the first UA's port gets OPTIONS pings from sipreg and
#      answers five of them (about 10 s of pings); its binding stays;
#   3. the second UA's port answers nothing: its binding is removed after
#      ping_timeout (checked with sipregctl lookup), as a removal event;
#   4. sipreg_nat_pings_{sent,answered,failed}_total agree; no sanitizer
#      report; SIGTERM exits 0.
# Exit 77 (meson: skipped) when not root or when netns/sipp/python3 are unavailable.
set -uo pipefail

prefix=sipreg-nat
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-nat
it_need sipp "scripts/setup.sh installs sip-tester"
rp=$here/tests/integration/route_peer.py
ctl=$BUILD_DIR/app/sipregctl/sipregctl

it_devnet_fresh
it_start_run "$work/nat.log" --set workers.count=2 --set routing.mode=redirect \
	--set nat.ping_interval=2 --set nat.ping_timeout=5

# 1. ;received= in the 200, the lookups and the 302
out=$("${peer[@]}" "$py" "$rp" contact alive 5110 "<sip:alive@10.0.0.7:5060>") || fail "REGISTER alive"
[ "$(sed -n 2p <<<"$out")" = '<sip:alive@10.0.0.7:5060>;expires=600;received="sip:198.51.100.2:5110"' ] &&
	ok "200: $(sed -n 2p <<<"$out")" || fail "200 Contact of alive: $out"
out=$("${peer[@]}" "$py" "$rp" contact dead 5111 "<sip:dead@10.0.0.8:5060>") || fail "REGISTER dead"
[[ $(sed -n 2p <<<"$out") == *';received="sip:198.51.100.2:5111"' ]] || fail "200 Contact of dead: $out"
sipp_pid=
(cd "$work" && timeout 40 "${peer[@]}" sipp -sf "$here/tests/integration/sipp/nat_uas.xml" -p 5110 \
	-i 198.51.100.2 -m 5 -timeout 30s -nostdin -trace_err -error_file "$work/uas.err" >"$work/uas.out" 2>&1) &
sipp_pid=$!
t0=$(date +%s)
r=$(telemetry "/sipreg/lookup,sip:alive@example.com")
"$py" -c 'import json,sys; d=json.load(sys.stdin)["/sipreg/lookup"]; assert d["received"] == ["sip:198.51.100.2:5110"] and d["destination"] == ["198.51.100.2:5110"], d' <<<"$r" &&
	ok "/sipreg/lookup: received and destination are the REGISTER's source" || fail "/sipreg/lookup alive: $r"
out=$("${peer[@]}" "$py" "$rp" invite alive)
[[ $out == "SIP/2.0 302"* ]] &&
	sed -n 2p <<<"$out" | grep -q '^<sip:alive@10.0.0.7:5060>;expires=[0-9]*;q=1;received="sip:198.51.100.2:5110"$' &&
	ok "302: $(sed -n 2p <<<"$out")" || fail "302 for alive: $out"

# 2, 3. after 9 s: the answering UA is there, the silent one is gone (silent >= 6 s: 3 pings missed)
sleep $((t0 + 9 - $(date +%s)))
lookup() { timeout 10 "$ctl" --prefix "$prefix" --json lookup "$1"; }
r=$(lookup sip:alive@example.com)
"$py" -c 'import json,sys; d=json.load(sys.stdin); assert d["contact"] == ["sip:alive@10.0.0.7:5060"] and d["received"] == ["sip:198.51.100.2:5110"], d' <<<"$r" &&
	ok "sipregctl lookup: the UA that answers its pings is kept (received shown)" || fail "lookup alive: $r"
r=$(lookup sip:dead@example.com)
"$py" -c 'import json,sys; d=json.load(sys.stdin); assert not d.get("contact"), d' <<<"$r" &&
	ok "sipregctl lookup: the silent UA was removed after nat.ping_timeout" || fail "lookup dead: $r"
wait "$sipp_pid" && ok "sipp UAS: 5 OPTIONS pings received and answered" ||
	{ fail "sipp UAS did not answer 5 pings"; tail -5 "$work/uas.out"; head -c 1500 "$work/uas.err" 2>/dev/null; }

# 4. counters (published every 100 ms)
sleep 0.3
s=$(stats)
sent=$(stat sipreg_nat_pings_sent_total <<<"$s")
answered=$(stat sipreg_nat_pings_answered_total <<<"$s")
failed=$(stat sipreg_nat_pings_failed_total <<<"$s")
[ "$sent" -ge 8 ] && [ "$answered" -ge 5 ] && [ "$failed" = 1 ] &&
	ok "pings: sent $sent, answered $answered, failed (removed) $failed" ||
	fail "pings: sent $sent, answered $answered, failed $failed"
[ "$(stat sipreg_events_total removed <<<"$s")" = 1 ] && ok "the removal is a normal removal event" ||
	fail "removed events: $(stat sipreg_events_total removed <<<"$s")"
[ "$(stat sipreg_nat_pings_unsent_total <<<"$s")" = 0 ] || fail "unsent pings: $(stat sipreg_nat_pings_unsent_total <<<"$s")"
it_stop TERM
[ "$stop_rc" = 0 ] && ok "SIGTERM, exit 0" || fail "exit status $stop_rc"
it_check_sanitizers "$work/nat.log"
it_finish
