#!/usr/bin/env bash
# test_devnet_mid_rules.sh [BUILD_DIR] - the mid-registrar's per-AoR rules acted on by the registrar, and
# the main registrar going away and coming back (issue 13).
#
# Over the development network, Kamailio (bench/kamailio/kamailio_mid.cfg, tests/integration/mid_lib.sh)
# in sr-peer as the main registrar, sipreg in sr-dut with registrar.role = mid, mid.mode =
# contact-throttling, two workers, and policy.rules:
#   aor mid max-contacts=1 /^sip:mia@/               mia's second device is refused (503) by sipreg,
#                                                    nothing reaches Kamailio: ul.dump holds mia once;
#   aor mid aor=sip:$user@tenant.$domain /^sip:nora@/ nora's binding lives under the custom AoR in
#                                                    sipreg (/sipreg/aor), Kamailio holds her contact
#                                                    once (ul.dump), her refresh is absorbed.
# Then Kamailio is stopped: an absorbed refresh is still answered 200 at once; a new contact, which must
# go upstream, gets 504 with Retry-After after mid.upstream_timeout (16 s), before the UA's own Timer F
# gives up (counted in sipreg_mid_upstream_failures_total
# {kind="timeout"}); once Kamailio runs again, a REGISTER of that contact goes upstream and Kamailio holds it.
# Exit 77 (meson: skipped) when not root, or without netns, kamailio or kamcmd.
set -uo pipefail

prefix=sipreg-midrules
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-midrules
it_need kamailio "scripts/setup.sh installs kamailio"
it_need kamcmd "scripts/setup.sh installs kamailio"
. "$here/tests/integration/mid_lib.sh" # kam_start, kam_stop, kam_dump
trap 'kam_stop; it_cleanup' EXIT
# reg USER PORT EXPIRES CALL_ID CSEQ [WAIT_S]: one REGISTER through sipreg; prints "STATUS RETRY-AFTER"
reg() { "${peer[@]}" "$py" "$here/tests/integration/mid_peer.py" reg "$1" "$2" "$3" "$4" "$5" "${6:-5}"; }
# kam_count AOR: contacts Kamailio's ul.dump lists for AOR (its user part)
kam_count() { kam_dump | awk -v a="$1" '$1 == a' | wc -l; }
# local_count AOR_URI: bindings sipreg holds for AOR_URI (/sipreg/aor)
local_count() {
	"$py" "$client" ctl "$prefix" /sipreg/aor "$1" |
		"$py" -c 'import json,sys; print(json.loads(sys.stdin.readline())["/sipreg/aor"].get("bindings", 0))'
}
it_devnet_fresh

printf '%s\n' 'aor mid max-contacts=1 /^sip:mia@/' 'aor mid aor=sip:$user@tenant.$domain /^sip:nora@/' >"$work/mid.rules"
kam_start rules
it_start_run "$work/rules.log" --set workers.count=2 --set registrar.role=mid \
	--set mid.registrar=198.51.100.2:5070 --set mid.mode=contact-throttling --set registrar.min_expires=5 \
	--set mid.outgoing_expires=300 --set mid.refresh_margin=2 --set policy.rules="$work/mid.rules" \
	--set registrar.retry_after=17

# --- max-contacts ---
r=$(reg mia 5101 120 mia-1 1)
[ "$r" = "200 -" ] && ok "max-contacts: mia's first device registered" || fail "max-contacts: mia's first device: $r"
r=$(reg mia 5102 120 mia-2 1)
[[ $r == "503 "* ]] && ok "max-contacts=1: mia's second device refused by sipreg: $r" ||
	fail "max-contacts: mia's second device: $r (expected 503)"
[ "$(kam_count mia)" = 1 ] && ok "max-contacts: Kamailio's ul.dump holds mia once" ||
	fail "max-contacts: Kamailio holds mia $(kam_count mia) times: $(kam_dump)"
[ "$(local_count sip:mia@example.com)" = 1 ] && ok "max-contacts: sipreg holds one binding of mia" ||
	fail "max-contacts: sipreg's bindings of mia: $("$py" "$client" ctl "$prefix" /sipreg/aor sip:mia@example.com)"

# --- aor= ---
r=$(reg nora 5103 120 nora-1 1)
[ "$r" = "200 -" ] && ok "aor=: nora registered" || fail "aor=: nora: $r"
[ "$(local_count sip:nora@tenant.example.com)" = 1 ] && [ "$(local_count sip:nora@example.com)" = 0 ] &&
	ok "aor=: sipreg stores nora under the custom AoR sip:nora@tenant.example.com" ||
	fail "aor=: sipreg's bindings: custom $(local_count sip:nora@tenant.example.com), To $(local_count sip:nora@example.com)"
[ "$(kam_count nora)" = 1 ] && kam_dump | grep -q "^nora sip:nora@198.51.100.1:5060;ctid=" &&
	ok "aor=: Kamailio's ul.dump holds nora once, at sipreg's address with a contact id" ||
	fail "aor=: Kamailio's table: $(kam_dump)"
r=$(reg nora 5103 120 nora-1 2)
sleep 0.3 # figures are published every 100 ms
s=$(stats)
[ "$r" = "200 -" ] && [ "$(stat sipreg_mid_registers_total absorbed <<<"$s")" = 1 ] &&
	ok "aor=: nora's refresh was absorbed (her record found under the custom AoR)" ||
	fail "aor=: nora's refresh: $r, absorbed $(stat sipreg_mid_registers_total absorbed <<<"$s")"
[ "$(stat sipreg_mid_registers_total forwarded <<<"$s")" = 2 ] &&
	ok "rules: 2 REGISTERs forwarded (mia's first device, nora), mia's second never went up" ||
	fail "rules: forwarded $(stat sipreg_mid_registers_total forwarded <<<"$s") (expected 2)"

# --- the main registrar goes away ---
r=$(reg olga 5104 120 olga-1 1)
[ "$r" = "200 -" ] && ok "down: olga registered while Kamailio runs" || fail "down: olga: $r"
kam_stop
t0=$(date +%s%N)
r=$(reg olga 5104 120 olga-1 2)
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$r" = "200 -" ] && [ "$ms" -lt 2000 ] && ok "down: olga's refresh absorbed while Kamailio is stopped (${ms} ms)" ||
	fail "down: olga's refresh: $r after ${ms} ms"
# pete is new: his REGISTER must go upstream; nothing answers there. mid.upstream_timeout (16 s) ends the
# upstream transaction, so the 504 reaches pete while his own transaction (Timer F, 32 s) still waits: the
# UA here gives up at 31 s, as a real one does at 32.
t0=$(date +%s)
r=$(reg pete 5105 120 pete-1 1 31)
secs=$(($(date +%s) - t0))
[ "$r" = "504 17" ] && ok "down: pete's new contact got 504 with Retry-After: 17 (registrar.retry_after) after ${secs} s" ||
	fail "down: pete: '$r' after ${secs} s (expected 504 17 before the UA's own Timer F)"
sleep 0.3
[ "$(stats | stat sipreg_mid_upstream_failures_total timeout)" -ge 1 ] &&
	ok "down: counted in sipreg_mid_upstream_failures_total{kind=\"timeout\"}" ||
	fail "down: upstream timeouts $(stats | stat sipreg_mid_upstream_failures_total timeout)"
[ "$(local_count sip:pete@example.com)" = 0 ] && ok "down: nothing stored for pete" ||
	fail "down: sipreg holds pete: $("$py" "$client" ctl "$prefix" /sipreg/aor sip:pete@example.com)"
r=$(reg olga 5104 120 olga-1 3)
[ "$r" = "200 -" ] && ok "down: olga's refresh still absorbed after the timeout" || fail "down: olga's refresh: $r"

# --- the main registrar is back (a fresh Kamailio: empty table) ---
kam_start back
r=$(reg pete 5105 120 pete-1 2 10)
[ "$r" = "200 -" ] && ok "back: pete's REGISTER went upstream and was accepted" || fail "back: pete: $r"
[ "$(kam_count pete)" = 1 ] && ok "back: Kamailio's ul.dump holds pete" || fail "back: Kamailio's table: $(kam_dump)"
r=$(reg quinn 5106 120 quinn-1 1 10)
[ "$r" = "200 -" ] && [ "$(kam_count quinn)" = 1 ] && ok "back: a new AoR registers upstream again" ||
	fail "back: quinn: $r, Kamailio: $(kam_dump)"
it_stop TERM
[ "$stop_rc" = 0 ] && ok "SIGTERM, exit 0" || fail "exit status $stop_rc"
it_check_sanitizers "$work/rules.log"
kam_stop

it_finish
