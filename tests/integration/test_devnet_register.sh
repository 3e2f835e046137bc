#!/usr/bin/env bash
# test_devnet_register.sh [BUILD_DIR] - sipreg end to end over the development network.
#
# Brings the dev network up, starts sipreg (2 workers, af_packet) with scripts/run.sh,
# then from netns sr-peer:
#   1. ARP and ICMP echo are answered by sipreg itself;
#   2. sipp runs SR_IT_CALLS (default 10000) unique AoRs through register, refresh,
#      fetch and de-register, one UDP socket per call (-t un) so the flows spread over
#      both RX queues and AoRs often arrive at the worker that does not own them;
#      zero failed calls, zero unexpected messages;
#   3. /sipreg/stats matches what was sent (every AoR added and removed once, all 2xx,
#      hand-offs between workers happened, no drops, every fast-path parse resumed
#      from the pre-scan's record carried in the mbuf);
#   4. OPTIONS gets 200 with Allow; /sipreg/aor shows a registered AoR; a short
#      binding expires; a large REGISTER (fragmented both ways) is answered; a
#      REGISTER with a folded Via (sent-by port 5070, rport) from port 40000 is
#      answered to 40000 (issue 11); REGISTERs after CRLFCRLF from many source
#      ports (so both workers receive some) all bind one AoR on its owner (issue 15);
#   4b. one command table, two front ends: DPDK telemetry refuses an answer over its
#      limits (a 200-byte contact) and says to use sipregctl; sipregctl and a plain
#      client of the control socket (peer.py ctl) show it whole and agree; both front
#      ends list the same /sipreg/ commands (no /sipreg/policy_reload);
#   5. bad input (truncated, bad checksums, non-SIP, wrong port, oversized, a fragment
#      that never completes) is dropped and counted, and the next REGISTER is answered;
#   6. SIGTERM stops sipreg with exit status 0; the namespaces are removed.
# Exit 77 (meson: skipped) when not root or when netns/sipp/python3 are unavailable.
set -uo pipefail

calls=${SR_IT_CALLS:-10000}
rate=${SR_IT_RATE:-1000}
prefix=sipreg-it
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-it
it_need sipp "scripts/setup.sh installs sip-tester"

# --- start ---
it_devnet_fresh
it_start_run "$work/sipreg.log" --set workers.count=2 --set registrar.max_contacts=40 --set registrar.min_expires=1
ok "sipreg started ($(grep -c '' "$work/sipreg.log") log lines)"

# --- 1. ARP and ICMP ---
"${peer[@]}" ip neigh flush dev sr-peer0 >/dev/null 2>&1
if "${peer[@]}" "$py" "$client" ping; then ok "ICMP echo answered"; else fail "ICMP echo"; fi
if "${peer[@]}" ip neigh show 198.51.100.1 | grep -q lladdr; then
	ok "ARP answered ($("${peer[@]}" ip neigh show 198.51.100.1))"
else
	fail "no ARP entry for 198.51.100.1"
fi
s0=$(stats)
[ "$(stat sipreg_arp_replies_total <<<"$s0")" -ge 1 ] && ok "arp_replies counted" || fail "arp_replies not counted"
[ "$(stat sipreg_icmp_replies_total <<<"$s0")" -ge 1 ] && ok "icmp_replies counted" || fail "icmp_replies not counted"

# --- 2. sipp: unique AoRs ---
it_sipp_unique "$calls" "$rate"

# --- 3. counters ---
sleep 0.3 # shard figures are published every 100 ms
s1=$(stats)
nd=sipreg_net_drops_total rs=sipreg_responses_total
it_sipp_counters "$calls" "$s1" "$nd runt" "$nd ip_csum" "$nd udp_csum" "$nd udp_len" "$nd ring_full" "$nd no_mbuf" \
	"$nd tx_full" "$nd reasm_too_big" "sipreg_sip_drops_total garbage" "$rs 4xx" "$rs 5xx" "$rs 6xx" sipreg_aors sipreg_bindings
ring_out=$(stat sipreg_handoffs_total <<<"$s1")
ring_in=$(stat sipreg_handoffs_received_total <<<"$s1")
per_worker=$("$py" -c 'import json,sys; print(*json.load(sys.stdin)["/sipreg/stats"]["sipreg_worker_rx_packets_total"].values())' <<<"$s1")
[ "$ring_out" -gt 0 ] && [ "$ring_out" = "$ring_in" ] &&
	ok "AoRs received by the non-owner: $ring_out handed over, $ring_in answered by the owner; rx per worker: $per_worker" ||
	fail "ring hand-offs: out=$ring_out in=$ring_in"
for n in $per_worker; do [ "$n" -gt 0 ] || fail "a worker received nothing (rx per worker: $per_worker)"; done
# parse once: every fast-path parse resumed from what the pre-scan recorded in the mbuf, hand-offs included
fast=$(stat sipreg_parsed_total fast <<<"$s1")
resumed=$(stat sipreg_parse_resumed_total <<<"$s1")
[ "$fast" -ge $((4 * calls)) ] && [ "$resumed" = "$fast" ] &&
	ok "the owner resumed the pre-scan's walk: $resumed of $fast fast-path parses" ||
	fail "parses resumed=$resumed, fast=$fast (expected equal, >= $((4 * calls)))"

# --- 4. OPTIONS, /sipreg/aor ---
"${peer[@]}" "$py" "$client" options && ok "OPTIONS 200 with Allow" || fail "OPTIONS"
"${peer[@]}" "$py" "$client" register carol && ok "REGISTER carol" || fail "REGISTER carol"
aor=$("$py" "$client" telemetry "$prefix" "/sipreg/aor,sip:carol@EXAMPLE.com")
if "$py" -c 'import json,sys; d=json.load(sys.stdin)["/sipreg/aor"]; assert d["bindings"] == 1 and d["contact"][0].startswith("sip:carol@198.51.100.2:") and 0 < d["expires"][0] <= 600, d' <<<"$aor"; then
	ok "/sipreg/aor: $aor"
else
	fail "/sipreg/aor answered $aor"
fi

# --- 4b. the control plane: one table, two front ends ---
ctl=$BUILD_DIR/app/sipregctl/sipregctl
long=$("${peer[@]}" "$py" "$client" long grace 200) && ok "REGISTER grace with a 200-byte contact" ||
	fail "REGISTER grace with a 200-byte contact: $long"
r=$(telemetry "/sipreg/aor,sip:grace@example.com")
"$py" -c 'import json,sys; e=json.load(sys.stdin)["/sipreg/aor"]["error"]; assert "use sipregctl" in e and "200 bytes" in e, e' <<<"$r" &&
	ok "telemetry refuses what it cannot carry: $r" || fail "telemetry /sipreg/aor with a 200-byte contact answered $r"
r=$(timeout 10 "$ctl" --prefix "$prefix" --json aor sip:grace@example.com)
"$py" -c 'import json,sys; d=json.load(sys.stdin); assert d["contact"] == [sys.argv[1]] and d["bindings"] == 1, d' "$long" <<<"$r" &&
	ok "sipregctl aor: the 200-byte contact whole" || fail "sipregctl --json aor grace printed $r"
r2=$("$py" "$client" ctl "$prefix" /sipreg/aor sip:grace@example.com)
"$py" -c 'import json,sys; a = json.loads(sys.argv[1]); b = json.loads(sys.argv[2])["/sipreg/aor"]
assert a.keys() == b.keys() and a["contact"] == b["contact"] and a["call_id"] == b["call_id"], (a, b)' "$r" "$r2" &&
	ok "a plain control socket client (peer.py ctl) gets the same answer" || fail "peer.py ctl answered $r2"
"$py" -c 'import json,sys; t = json.loads(sys.argv[1])["/"]; c = json.loads(sys.argv[2])["/"]
mine = sorted(k for k in t if k.startswith("/sipreg/"))
assert mine == sorted(c) and "/sipreg/reload" in c and "/sipreg/policy_reload" not in c, (mine, sorted(c))' \
	"$(telemetry /)" "$("$py" "$client" ctl "$prefix" /)" && ok "telemetry and the control socket serve the same commands" ||
	fail "the front ends list different commands"
w1=$(telemetry /sipreg/workers)
w2=$(timeout 10 "$ctl" --prefix "$prefix" --json workers)
"$py" -c 'import json,sys; t = json.loads(sys.argv[1])["/sipreg/workers"]; c = json.loads(sys.argv[2])
assert sorted(t) == sorted(c) == ["w0", "w1"] and all(t[w].keys() == c[w].keys() for w in t), (t, c)' "$w1" "$w2" &&
	ok "/sipreg/workers: same shape on both front ends" || fail "/sipreg/workers: telemetry $w1, sipregctl $w2"

# expiry from the poll loop: a 2 s binding is gone a little later
se=$(stats)
"${peer[@]}" "$py" "$client" register frank 2 >/dev/null || fail "REGISTER frank"
for _ in $(seq 50); do
	sleep 0.2
	[ $(($(stat sipreg_events_total expired <<<"$(stats)") - $(stat sipreg_events_total expired <<<"$se"))) -ge 1 ] && break
done
left=$("$py" "$client" telemetry "$prefix" "/sipreg/aor,sip:frank@example.com")
if [ $(($(stat sipreg_events_total expired <<<"$(stats)") - $(stat sipreg_events_total expired <<<"$se"))) = 1 ] &&
	"$py" -c 'import json,sys; assert json.load(sys.stdin)["/sipreg/aor"]["bindings"] == 0' <<<"$left"; then
	ok "a 2 s binding expired (ev_expired +1, /sipreg/aor shows none)"
else
	fail "binding did not expire: $left"
fi

# large messages: the request arrives fragmented, the response (> MTU) leaves fragmented
sb=$(stats)
"${peer[@]}" "$py" "$client" big erin 15 && ok "large REGISTER answered with all contacts" || fail "large REGISTER"
sleep 0.2
[ $(($(stat sipreg_tx_fragmented_total <<<"$(stats)") - $(stat sipreg_tx_fragmented_total <<<"$sb"))) = 1 ] &&
	ok "large response sent as IPv4 fragments" || fail "tx_fragmented did not grow by 1"

# the reply port comes from the parsed Via, also when it is folded (issue 11)
"${peer[@]}" "$py" "$client" folded gina 40000 5070 && ok "folded Via answered to the source port 40000" ||
	fail "folded-Via REGISTER"
# the owner of a CRLF-prefixed REGISTER is found (issue 15): one AoR, not split over the workers
"${peer[@]}" "$py" "$client" crlf hank 8 && ok "CRLF-prefixed REGISTERs from 8 ports: one AoR with 8 contacts" ||
	fail "CRLF-prefixed REGISTERs split or refused"

# --- 5. bad input ---
s2=$(stats)
for kind in truncated udp_csum ip_csum garbage udp_port oversized lone_fragment; do
	"${peer[@]}" "$py" "$client" bad $kind >/dev/null || fail "could not send $kind"
done
"${peer[@]}" "$py" "$client" register dave && ok "REGISTER after bad input answered" || fail "REGISTER after bad input"
sleep 0.2
s3=$(stats)
delta() { echo $(($(stat "$@" <<<"$s3") - $(stat "$@" <<<"$s2"))); } # delta NAME [LABEL]
[ "$(delta $nd runt)" -ge 2 ] && ok "truncated + oversized: runt drops +$(delta $nd runt)" || fail "runt drops +$(delta $nd runt)"
for k in "$nd udp_csum" "$nd ip_csum" "$nd udp_port" "sipreg_sip_drops_total garbage"; do
	[ "$(delta $k)" = 1 ] && ok "$k +1" || fail "$k +$(delta $k), expected +1"
done

# --- 6. shutdown ---
it_stop TERM
rc=$stop_rc
grep -q "sipreg: stopping" "$work/sipreg.log" || fail "no 'stopping' in the log"
[ "$rc" = 0 ] && ok "SIGTERM: sipreg exited 0" || { fail "sipreg exit status $rc after SIGTERM"; tail -20 "$work/sipreg.log"; }

it_check_sanitizers "$work/sipreg.log"
it_finish
