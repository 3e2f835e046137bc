#!/usr/bin/env bash
# bench/midreg/run.sh [--smoke] - sipreg as a mid-registrar in front of Kamailio (issue 13, Benchmark):
# how many of the UAs' REGISTERs it absorbs, and its CPU per absorbed refresh against a final
# registrar's refresh.
#
# Kamailio from Debian (bench/kamailio/kamailio_mid.cfg, usrloc in memory, no authentication) is
# the main registrar in netns sr-peer on 198.51.100.2:5070; sipreg runs in sr-dut on one CPU (worker
# and control lcore, as bench/compare.sh runs it) with registrar.role = mid; bench/regflood in
# sr-peer on the other CPU is the UAs: SR_MB_AORS AoRs registered with Expires 60, then refreshed
# round-robin at SR_MB_RATE REGISTER/s for SR_MB_DURATION seconds (each AoR refreshes
# SR_MB_RATE * SR_MB_DURATION / SR_MB_AORS times; issue 13's "refreshing every 60 s" compressed in
# time: what the mid-registrar decides depends on the number of refreshes within outgoing_expires,
# 3600 s here, not on their spacing). Per mode:
#   - absorbed: sipreg_mid_registers_total{verdict="absorbed"} over absorbed + forwarded (the
#     REGISTERs of the UAs that did not reach the main registrar), from sipreg's own counters;
#   - CPU: sipreg's worker busy cycles over the refresh phase alone divided by the REGISTERs
#     absorbed in it: a poller reads sipreg's figures (busy cycles, absorbed, forwarded, requests
#     from one /sipreg/stats answer) once the first refresh is absorbed (regflood's warm-up, the
#     forwarded registrations and their upstream answers, is over by then) and again at the end.
#     The whole run's busy cycles over its absorbed REGISTERs (the upper bound this script used
#     to report, forwarded REGISTERs included) is printed beside it;
#   - the same run against sipreg as a final registrar (registrar.role = final): CPU per refresh
#     over the same phase (requests after the warm-up).
# AoR throttling: registrar.role = mid with mid.mode = aor-throttling needs auth.enabled (sipreg
# refuses to start without it: the AoR's second and later contacts never reach the main registrar,
# so only sipreg can authenticate them; lib/midreg itself needs no local authentication, see
# docs/MID_REGISTRAR.md "Authentication: the exact rule"). So it runs as an operator must run it:
# auth.enabled with regflood's users (regflood --write-subscribers, HA1 only) and regflood --digest,
# which answers sipreg's 401 to every REGISTER (warm-up and refreshes) with credentials: two
# requests per refresh, the authenticated one absorbed. Its CPU is compared with a final registrar
# with the same authentication (final-auth).
# The last line is one JSON object: contact_throttling_absorbed, mirror_absorbed,
# aor_throttling_absorbed, sipreg_cpu_us_per_absorbed (contact throttling), final_cpu_us_per_refresh,
# cpu_vs_final, aor_cpu_us_per_absorbed and final_auth_cpu_us_per_refresh (both with digest
# authentication), aor_cpu_vs_final_auth, registers, failures, smoke. Runs as root on an otherwise
# idle dev network (it takes the devnet lock); installs Debian's kamailio package when missing:
#
#   SR_SANITIZE=0 BUILD_DIR=build-release scripts/setup.sh && BUILD_DIR=build-release bench/midreg/run.sh
#
#   BUILD_DIR        meson build directory (default: build)
#   --smoke          200 AoRs, 500/s for 4 s
#   SR_MB_AORS       AoRs (default 5000)
#   SR_MB_RATE       REGISTER/s offered (default 5000)
#   SR_MB_DURATION   seconds of refreshes (default 30)
#   SR_MB_KEEP=1     keep the work directory
set -uo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
bench_name=midreg
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"
bench_args "$@"
if [ "$smoke" = 1 ]; then
	aors=${SR_MB_AORS:-200} rate=${SR_MB_RATE:-500} dur=${SR_MB_DURATION:-4}
else
	aors=${SR_MB_AORS:-5000} rate=${SR_MB_RATE:-5000} dur=${SR_MB_DURATION:-30}
fi
bench_keep=${SR_MB_KEEP:-0}
step_s=$dur # regflood_run's time limit
# mirror forwards every REGISTER, and each holds a server transaction for Timer J (32 s): the pools
# (mid.contexts, 3 transactions each) sized for the offered rate, as an operator would size them
contexts=$((rate * 12))
((contexts < 4096)) && contexts=4096
step_aors=$aors
refresh_aors=0
prefix=sipreg-mbench
py=/usr/bin/python3
client=$here/tests/integration/peer.py
kam_cfg=$here/bench/kamailio/kamailio_mid.cfg
sides=sipreg rates=$rate cpu_rate=$rate # what bench_check checks: one side, one rate
bench_check SR_MB_ "$aors" "$rate" "$dur"
bench_build app/sipreg/sipreg bench/regflood/regflood
regflood=$build_dir/bench/regflood/regflood
kam_install

bench_require_idle_devnet
work=$(mktemp -d /tmp/sipreg-mbench.XXXXXX)
main_pid=
stop_main() {
	[ -n "$main_pid" ] && stop_pid "$main_pid" 30
	main_pid=
}
bench_cleanup_hook() { stop_main; }
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
bench_devnet_up

# start_main NAME: a fresh Kamailio (empty location table) in sr-peer on 198.51.100.2:5070, on the
# generator's CPU (it answers one REGISTER per AoR and per upstream refresh)
start_main() {
	stop_main
	mkdir -p "$work/kam-$1"
	ip netns exec sr-peer taskset -c "$gen_cpu" kamailio -f "$kam_cfg" -DD -E -n 1 -l udp:198.51.100.2:5070 \
		-Y "$work/kam-$1" -P "$work/kam-$1/pid" -A "MID_CTL=\"unix:$work/kam-$1/ctl\"" >"$work/kam-$1.log" 2>&1 &
	main_pid=$!
	for _ in $(seq 50); do
		kamcmd -s "unix:$work/kam-$1/ctl" core.version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	tail -5 "$work/kam-$1.log" >&2
	die "kamailio did not start"
}

stats_json() { "$py" "$client" telemetry "$prefix" /sipreg/stats 2>/dev/null; }
# figure JSON NAME [LABEL]: one figure of /sipreg/stats (0 when absent)
figure() {
	"$py" -c 'import json,sys
d = json.loads(sys.argv[1])["/sipreg/stats"]; v = d.get(sys.argv[2], 0)
print(v.get(sys.argv[3], 0) if isinstance(v, dict) else v)' "$1" "$2" "${3:-}" 2>/dev/null || echo 0
}

# snap: "busy_us absorbed forwarded requests" from one /sipreg/stats answer ("x" when unreadable)
snap() {
	stats_json | "$py" -c 'import json, sys
d = json.load(sys.stdin)["/sipreg/stats"]
m = d.get("sipreg_mid_registers_total", {})
m = m if isinstance(m, dict) else {}
print("%.0f %d %d %d" % (d["sipreg_busy_cycles_total"] * 1e6 / d["sipreg_tsc_hz"], m.get("absorbed", 0),
      m.get("forwarded", 0), d["sipreg_sip_requests_total"]))' 2>/dev/null || echo x
}

# poll_refresh_start FILE WARM: writes snap's figures to FILE at the start of the refresh phase:
# the first absorbed REGISTER (WARM 0: a throttling mode; the warm-up's forwarded registrations are
# all answered by then), or the first request past the WARM requests of the warm-up (final, mirror);
# gives up after 120 s
poll_refresh_start() {
	local f=$1 warm=$2 v
	for _ in $(seq 2400); do
		v=$(snap)
		if [ "$v" != x ] && awk -v w="$warm" '{exit !(w == 0 ? $2 > 0 : $4 > w)}' <<<"$v"; then
			echo "$v" >"$f"
			return
		fi
		sleep 0.05
	done
}

# run MODE: one regflood run against sipreg in MODE (mirror, contact-throttling, aor-throttling,
# final, final-auth); sets r_fwd r_abs r_cpu_us (worker busy us over the run) r_fail r_regs, and
# over the refresh phase alone: r_ph_cpu_us r_ph_abs r_ph_fwd r_ph_req
run() {
	local mode=$1 role=mid warm=$aors s v0 v1 auth=() digest=()
	case "$mode" in final*) role=final ;; esac
	if [ "$mode" = aor-throttling ] || [ "$mode" = final-auth ]; then
		auth=(--set auth.enabled=true --set auth.subscribers="$work/subscribers" --set auth.algorithms=MD5)
		digest=(--digest)
		warm=$((2 * aors)) # a challenge and the authenticated REGISTER per AoR
	fi
	start_main "$mode"
	stop_dut
	cur_side=sipreg
	start_sipreg --set registrar.role=$role --set mid.registrar=198.51.100.2:5070 \
		--set mid.mode="${mode/final*/mirror}" --set mid.outgoing_expires=3600 --set registrar.min_expires=30 \
		--set mid.contexts=$contexts "${auth[@]}"
	v0=$(snap)
	rm -f "$work/$mode.phase"
	case "$mode" in *throttling) warm=0 ;; esac # mid figures lag the request count: wait for an absorbed one
	poll_refresh_start "$work/$mode.phase" "$warm" &
	local poller=$!
	regflood_run "$mode" --workload refresh --aors "$aors" --rate "$rate" --duration "$dur" --expires 60 "${digest[@]}"
	wait "$poller"
	sleep 0.3 # figures are published every 100 ms
	v1=$(snap)
	r_fwd=$(awk '{print $3}' <<<"$v1")
	r_abs=$(awk '{print $2}' <<<"$v1")
	r_regs=$(jget "$rf_json" ok)
	r_fail=$(jget "$rf_json" failures)
	r_cpu_us=$(awk -v a="$v0" -v b="$v1" 'BEGIN {split(a, x, " "); split(b, y, " "); print (a == "x" || b == "x") ? "x" : y[1] - x[1]}')
	s=$(cat "$work/$mode.phase" 2>/dev/null || echo x)
	read -r r_ph_cpu_us r_ph_abs r_ph_fwd r_ph_req < <(awk -v a="$s" -v b="$v1" 'BEGIN {split(a, x, " "); split(b, y, " ")
		if (a == "x" || b == "x") print "x 0 0 0"; else print y[1] - x[1], y[2] - x[2], y[3] - x[3], y[4] - x[4]}')
	printf '%-20s forwarded %7s  absorbed %7s  regflood ok %7s failures %s  worker busy %s us  (%s)\n' \
		"$mode" "$r_fwd" "$r_abs" "${r_regs:-?}" "${r_fail:-?}" "$r_cpu_us" "$(rf_summary "$mode")"
	printf '%-20s refresh phase: worker busy %s us, requests %s, absorbed %s, forwarded %s\n' \
		"" "$r_ph_cpu_us" "$r_ph_req" "$r_ph_abs" "$r_ph_fwd"
	stop_dut
	stop_main
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a + b == 0) print "null"; else printf "%.4f", a / (a + b)}'; }
per() { awk -v c="$1" -v n="$2" 'BEGIN {if (c == "x" || n + 0 == 0) print "null"; else printf "%.2f", c / n}'; }

# regflood's users for the runs with sipreg's digest authentication (HA1 only, realm example.com)
"$regflood" --write-subscribers "$work/subscribers" --aors "$aors" >/dev/null || die "regflood --write-subscribers"

echo "sipreg mid-registrar in front of Kamailio ${kam_version:-?}: $aors AoRs, $rate REGISTER/s for $dur s, sipreg on CPU $reg_cpu, regflood and Kamailio on CPU $gen_cpu; load $(cut -d' ' -f1-3 /proc/loadavg)"
failures=0
run mirror
mirror_abs=$(ratio "$r_abs" "$r_fwd")
failures=$((failures + ${r_fail:-1}))
run contact-throttling
ct_abs=$(ratio "$r_abs" "$r_fwd")
ct_cpu=$(per "$r_ph_cpu_us" "$r_ph_abs")
ct_cpu_run=$(per "$r_cpu_us" "$r_abs")
ct_regs=$((r_abs + r_fwd))
failures=$((failures + ${r_fail:-1}))
run final
final_cpu=$(per "$r_ph_cpu_us" "$r_ph_req")
final_cpu_run=$(per "$r_cpu_us" "${r_regs:-0}")
failures=$((failures + ${r_fail:-1}))
run aor-throttling
aor_abs=$(ratio "$r_abs" "$r_fwd")
aor_cpu=$(per "$r_ph_cpu_us" "$r_ph_abs")
aor_regs=$((r_abs + r_fwd))
failures=$((failures + ${r_fail:-1}))
run final-auth
final_auth_cpu=$(per "$r_ph_cpu_us" "$((r_ph_req / 2))") # per refresh: its challenge and its authenticated REGISTER
failures=$((failures + ${r_fail:-1}))
status=0
div() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "null" || b == "null" || b + 0 == 0) print "null"; else printf "%.2f", a / b}'; }
cmp=$(div "$ct_cpu" "$final_cpu")
aor_cmp=$(div "$aor_cpu" "$final_auth_cpu")
echo "contact throttling absorbed $ct_abs of $ct_regs REGISTERs (mirror $mirror_abs); CPU per absorbed refresh $ct_cpu us (whole run: $ct_cpu_run), a final registrar's refresh $final_cpu us (whole run: $final_cpu_run)"
echo "AoR throttling (digest authentication) absorbed $aor_abs of $aor_regs authenticated REGISTERs; CPU per absorbed refresh (its challenge included) $aor_cpu us, a final registrar's with the same authentication $final_auth_cpu us"
echo "{\"contact_throttling_absorbed\":$ct_abs,\"mirror_absorbed\":$mirror_abs,\"aor_throttling_absorbed\":$aor_abs,\"sipreg_cpu_us_per_absorbed\":$ct_cpu,\"final_cpu_us_per_refresh\":$final_cpu,\"cpu_vs_final\":$cmp,\"aor_cpu_us_per_absorbed\":$aor_cpu,\"final_auth_cpu_us_per_refresh\":$final_auth_cpu,\"aor_cpu_vs_final_auth\":$aor_cmp,\"registers\":$ct_regs,\"failures\":$failures,\"smoke\":$([ "$smoke" = 1 ] && echo true || echo false)}"
