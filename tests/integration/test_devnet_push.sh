#!/usr/bin/env bash
# test_devnet_push.sh [BUILD_DIR] - RFC 8599 push notifications end to end (issue 14).
#
# Over the development network, sipreg in proxy mode with push on (providers apns and fcm,
# refresh_timeout 2 s) and push.gateway_url set to a small Python push gateway (push_peer.py gateway).
# The gateway runs in sr-dut on 127.0.0.1, because that is where sipreg's control core (the HTTP
# client) has a network stack: the data-plane veth belongs to DPDK. On each POST it records the
# event and wakes the device it names through the shared file system (DIR/wake.<pn-prid>); the
# sleeping UA (push_peer.py sleeper, in sr-peer) then re-registers and answers the INVITE.
#   1. a push contact gets Feature-Caps +sip.pns (and +sip.pnsreg when asked) in its 200;
#   2. a contact naming a provider we do not serve gets 555, nothing stored;
#   3. an INVITE to a sleeping push-only user is held, the gateway gets the contactRefresh event
#      (reason call, the AoR, the contact, every pn-* parameter), the woken UA re-registers and gets
#      the INVITE; the caller gets its 200;
#   4. nobody re-registers within push.refresh_timeout: 480;
#   4b. a push binding registered for 10 s (registrar.min_expires lowered) gets a refresh push
#      (reason refresh) half-way through its lifetime, before it expires;
#   5. the gateway down: the push is counted as a failed attempt (connect), the call gets 480,
#      sipreg keeps answering;
#   6. the push figures in /sipreg/stats agree; no sanitizer report; SIGTERM exits 0;
#   7. a second run with push.skip_interval=60: a push contact registered just now is called at
#      once at its address, without a push (counted skipped).
# Exit 77 (meson: skipped) when not root or when netns/python3 are unavailable.
set -uo pipefail

prefix=sipreg-push
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-push
pp=$here/tests/integration/push_peer.py
rp=$here/tests/integration/route_peer.py
dut=(ip netns exec sr-dut)
gw_port=8099
gw_pid=

gateway_start() {
	"${dut[@]}" "$py" "$pp" gateway "$gw_port" "$work" >"$work/gateway.log" 2>&1 &
	gw_pid=$!
	sleep 0.5
}
gateway_stop() {
	[ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
	gw_pid=
}
trap 'gateway_stop; it_cleanup' EXIT
invite() { "${peer[@]}" "$py" "$rp" invite "$@"; }
figure() { stats | stat "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

it_devnet_fresh
gateway_start
it_start_run "$work/push.log" --set workers.count=2 --set routing.mode=proxy --set routing.record_route=true \
	--set push.enable=true --set push.providers=apns,fcm --set push.refresh_timeout=2 \
	--set push.gateway_url=http://127.0.0.1:$gw_port/push --set push.gateway_retries=0 \
	--set registrar.min_expires=5

# 4b starts here: a short push registration, whose refresh push is checked after the steps below
"${peer[@]}" "$py" "$pp" register rita 5113 "pn-provider=apns;pn-prid=tok-rita" "expires=10" >/dev/null
rita_at=$(now_ms)

# 1. Feature-Caps
out=$("${peer[@]}" "$py" "$pp" register fcuser 5120 "pn-provider=fcm;pn-prid=tok-fc")
[ "$out" = $'SIP/2.0 200 OK\n*;+sip.pns="fcm"' ] && ok "push contact: 200 with Feature-Caps +sip.pns" ||
	fail "push contact: $out"
out=$("${peer[@]}" "$py" "$pp" register fcuser2 5121 "pn-provider=apns;pn-prid=tok-reg" "+sip.pnsreg")
[[ $out == $'SIP/2.0 200 OK\n*;+sip.pns="apns";+sip.pnsreg="130"' ]] &&
	ok "+sip.pnsreg contact: told the interval it must refresh by: $(tail -1 <<<"$out")" || fail "+sip.pnsreg: $out"

# 2. 555
out=$("${peer[@]}" "$py" "$pp" register webuser 5122 "pn-provider=webpush;pn-prid=tok-w")
[[ $out == "SIP/2.0 555 Push Notification Service Not Supported"* ]] && ok "unsupported provider -> 555" ||
	fail "unsupported provider: $out"

# 3. a call to a sleeping push-only user, delivered after the push
"${peer[@]}" "$py" "$pp" sleeper alice 5110 tok-alice "$work" 200 >"$work/alice.out" 2>&1 &
sleeper=$!
sleep 0.5
t0=$(now_ms)
out=$(invite alice)
dt=$(($(now_ms) - t0))
wait "$sleeper" && ok "sleeping UA: woken and called: $(tr '\n' ' ' <<<"$(cat "$work/alice.out")")" ||
	fail "sleeping UA: $(cat "$work/alice.out")"
[[ $out == "SIP/2.0 200"* ]] && ok "caller: ${out%%$'\n'*} after the push (${dt} ms)" ||
	fail "caller to alice: $out"
grep -q '"reason":"call"' "$work/events.jsonl" 2>/dev/null &&
	"$py" -c 'import json,sys
ev = [json.loads(l) for l in open(sys.argv[1]) if "tok-alice" in l][0]
assert ev["event"] == "contactRefresh" and ev["reason"] == "call" and ev["aor"] == "sip:alice@example.com", ev
assert ev["pn-provider"] == "apns" and ev["pn-prid"] == "tok-alice" and ev["pn-param"] == "TEAM.com.example.voip", ev
assert ev["contact"].startswith("sip:alice@198.51.100.2:5110;"), ev' "$work/events.jsonl" &&
	ok "gateway got the contactRefresh event: $(grep tok-alice "$work/events.jsonl" | head -1)" ||
	fail "gateway events: $(cat "$work/events.jsonl" 2>/dev/null)"

# 4. nobody wakes: 480 after refresh_timeout
"${peer[@]}" "$py" "$pp" register bob 5111 "pn-provider=apns;pn-prid=tok-bob" >/dev/null
t0=$(now_ms)
out=$(invite bob)
dt=$(($(now_ms) - t0))
[[ $out == "SIP/2.0 480"* ]] && [ "$dt" -ge 1800 ] &&
	ok "no re-registration: ${out%%$'\n'*} after $dt ms (refresh_timeout 2 s)" || fail "bob: $out after $dt ms"
grep -q tok-bob "$work/events.jsonl" && ok "bob was pushed" || fail "no push for bob"

# 4b. the refresh push, due 5 s after rita's registration (half of 10 s)
for _ in $(seq 100); do
	grep -q '"reason":"refresh".*tok-rita' "$work/events.jsonl" 2>/dev/null && break
	sleep 0.1
done
dt=$(($(now_ms) - rita_at))
grep -q '"reason":"refresh".*tok-rita' "$work/events.jsonl" 2>/dev/null && [ "$dt" -lt 10000 ] &&
	ok "refresh push before expiry (checked $dt ms after the REGISTER): $(grep tok-rita "$work/events.jsonl" | head -1)" ||
	fail "no refresh push for rita within $dt ms: $(cat "$work/events.jsonl")"
[ "$(grep -c tok-rita "$work/events.jsonl")" = 1 ] && ok "one refresh push only" ||
	fail "rita pushed $(grep -c tok-rita "$work/events.jsonl") times"

# 5. the gateway down
gateway_stop
errors0=$(figure sipreg_push_gateway_errors_total connect)
out=$(invite bob)
[[ $out == "SIP/2.0 480"* ]] && ok "gateway down: the call still ends: ${out%%$'\n'*}" || fail "gateway down: $out"
sleep 0.3
errors1=$(figure sipreg_push_gateway_errors_total connect)
[ "$errors1" -gt "$errors0" ] && ok "gateway down counted: gateway_errors{connect} $errors0 -> $errors1" ||
	fail "gateway_errors{connect} $errors0 -> $errors1"
"${peer[@]}" "$py" "$rp" register carol 5112 >/dev/null && ok "sipreg keeps answering" || fail "REGISTER after gateway down"

# 6. figures
sleep 0.3
s=$(stats)
[ "$(stat sipreg_push_triggered_total call <<<"$s")" = 3 ] && ok "triggered{call} = 3" ||
	fail "triggered{call} = $(stat sipreg_push_triggered_total call <<<"$s")"
[ "$(stat sipreg_push_released_total <<<"$s")" = 1 ] && [ "$(stat sipreg_push_timed_out_total <<<"$s")" = 2 ] &&
	[ "$(stat sipreg_push_holding <<<"$s")" = 0 ] && ok "held requests: 1 released, 2 timed out, none left" ||
	fail "released $(stat sipreg_push_released_total <<<"$s"), timed out $(stat sipreg_push_timed_out_total <<<"$s")"
[ "$(stat sipreg_push_triggered_total refresh <<<"$s")" = 1 ] && ok "triggered{refresh} = 1" ||
	fail "triggered{refresh} = $(stat sipreg_push_triggered_total refresh <<<"$s")"
[ "$(stat sipreg_push_delivered_total <<<"$s")" = 3 ] && ok "gateway: 3 delivered" ||
	fail "delivered $(stat sipreg_push_delivered_total <<<"$s")"
it_stop TERM
[ "$stop_rc" = 0 ] && ok "SIGTERM, exit 0" || fail "exit status $stop_rc"
it_check_sanitizers "$work/push.log"

# 7. skip_interval: a fresh push contact is forked to without a push
it_start_run "$work/skip.log" --set workers.count=2 --set routing.mode=proxy --set push.enable=true \
	--set push.providers=apns --set push.skip_interval=60 --set push.refresh_timeout=2
"${peer[@]}" "$py" "$pp" register sam 5114 "pn-provider=apns;pn-prid=tok-sam" >/dev/null
out=$("${peer[@]}" "$py" "$rp" reach sip:sam@example.com 5114)
[[ $out == "5114: INVITE sip:sam@198.51.100.2:5114;pn-provider=apns;pn-prid=tok-sam SIP/2.0"* ]] &&
	ok "skip_interval: fresh push contact called at once: $out" || fail "skip_interval: $out"
sleep 0.3
s=$(stats)
[ "$(stat sipreg_push_skipped_total <<<"$s")" = 1 ] && [ "$(stat sipreg_push_triggered_total call <<<"$s")" = 0 ] &&
	ok "skipped 1, no push" ||
	fail "skipped $(stat sipreg_push_skipped_total <<<"$s"), triggered{call} $(stat sipreg_push_triggered_total call <<<"$s")"
it_stop TERM
[ "$stop_rc" = 0 ] || fail "skip run: exit status $stop_rc"
it_check_sanitizers "$work/skip.log"
it_finish
