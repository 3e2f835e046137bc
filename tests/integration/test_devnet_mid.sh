#!/usr/bin/env bash
# test_devnet_mid.sh [BUILD_DIR] - sipreg as a mid-registrar in front of Kamailio (issue 13).
#
# Over the development network: Kamailio from Debian's package (bench/kamailio/kamailio_mid.cfg)
# in sr-peer on 198.51.100.2:5070 as the main registrar, usrloc in memory; sipreg in sr-dut with
# registrar.role = mid and mid.registrar pointing at it; sipp UAs (tests/integration/sipp/mid_ua.xml)
# in sr-peer registering through sipreg. Kamailio's own location table (kamcmd ul.lookup) is
# checked, per mode:
#   mirror:             every REGISTER goes up; Kamailio holds the contact at sipreg's address with
#                       the contact id and the UA's expiry; the UA's removal removes it upstream;
#   contact throttling: Kamailio holds each contact once with mid.outgoing_expires; the refreshes are
#                       absorbed (sipreg's counters); once the UA falls silent and its local binding
#                       expires, sipreg de-registers it and Kamailio holds nothing for the AoR;
#   AoR throttling:     (sipreg authenticates locally, as this mode requires) two devices of one AoR:
#                       Kamailio holds exactly one contact for it, the AoR contact at sipreg's address;
#                       the second device is absorbed; a call to the AoR contact forks to both devices.
# Across a restart with persistence: the upstream records come back from LMDB (a refresh stays
# absorbed), an `aor mid outgoing-expires=` rule sets the expiry asked upstream, and a `memory-only`
# AoR's binding is not kept.
# In mirror and contact throttling a call from Kamailio's side (lookup + t_relay) reaches the UA
# through sipreg (routing.mode = proxy), mapped by the contact id. With Kamailio challenging
# (-A MID_AUTH), its 401 reaches the UA, the credentials go up, an absorbed refresh needs none, and
# sipreg's own de-REGISTER is accepted from its address.
# Exit 77 (meson: skipped) when not root, or without netns, sipp, kamailio or kamcmd.
set -uo pipefail

prefix=sipreg-mid
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-mid
it_need sipp "scripts/setup.sh installs sip-tester"
it_need kamailio "scripts/setup.sh installs kamailio"
it_need kamcmd "scripts/setup.sh installs kamailio"
. "$here/tests/integration/mid_lib.sh" # kam_start, kam_stop, kam_contacts, ua, ua_ok
trap 'kam_stop; it_cleanup' EXIT
figure() { stats | stat "$@"; }
# call_ok MODE USER PORT: USER registers through sipreg from PORT (route_peer.py), a sipp callee answers
# there; a sipp caller calls USER through Kamailio (lookup + t_relay), which relays the INVITE to the
# contact sipreg registered; sipreg routes it to that binding. The callee's scenario must complete
# (INVITE, 180, 200, then the caller's ACK and BYE, which Kamailio relays by their Request-URI) and the
# caller must have had its 200 for the INVITE; the caller's own end (the BYE's answer through
# Kamailio) is not sipreg's and is not judged.
call_ok() {
	local mode=$1 user=$2 port=$3
	"${peer[@]}" "$py" "$here/tests/integration/route_peer.py" register "$user" "$port" >/dev/null ||
		fail "$mode: REGISTER $user from $port"
	(cd "$work" && timeout 40 "${peer[@]}" sipp -sf "$scen/route_uas.xml" -i 198.51.100.2 -p "$port" -m 1 \
		-timeout 30s -nostdin -trace_err -error_file "$work/$mode-uas.err" >"$work/$mode-uas.out" 2>&1) &
	local uas=$!
	sleep 0.5
	(cd "$work" && timeout 40 "${peer[@]}" sipp 198.51.100.2:5070 -sf "$scen/route_uac.xml" -s "$user" \
		-i 198.51.100.2 -p 5080 -m 1 -timeout 30s -nostdin -trace_err -error_file "$work/$mode-uac.err" \
		>"$work/$mode-uac.out" 2>&1)
	if wait "$uas" && grep -q "Successful call .* 1 *$" "$work/$mode-uas.out"; then
		ok "$mode: a call from Kamailio's side reached $user's UA through sipreg (INVITE/180/200/ACK/BYE)"
	else
		fail "$mode: call to $user"
		tail -n 5 "$work/$mode-uac.out" "$work/$mode-uas.out"
		head -c 1500 "$work/$mode-uac.err" "$work/$mode-uas.err" 2>/dev/null
	fi
}
it_devnet_fresh

# --- mirror ---
kam_start mirror
it_start_run "$work/mirror.log" --set workers.count=2 --set registrar.role=mid \
	--set mid.registrar=198.51.100.2:5070 --set mid.mode=mirror --set registrar.min_expires=5 \
	--set routing.mode=proxy
# alice registers for 30 s and refreshes; Kamailio sees our contact, with the contact id, each time
ua_ok alice 5091 alice 30 30 300
c=$(kam_contacts alice)
if [ "$(wc -l <<<"$c")" = 1 ] && [[ $c == "sip:alice@198.51.100.1:5060;ctid="* ]] &&
	[ "${c##* }" -ge 25 ] && [ "${c##* }" -le 30 ]; then
	ok "mirror: Kamailio holds alice once, at sipreg's address with a contact id, expiry ${c##* } (30 asked)"
else
	fail "mirror: Kamailio's contacts of alice: '$c'"
fi
# bob registers, refreshes, then removes his contact: removed upstream too
ua_ok bob 5092 bob 30 0 300
c=$(kam_contacts bob)
[ -z "$c" ] && ok "mirror: bob's removal reached Kamailio (no contact left)" || fail "mirror: bob still upstream: '$c'"
sleep 0.3 # figures are published every 100 ms
s=$(stats)
fwd=$(stat sipreg_mid_registers_total forwarded <<<"$s")
abs=$(stat sipreg_mid_registers_total absorbed <<<"$s")
[ "$fwd" = 8 ] && [ "$abs" = 0 ] && ok "mirror: 8 REGISTERs forwarded, none absorbed" ||
	fail "mirror: forwarded $fwd, absorbed $abs (expected 8, 0)"
[ "$(stat sipreg_mid_upstream_ok_total <<<"$s")" = 8 ] && ok "mirror: 8 upstream 2xx" ||
	fail "mirror: upstream_ok $(stat sipreg_mid_upstream_ok_total <<<"$s")"
call_ok mirror dave 5090
sleep 0.3
[ "$(figure sipreg_mid_lookups_total)" = 1 ] && ok "mirror: the call was mapped by its contact id" ||
	fail "mirror: lookups $(figure sipreg_mid_lookups_total)"
it_stop TERM
[ "$stop_rc" = 0 ] && ok "mirror: SIGTERM, exit 0" || fail "mirror: exit status $stop_rc"
it_check_sanitizers "$work/mirror.log"
kam_stop

# --- contact throttling ---
kam_start throttling
it_start_run "$work/throttling.log" --set workers.count=2 --set registrar.role=mid \
	--set mid.registrar=198.51.100.2:5070 --set mid.mode=contact-throttling --set registrar.min_expires=5 \
	--set mid.outgoing_expires=300 --set mid.refresh_margin=2 --set routing.mode=proxy
# carol registers for 8 s and refreshes every 1 s, then falls silent
ua_ok carol 5093 carol 8 8 1000
c=$(kam_contacts carol)
if [ "$(wc -l <<<"$c")" = 1 ] && [[ $c == "sip:carol@198.51.100.1:5060;ctid="* ]] && [ "${c##* }" -ge 290 ]; then
	ok "contact throttling: Kamailio holds carol once, at sipreg's address, with the long expiry ${c##* }"
else
	fail "contact throttling: Kamailio's contacts of carol: '$c'"
fi
sleep 0.3
s=$(stats)
fwd=$(stat sipreg_mid_registers_total forwarded <<<"$s")
abs=$(stat sipreg_mid_registers_total absorbed <<<"$s")
[ "$fwd" = 1 ] && [ "$abs" = 3 ] && ok "contact throttling: 1 REGISTER forwarded, 3 refreshes absorbed" ||
	fail "contact throttling: forwarded $fwd, absorbed $abs (expected 1, 3)"
[ "$(stat sipreg_mid_upstream_registrations <<<"$s")" = 1 ] && ok "one upstream registration live" ||
	fail "upstream registrations: $(stat sipreg_mid_upstream_registrations <<<"$s")"
# carol's local binding expires 8 s after her last refresh: sipreg de-registers her upstream
for _ in $(seq 120); do
	[ -z "$(kam_contacts carol)" ] && break
	sleep 0.1
done
c=$(kam_contacts carol)
[ -z "$c" ] && ok "contact throttling: carol's local binding expired, no stale contact upstream" ||
	fail "contact throttling: carol still upstream after her local expiry: '$c'"
sleep 0.3
s=$(stats)
[ "$(stat sipreg_mid_deregisters_total <<<"$s")" = 1 ] && ok "one de-REGISTER sent" ||
	fail "deregisters: $(stat sipreg_mid_deregisters_total <<<"$s")"
[ "$(stat sipreg_mid_upstream_registrations <<<"$s")" = 0 ] && ok "no upstream registration left" ||
	fail "upstream registrations: $(stat sipreg_mid_upstream_registrations <<<"$s")"
call_ok throttling erin 5094
it_stop TERM
[ "$stop_rc" = 0 ] && ok "contact throttling: SIGTERM, exit 0" || fail "contact throttling: exit status $stop_rc"
it_check_sanitizers "$work/throttling.log"
kam_stop

# --- contact throttling across a restart, with operator rules (persistence on) ---
# policy.rules: gus's upstream registration asks 120 s (outgoing-expires), hank's bindings are memory-only.
printf 'aor mid outgoing-expires=120 /^sip:gus@/\naor mid memory-only /^sip:hank@/\n' >"$work/mid.rules"
mid_persist() {
	it_start_run "$work/$1.log" --set workers.count=2 --set registrar.role=mid \
		--set mid.registrar=198.51.100.2:5070 --set mid.mode=contact-throttling --set registrar.min_expires=5 \
		--set mid.outgoing_expires=300 --set mid.refresh_margin=2 --set policy.rules="$work/mid.rules" \
		--set control.persistence=true --set control.data_dir="$work/mid-data"
}
kam_start restart
mid_persist restart1
ua_ok gus 5098 gus 60 60 100
ua_ok hank 5099 hank 60 60 100
c=$(kam_contacts gus)
[ "$(wc -l <<<"$c")" = 1 ] && [ "${c##* }" -ge 110 ] && [ "${c##* }" -le 120 ] &&
	ok "rules: gus's rule asked Kamailio for 120 s (outgoing-expires=120): $c" || fail "rules: gus upstream: '$c'"
c=$(kam_contacts hank)
[ "$(wc -l <<<"$c")" = 1 ] && [ "${c##* }" -ge 290 ] && ok "rules: hank (no expiry rule) got mid.outgoing_expires" ||
	fail "rules: hank upstream: '$c'"
it_stop TERM
[ "$stop_rc" = 0 ] && ok "restart: SIGTERM, exit 0" || fail "restart: exit status $stop_rc"
it_check_sanitizers "$work/restart1.log"
mid_persist restart2
# gus's record is stored; hank's is not (memory-only: its PUT became a DEL)
grep -q "mid-registrar: 1 upstream records restored, 0 refused" "$work/restart2.log" &&
	ok "restart: gus's upstream record came back from LMDB, memory-only hank's was never written" ||
	fail "restart: $(grep -i 'mid-registrar\|persistence' "$work/restart2.log" | head -3)"
# gus's binding and record are back: his refreshes are absorbed; hank's memory-only binding is not,
# so his first REGISTER is a new contact and goes up again
ua_ok gus2 5098 gus 60 60 100
ua_ok hank2 5099 hank 60 60 100
sleep 0.3
s=$(stats)
fwd=$(stat sipreg_mid_registers_total forwarded <<<"$s")
abs=$(stat sipreg_mid_registers_total absorbed <<<"$s")
[ "$fwd" = 1 ] && [ "$abs" = 7 ] &&
	ok "restart: gus's 4 refreshes absorbed from the restored record; hank's memory-only binding was not kept (1 forwarded)" ||
	fail "restart: forwarded $fwd, absorbed $abs (expected 1, 7)"
c=$(kam_contacts gus)
[ "$(wc -l <<<"$c")" = 1 ] && ok "restart: Kamailio still holds gus once" || fail "restart: gus upstream: '$c'"
it_stop TERM
[ "$stop_rc" = 0 ] && ok "restart: SIGTERM, exit 0" || fail "restart: exit status $stop_rc"
it_check_sanitizers "$work/restart2.log"
kam_stop

# --- contact throttling, Kamailio challenging (digest) ---
kam_start challenge -A MID_AUTH
it_start_run "$work/challenge.log" --set workers.count=2 --set registrar.role=mid \
	--set mid.registrar=198.51.100.2:5070 --set mid.mode=contact-throttling --set registrar.min_expires=5 \
	--set mid.outgoing_expires=300 --set mid.refresh_margin=2 \
	--set registrar.domains=example.com,198.51.100.1 # SIPp's digest uri is the Request-URI: our address
printf 'SEQUENTIAL\nivan;[authentication username=ivan password=secret];\n' >"$work/ivan.csv"
(cd "$work" && timeout 40 "${peer[@]}" sipp 198.51.100.1:5060 -sf "$scen/mid_ua_challenged.xml" -inf "$work/ivan.csv" \
	-i 198.51.100.2 -p 5097 -m 1 -d 500 -key expires 6 -timeout 30s -nostdin -trace_err \
	-error_file "$work/ivan.err" >"$work/ivan.out" 2>&1) &&
	ok "challenge: Kamailio's 401 reached the UA, its credentials went up, its refresh without them got 200" ||
	{ fail "challenge: UA ivan"; tail -n 5 "$work/ivan.out"; head -c 1500 "$work/ivan.err" 2>/dev/null; }
c=$(kam_contacts ivan)
[ "$(wc -l <<<"$c")" = 1 ] && [[ $c == "sip:ivan@198.51.100.1:5060;ctid="* ]] &&
	ok "challenge: Kamailio holds ivan once after authenticating him" || fail "challenge: Kamailio's contacts: '$c'"
sleep 0.3
s=$(stats)
[ "$(stat sipreg_mid_challenges_total <<<"$s")" = 1 ] && [ "$(stat sipreg_mid_registers_total forwarded <<<"$s")" = 2 ] &&
	[ "$(stat sipreg_mid_registers_total absorbed <<<"$s")" = 1 ] &&
	ok "challenge: 1 challenge passed on, 2 REGISTERs forwarded, the refresh absorbed" ||
	fail "challenge: challenges $(stat sipreg_mid_challenges_total <<<"$s"), registers $(grep -o '"sipreg_mid_registers_total[^}]*' <<<"$s")"
# sipreg's own de-REGISTER carries no credentials; this Kamailio accepts it from sipreg's address
for _ in $(seq 120); do
	[ -z "$(kam_contacts ivan)" ] && break
	sleep 0.1
done
[ -z "$(kam_contacts ivan)" ] && ok "challenge: ivan's local expiry de-registered him upstream" ||
	fail "challenge: ivan still upstream: '$(kam_contacts ivan)'"
it_stop TERM
[ "$stop_rc" = 0 ] && ok "challenge: SIGTERM, exit 0" || fail "challenge: exit status $stop_rc"
it_check_sanitizers "$work/challenge.log"
kam_stop

# --- AoR throttling (sipreg authenticates: auth.enabled, MD5 for SIPp) ---
subscriber() {
	"$py" -c 'import hashlib,sys
u, p = sys.argv[1], sys.argv[2]
a1 = ("%s:example.com:%s" % (u, p)).encode()
print(u, "example.com", hashlib.md5(a1).hexdigest(), hashlib.sha256(a1).hexdigest())' "$@"
}
subscriber frank pw-frank >"$work/subscribers"
# device NAME PORT CONTACT_USER: one of frank's devices (mid_ua_auth.xml)
device() {
	printf 'SEQUENTIAL\n%s;[authentication username=frank password=pw-frank];frank;\n' "$3" >"$work/$1.csv"
	(cd "$work" && timeout 40 "${peer[@]}" sipp 198.51.100.1:5060 -sf "$scen/mid_ua_auth.xml" -inf "$work/$1.csv" \
		-i 198.51.100.2 -p "$2" -m 1 -key expires 60 -timeout 30s -nostdin -trace_err \
		-error_file "$work/$1.err" >"$work/$1.out" 2>&1) && ok "AoR throttling: device $1 registered (401, 200)" ||
		{ fail "AoR throttling: device $1"; tail -n 5 "$work/$1.out"; head -c 1500 "$work/$1.err" 2>/dev/null; }
}
kam_start aor
it_start_run "$work/aor.log" --set workers.count=2 --set registrar.role=mid \
	--set mid.registrar=198.51.100.2:5070 --set mid.mode=aor-throttling --set registrar.min_expires=5 \
	--set mid.outgoing_expires=300 --set routing.mode=proxy --set auth.enabled=true \
	--set auth.subscribers="$work/subscribers" --set auth.algorithms=MD5 \
	--set registrar.domains=example.com,198.51.100.1
device frank1 5095 frank-desk
device frank2 5096 frank-phone
c=$(kam_contacts frank)
if [ "$(wc -l <<<"$c")" = 1 ] && [[ $c == "sip:frank%40example.com@198.51.100.1:5060 "* ]] && [ "${c##* }" -ge 290 ]; then
	ok "AoR throttling: Kamailio holds exactly one contact for frank, the AoR contact: $c"
else
	fail "AoR throttling: Kamailio's contacts of frank: '$c'"
fi
sleep 0.3
s=$(stats)
fwd=$(stat sipreg_mid_registers_total forwarded <<<"$s")
abs=$(stat sipreg_mid_registers_total absorbed <<<"$s")
[ "$fwd" = 1 ] && [ "$abs" = 1 ] && ok "AoR throttling: the first device forwarded, the second absorbed" ||
	fail "AoR throttling: forwarded $fwd, absorbed $abs (expected 1, 1)"
# a call to frank through Kamailio reaches the AoR contact, which sipreg forks to both devices:
# one answers, the other is cancelled
(cd "$work" && timeout 40 "${peer[@]}" sipp -sf "$scen/route_uas.xml" -i 198.51.100.2 -p 5095 -m 1 -timeout 30s \
	-nostdin -trace_err -error_file "$work/aor-uas1.err" >"$work/aor-uas1.out" 2>&1) &
uas1=$!
(cd "$work" && timeout 40 "${peer[@]}" sipp -sf "$scen/route_uas_cancelled.xml" -i 198.51.100.2 -p 5096 -m 1 \
	-timeout 30s -nostdin -trace_err -error_file "$work/aor-uas2.err" >"$work/aor-uas2.out" 2>&1) &
uas2=$!
sleep 0.5
(cd "$work" && timeout 40 "${peer[@]}" sipp 198.51.100.2:5070 -sf "$scen/route_uac.xml" -s frank -i 198.51.100.2 \
	-p 5080 -m 1 -timeout 30s -nostdin -trace_err -error_file "$work/aor-uac.err" >"$work/aor-uac.out" 2>&1)
if wait "$uas1" && wait "$uas2" && grep -q "Successful call .* 1 *$" "$work/aor-uas1.out" &&
	grep -q "Successful call .* 1 *$" "$work/aor-uas2.out"; then
	ok "AoR throttling: a call to the AoR contact forked to both devices (one answered, one cancelled)"
else
	fail "AoR throttling: the forked call"
	tail -n 5 "$work/aor-uas1.out" "$work/aor-uas2.out"
	head -c 1500 "$work/aor-uas1.err" "$work/aor-uas2.err" "$work/aor-uac.err" 2>/dev/null
fi
it_stop TERM
[ "$stop_rc" = 0 ] && ok "AoR throttling: SIGTERM, exit 0" || fail "AoR throttling: exit status $stop_rc"
it_check_sanitizers "$work/aor.log"
kam_stop

it_finish
