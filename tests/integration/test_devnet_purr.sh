#!/usr/bin/env bash
# test_devnet_purr.sh [BUILD_DIR] - RFC 8599 PURR end to end (issue 14, pn_process_purr).
#
# Over the development network, sipreg with two workers in proxy mode with Record-Route, push on
# with push.purr, push.skip_interval 2 s and push.refresh_timeout 2 s, push.gateway_url set to the
# Python push gateway of test_devnet_push.sh (push_peer.py gateway, on sr-dut's loopback, where the
# control core's HTTP client has a network stack). The push-only UA is sipp (sipp/purr_ua.xml);
# purr_peer.py is the caller and stands in for the OS's push delivery (a wake-up datagram to sipp
# each time the gateway got a push):
#   1. the UA's REGISTER gets a 200 whose Feature-Caps carries +sip.pnspurr with a 32-hex-digit PURR
#      (sipp checks it and puts it in its dialog Contact as pn-purr, RFC 8599 section 5);
#   2. a call set up through sipreg with Record-Route (within skip_interval: no push, forked at once);
#      the caller's in-dialog Request-URI carries the PURR;
#   3. past skip_interval the UA counts as asleep: an INFO in the dialog is held, the gateway gets a
#      contactRefresh event with reason purr, the UA is woken and re-registers, and only then gets
#      the INFO (sipp's scenario fails on an INFO before its re-registration); the caller gets 200;
#   4. a BYE, skip_interval after that re-registration (asleep again), while the UA, woken again,
#      does not re-register: pushed again, held, and sent anyway once push.refresh_timeout has
#      passed; the caller gets its 200; sipp ends its scenario (exit 0);
#   5. /sipreg/stats: triggered{purr} = 2, held 2, released 1, timed out 1, none left; the same
#      counters in /metrics; no sanitizer report; SIGTERM exits 0.
# Exit 77 (meson: skipped) when not root or when netns/python3 are unavailable.
set -uo pipefail

prefix=sipreg-purr
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-purr
it_need curl "scripts/setup.sh installs it"
it_need sipp "scripts/setup.sh installs sip-tester"
pp=$here/tests/integration/push_peer.py
up=$here/tests/integration/purr_peer.py
dut=(ip netns exec sr-dut)
gw_port=8098
gw_pid=

gateway_stop() {
	[ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
	gw_pid=
}
sipp_pid=
trap 'gateway_stop; [ -n "$sipp_pid" ] && kill "$sipp_pid" 2>/dev/null; it_cleanup' EXIT
field() { sed -n "s/^$1 //p" "$work/dialog.out" | head -1; }
# value KEY LINE: the value of KEY=... in a "METHOD k=v ..." line
value() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

it_devnet_fresh
"${dut[@]}" "$py" "$pp" gateway "$gw_port" "$work" >"$work/gateway.log" 2>&1 &
gw_pid=$!
sleep 0.5
it_start_run "$work/purr.log" --set workers.count=2 --set routing.mode=proxy --set routing.record_route=true \
	--set push.enable=true --set push.providers=apns --set push.purr=true --set push.skip_interval=2 \
	--set push.refresh_timeout=2 --set push.gateway_url=http://127.0.0.1:$gw_port/push \
	--set push.gateway_retries=0

call_id=purr-pat-$$@peer
(cd "$work" && timeout 40 "${peer[@]}" sipp -sf "$here/tests/integration/sipp/purr_ua.xml" -i 198.51.100.2 \
	-p 5140 -m 1 -cid_str "$call_id" -timeout 30s -nostdin -trace_err -error_file "$work/ua.err" \
	-trace_msg -message_file "$work/ua.msg" 198.51.100.1:5060 >"$work/ua.out" 2>&1) &
sipp_pid=$!
for _ in $(seq 50); do # the UA's REGISTER
	telemetry "/sipreg/lookup,sip:pat@example.com" 2>/dev/null | grep -q "198.51.100.2:5140" && break
	sleep 0.05
done
"${peer[@]}" "$py" "$up" caller pat 5140 5141 "$work" 3.2 "$call_id" >"$work/dialog.out" 2>"$work/dialog.err" ||
	fail "purr_peer: $(cat "$work/dialog.err")"
wait "$sipp_pid" && sipp_pid= && ok "sipp UA: registered, answered, re-registered when woken before the INFO, got the BYE" ||
	{ sipp_pid=; fail "sipp UA: $(tail -5 "$work/ua.out")"; head -c 1500 "$work/ua.err" 2>/dev/null; }

# 1. the PURR in the 200 (sipp checked its form; here: the one it put in its Contact)
ruri=$(field ruri)
purr=$(sed -n 's/.*;pn-purr=\([0-9a-f]*\).*/\1/p' <<<"$ruri")
[[ $purr =~ ^[0-9a-f]{32}$ ]] && grep -q "+sip.pnspurr=\"$purr\"" "$work/ua.msg" &&
	ok "REGISTER: 200 with Feature-Caps +sip.pnspurr=\"$purr\"" || fail "PURR: '$purr' ($ruri)"

# 2. the dialog
grep -q "^200 INVITE" "$work/dialog.out" && ok "dialog through sipreg with Record-Route; in-dialog Request-URI $ruri" ||
	fail "dialog: $(cat "$work/dialog.out")"

# 3. INFO: held until the UA was woken (and re-registered: sipp's scenario order)
info=$(grep '^INFO ' "$work/dialog.out")
woken=$(value woken "$info")
[ "$(value final "$info")" = 200 ] && [[ $woken =~ ^[0-9]+$ ]] && [ "$(value after "$info")" -ge "$woken" ] &&
	[ "$(value after "$info")" -lt 1800 ] && ok "INFO held, pushed, delivered after the re-registration: $info" ||
	fail "INFO: $info"
"$py" -c 'import json,sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(ev) == 2, ev
for e in ev:
    assert e["event"] == "contactRefresh" and e["reason"] == "purr" and e["aor"] == "sip:pat@example.com", e
    assert e["pn-provider"] == "apns" and e["pn-prid"] == "tok-pat", e
    assert e["contact"].startswith("sip:pat@198.51.100.2:5140;"), e' "$work/events.jsonl" 2>"$work/events.err" &&
	ok "gateway got two contactRefresh events, reason purr: $(head -1 "$work/events.jsonl")" ||
	fail "gateway events: $(cat "$work/events.err" "$work/events.jsonl" 2>/dev/null)"

# 4. BYE: the UA does not re-register, sent anyway after refresh_timeout
bye=$(grep '^BYE ' "$work/dialog.out")
after=$(value after "$bye")
[ "$(value final "$bye")" = 200 ] && [[ $(value woken "$bye") =~ ^[0-9]+$ ]] && [[ $after =~ ^[0-9]+$ ]] &&
	[ "$after" -ge 1800 ] && ok "BYE, woken UA not re-registering: sent anyway after refresh_timeout (2 s): $bye" ||
	fail "BYE: $bye"

# 5. figures
sleep 0.3
s=$(stats)
[ "$(stat sipreg_push_triggered_total purr <<<"$s")" = 2 ] && [ "$(stat sipreg_push_held_total <<<"$s")" = 2 ] &&
	ok "triggered{purr} = 2, held = 2" ||
	fail "triggered{purr} $(stat sipreg_push_triggered_total purr <<<"$s"), held $(stat sipreg_push_held_total <<<"$s")"
[ "$(stat sipreg_push_released_total <<<"$s")" = 1 ] && [ "$(stat sipreg_push_timed_out_total <<<"$s")" = 1 ] &&
	[ "$(stat sipreg_push_holding <<<"$s")" = 0 ] && ok "held requests: 1 released, 1 timed out, none left" ||
	fail "released $(stat sipreg_push_released_total <<<"$s"), timed out $(stat sipreg_push_timed_out_total <<<"$s")"
[ "$(stat sipreg_push_delivered_total <<<"$s")" = 2 ] && ok "gateway: 2 delivered" ||
	fail "delivered $(stat sipreg_push_delivered_total <<<"$s")"
metrics=$("${dut[@]}" curl -sS --max-time 5 http://127.0.0.1:9464/metrics) || fail "curl /metrics"
grep -q '^sipreg_push_triggered_total{reason="purr"} 2$' <<<"$metrics" && grep -q '^sipreg_push_held_total 2$' <<<"$metrics" &&
	ok "/metrics: $(grep -E '^sipreg_push_(triggered_total\{reason="purr"\}|held_total) ' <<<"$metrics" | tr '\n' ' ')" ||
	fail "/metrics: $(grep '^sipreg_push_' <<<"$metrics" | tr '\n' ' ')"
gateway_stop
it_stop TERM
[ "$stop_rc" = 0 ] && ok "SIGTERM, exit 0" || fail "exit status $stop_rc"
it_check_sanitizers "$work/purr.log"
it_finish
