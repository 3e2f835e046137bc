#!/usr/bin/env bash
# test_devnet_policy.sh [BUILD_DIR] - operator policy and flood protection end to end
# over the development network.
#
# Starts sipreg (2 workers, af_packet) with the shipped rules file and a small flood
# limit (20/s, burst 20, 503), then from netns sr-peer:
#   1. an ordinary phone registers (200);
#   2. a scanner User-Agent (friendly-scanner, sipvicious) gets no answer at all and is
#      counted as sipreg_sip_drops_total{reason="policy"};
#   3. Contacts at 127.0.0.1 and at the registrar's own address get 403, in other spellings
#      too (127.1, [::ffff:198.51.100.1]: the registrar's address comes from net.ip);
#   4. /sipreg/reload swaps the rules in and reports them per part, so does `sipregctl reload`
#      (authentication reported as not configured, exit 0);
#   5. 200 REGISTERs at once from one socket: about the burst is answered 200, the rest
#      503 with Retry-After, counted as sipreg_flood_limited_total; after a second the source is fine;
#   6. SIGTERM: exit 0;
#   7. restarted with authentication on and flood.auth_fail_limit=3: three REGISTERs
#      with wrong credentials get 401, the fourth 503 with Retry-After (the source is
#      blocked, sipreg_flood_blocked_total counted), while a scanner is still dropped before any
#      challenge; sipreg_responses_by_code_total holds exactly those 401s and 503s.
# Exit 77 (meson: skipped) when not root or netns/python3 are unavailable. Bounded: ~30 s.
set -uo pipefail

prefix=sipreg-pol
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-pol
pclient=$here/tests/integration/policy_peer.py
expect() { "${peer[@]}" "$py" "$pclient" expect "$@"; }

# start ARGS...: sipreg with the default policy plus ARGS; exits on failure.
start() {
	it_start_run "$work/sipreg.log" --set workers.count=2 \
		--set policy.rules="$here/dpdk-config/policy-default.rules" --set flood.action=503 "$@"
}

# stop: SIGTERM, expects exit status 0.
stop() {
	it_stop TERM
	[ "$stop_rc" = 0 ] && ok "SIGTERM: sipreg exited 0" || { fail "sipreg exit status $stop_rc"; tail -20 "$work/sipreg.log"; }
}

# --- start ---
it_devnet_fresh
start --set flood.rate=20 --set flood.burst=20
ok "sipreg started with the default policy"

# --- 1-3. policy ---
expect alice "Linphone/5.2.0" "sip:alice@198.51.100.2:PORT" 200 && ok "phone registers" || fail "phone"
s0=$(stats)
expect bob friendly-scanner "sip:bob@198.51.100.2:PORT" none && ok "friendly-scanner: no answer" ||
	fail "friendly-scanner answered"
expect 100 "sipvicious-0.3" "sip:100@198.51.100.2:PORT" none && ok "sipvicious: no answer" ||
	fail "sipvicious answered"
sleep 0.2
d=$(($(stat sipreg_sip_drops_total policy <<<"$(stats)") - $(stat sipreg_sip_drops_total policy <<<"$s0")))
[ "$d" = 6 ] && ok "sip_drop_policy +6 (2 scanners x 3 tries)" || fail "sip_drop_policy +$d, expected +6"
expect carol Linphone "sip:carol@127.0.0.1:5060" 403 && ok "loopback contact: 403" || fail "loopback contact"
expect carol Linphone "sip:carol@198.51.100.1" 403 && ok "contact at the registrar: 403" || fail "self contact"
expect carol Linphone "sip:carol@127.1:5060" 403 && ok "loopback contact spelt 127.1: 403" || fail "127.1 contact"
expect carol Linphone "sip:carol@[::ffff:198.51.100.1]" 403 && ok "registrar's address v4-mapped: 403" ||
	fail "v4-mapped self contact"

# --- 4. reload ---
r=$("$py" "$client" telemetry "$prefix" /sipreg/reload)
if "$py" -c 'import json,sys; d=json.load(sys.stdin)["/sipreg/reload"]; p=d["policy"]
assert d["reload"] == "ok" and p["reload"] == "ok" and p["rules"] >= 13 and p["generation"] == 2, d
assert d["subscribers"]["configured"] == 0, d' <<<"$r"; then
	ok "policy reload: $r"
else
	fail "policy reload answered $r"
fi
out=$(timeout 10 "$BUILD_DIR/app/sipregctl/sipregctl" --prefix "$prefix" reload 2>&1)
rc=$?
[ "$rc" = 0 ] && grep -q "^policy  *reloaded: [0-9]* rule(s) (generation 3)" <<<"$out" &&
	grep -q "^subscribers  *not configured" <<<"$out" && ok "sipregctl reload: $(tr '\n' ' ' <<<"$out")" ||
	fail "sipregctl reload: exit $rc, printed: $out"
expect bob friendly-scanner "sip:bob@198.51.100.2:PORT" none && ok "after reload, scanner still dropped" ||
	fail "after reload"

# --- 5. flood ---
sleep 1.1 # refill the bucket after the requests above
s1=$(stats)
out=$("${peer[@]}" "$py" "$pclient" flood dave 200)
echo "flood: $out"
ok200=$(sed -E 's/.*200=([0-9]+).*/\1/' <<<"$out")
n503=$(sed -E 's/.*503=([0-9]+).*/\1/' <<<"$out")
ra=$(sed -E 's/.*retry_after=([^ ]+).*/\1/' <<<"$out")
[ "$ok200" -ge 20 ] && [ "$ok200" -le 40 ] && ok "flood: $ok200 answered 200 (burst 20 + refill)" ||
	fail "flood: $ok200 answered 200"
[ "$n503" -ge 100 ] && [ "$ra" -ge 1 ] && ok "flood: $n503 answered 503, Retry-After $ra" || fail "flood: 503=$n503 retry=$ra"
sleep 0.2
lim=$(($(stat sipreg_flood_limited_total <<<"$(stats)") - $(stat sipreg_flood_limited_total <<<"$s1")))
[ "$lim" -ge "$n503" ] && ok "flood_limited +$lim" || fail "flood_limited +$lim < $n503"
sleep 1.1
expect erin Linphone "sip:erin@198.51.100.2:PORT" 200 && ok "after a second the source registers again" ||
	fail "source still limited"

# --- 6. shutdown ---
stop

# --- 7. authentication failures block the source ---
start --set auth.enabled=true --set auth.subscribers="$here/dpdk-config/subscribers.example" \
	--set flood.auth_fail_limit=3 --set flood.auth_fail_window=60 --set flood.block_time=30
ok "sipreg restarted with authentication and auth_fail_limit=3"
bad='Authorization: Digest username="alice", realm="example.com", nonce="bm90LWEtbm9uY2U", uri="sip:example.com", response="00000000000000000000000000000000", algorithm=MD5, qop=auth, nc=00000001, cnonce="x"'
expect bob friendly-scanner "sip:bob@198.51.100.2:PORT" none && ok "scanner dropped before any challenge" ||
	fail "scanner with auth on"
expect alice Linphone "sip:alice@198.51.100.2:PORT" 401 && ok "no credentials: 401 challenge" || fail "challenge"
for i in 1 2 3; do
	expect alice Linphone "sip:alice@198.51.100.2:PORT" 401 "$bad" && ok "wrong credentials $i: 401" ||
		fail "wrong credentials $i"
done
s2=$(stats)
expect alice Linphone "sip:alice@198.51.100.2:PORT" 503 && ok "after 3 failures the source is blocked: 503" ||
	fail "source not blocked"
sleep 0.2
b=$(($(stat sipreg_flood_blocked_total <<<"$(stats)") - $(stat sipreg_flood_blocked_total <<<"$s2")))
[ "$b" -ge 1 ] && ok "flood_blocked +$b" || fail "flood_blocked +$b"
# responses by status code (this sipreg started fresh): 4 challenges, the 503s, nothing else
codes=$(stats | "$py" -c 'import json,sys; print(json.load(sys.stdin)["/sipreg/stats"]["sipreg_responses_by_code_total"])')
"$py" -c 'import ast,sys; c = ast.literal_eval(sys.argv[1]); assert c["401"] == 4 and c["503"] >= 1 and set(c) == {"401", "503"}' \
	"$codes" && ok "responses by code: $codes" || fail "responses by code: $codes (expected 401: 4, 503: >= 1)"
stop

it_check_sanitizers "$work/sipreg.log"
it_finish
