#!/usr/bin/env bash
# bench/route/run.sh [--smoke | core [CALLS]] - routed calls per second: sipreg's stateful proxy
# (routing.mode = proxy) against Kamailio doing registrar + lookup + t_relay (issue 12, Benchmark).
#
# The network benchmark (default). Both registrars run in netns sr-dut on 198.51.100.1:5060 (one
# at a time), pinned to one CPU (sipreg: worker and control lcore via eal.lcores; Kamailio with
# bench/kamailio/kamailio_route.cfg under taskset, SR_RB_KAM_CHILDREN UDP workers, default 1 = one
# per CPU it has). In netns sr-peer, on another CPU: one sipp callee (tests/integration/sipp/
# route_uas.xml on port 5090: 180, 200, then the ACK and the BYE, 200) registered through the
# registrar under test as the AoR bob@example.com before it starts (tests/integration/
# route_peer.py, from its port), and one sipp caller (route_uac.xml on port 5070: INVITE/100/180/
# 200/ACK, 200 ms, BYE/200). Every call goes to the same AoR: one lookup of a hot, single-binding
# AoR per call, the same for both; what is compared is the proxy's work per call. Both proxies
# record-route (sipreg routing.record_route = true; Kamailio record_route()/loose_route()), so the
# ACK and the BYE of every call pass through them too. For each registrar:
#   - the highest call rate with zero failed calls: rate steps upward until the first failed call,
#     then SR_RB_CONFIRM confirmation runs at the best step, the median achieved rate reported;
#     every run on a freshly started registrar (bench/lib.sh's measure; fresh_step below);
#   - CPU us per routed call (its INVITE transaction, with the call's ACK and BYE) at the common
#     offered rate SR_RB_CPU_RATE, measured as bench/compare.sh does (bench/lib.sh's dut_cpu_us):
#     Kamailio's processes' user + system time (/proc/PID/stat) during its step at that rate;
#     sipreg's worker busy cycles (/sipreg/stats) in a run of its own with a busy-polling worker
#     (workers.idle_sleep_us = 0). Busy cycles are wall-clock time: on a CPU shared with other work
#     a preempted busy iteration counts whole, so a second sipreg figure is printed too
#     (sipreg_proc_cpu_us): sipreg's user + system time at that rate with the development
#     profile's sleeping worker (idle_sleep_us = 20), its idle polling included;
# The generator side's receive of what the proxy sends (sipp's sockets) runs on the generator's
# CPU: RPS on sr-peer0 (bench/lib.sh's peer_rx_steer), so that each side's CPU figure is its own
# (unsteered, veth runs that receive inside the proxy's transmit, for both proxies alike);
# SR_RB_STEER=0 leaves it unsteered.
# "generator-limited": sipp (caller and callee together, one CPU) used >= 90 % of its CPU during a
# run, or finished its calls more than 10 % late: the rate is then sipp's limit, not the proxy's
# (likely on 2 CPUs, where sipp has one CPU for both ends of every call).
# Prints a table and, as the last line, one JSON object (keys: sipreg_cps kamailio_cps
# sipreg_cpu_us kamailio_cpu_us cpu_ratio cpu_rate generator_limited failures smoke cpus
# sipreg_proc_cpu_us proc_cpu_ratio load_before). Exit 0 when both sides were measured, 1 on a
# set-up failure. Runs as root on an otherwise idle dev network (the devnet lock is taken);
# installs Debian's kamailio package when missing:
#
#   SR_SANITIZE=0 BUILD_DIR=build-release scripts/setup.sh && BUILD_DIR=build-release bench/route/run.sh
#
#   BUILD_DIR           meson build directory (default: build)
#   --smoke             a few seconds per side (the integration test): 2 steps of 2 s, 1 confirmation
#   SR_RB_RATES         offered calls/s steps, ascending (default 100 200 400 700 1000 1500 2000 2500
#                       3000 4000 5000)
#   SR_RB_STEP_S        seconds per step (default 10)
#   SR_RB_CONFIRM       confirmation runs (default 2)
#   SR_RB_CPU_RATE      the common offered rate of the CPU row (default 1000, below both maxima seen on
#                       the 2-CPU development machine; must be one of the steps)
#   SR_RB_KAM_CHILDREN  Kamailio UDP worker processes (default 1: one CPU)
#   SR_RB_SIDES         which registrars to measure (default "sipreg kamailio")
#   SR_RB_STEER=0       leave the generator side's receive unsteered (see above)
#   SR_RB_KEEP=1        keep the work directory (logs, sipp outputs and statistics)
#
# The in-process benchmark: CPU per routed call through the routing shard and its transaction layer
# (no packets, no parse, no location store), its last line one JSON object:
#
#   BUILD_DIR=build-release bench/route/run.sh core [CALLS]     (default 200000)
set -uo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${1:-}" = core ]; then
	build=${BUILD_DIR:-build}
	ninja -C "$build" bench/route/bench_route_core >/dev/null || exit 1
	if meson configure "$build" 2>/dev/null | grep -Eq '^ *b_sanitize +address'; then
		echo "warning: $build is a sanitizer build; numbers are not representative" >&2
	fi
	exec taskset -c "${SR_BENCH_CPU:-1}" "$build/bench/route/bench_route_core" "${2:-200000}"
fi

bench_name=route
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"
bench_args "$@"
if [ "$smoke" = 1 ]; then
	rates=${SR_RB_RATES:-50 100}
	step_s=${SR_RB_STEP_S:-2}
	confirm=${SR_RB_CONFIRM:-1}
	cpu_rate=${SR_RB_CPU_RATE:-50}
else
	rates=${SR_RB_RATES:-100 200 400 700 1000 1500 2000 2500 3000 4000 5000}
	step_s=${SR_RB_STEP_S:-10}
	confirm=${SR_RB_CONFIRM:-2}
	cpu_rate=${SR_RB_CPU_RATE:-1000}
fi
bench_keep=${SR_RB_KEEP:-0}
sides=${SR_RB_SIDES:-sipreg kamailio}
kam_children=${SR_RB_KAM_CHILDREN:-1}
step_aors=16 # registrar.max_aors (start_sipreg) and the usrloc hash (start_kamailio): one AoR is used
refresh_aors=0
measure_p99=0 # sipp's statistics give no p99: no run at 80 %
prefix=sipreg-rbench
py=/usr/bin/python3
client=$here/tests/integration/peer.py
route_peer=$here/tests/integration/route_peer.py
scen=$here/tests/integration/sipp
kam_cfg=$here/bench/kamailio/kamailio_route.cfg
kam_shm_mb=1024 # tm keeps a transaction 5 s after its final response: ~50,000 of them at 5000 calls/s
aor=bob
callee_port=5090
# sipp's socket buffers (its default is 64 KiB): a burst of responses from the proxy would otherwise
# overflow them from ~700 calls/s and count as the proxy's lost calls; capped by net.core.rmem_max
sipp_buf=4194304
caller_port=5070
bench_check SR_RB_ $rates $step_s $confirm $cpu_rate $kam_children
command -v sipp >/dev/null || die "sipp not installed (scripts/setup.sh installs sip-tester)"
bench_build app/sipreg/sipreg
kam_install

# sipreg's pools for the top rate: a call holds its INVITE server and client transactions for
# 64*T1 = 32 s after the 2xx (RFC 6026 Accepted), its BYE's for 32 s (Timer J) and 5 s (K), and a
# proxy context until its last transaction ends: about 100 transactions and 70 contexts per call/s
top=${rates##* }
txns=$((top * 128))
((txns < 16384)) && txns=16384
((txns > 4194304)) && txns=4194304
sipreg_set=(--set routing.mode=proxy --set routing.record_route=true
	--set routing.transactions=$txns --set routing.contexts=$((txns * 3 / 4)))

bench_require_idle_devnet
work=$(mktemp -d /tmp/sipreg-rbench.XXXXXX)
callee_pid=
stop_callee() {
	[ -n "$callee_pid" ] && stop_pid "$callee_pid" 30
	callee_pid=
}
bench_cleanup_hook() { stop_callee; }
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
bench_devnet_up
[ "${SR_RB_STEER:-1}" = 0 ] || peer_rx_steer "$gen_cpu"

# fresh_step SIDE WORKLOAD RATE (replaces bench/lib.sh's regflood one): a fresh registrar, the AoR
# registered from the callee's port, then the sipp callee started on that port
fresh_step() {
	stop_callee
	start_dut "$1"
	ip netns exec sr-peer "$py" "$route_peer" register "$aor" "$callee_port" >>"$work/register.log" 2>&1 ||
		{ tail -3 "$work/register.log" >&2; die "$1 did not register $aor"; }
	(cd "$work" && exec ip netns exec sr-peer taskset -c "$gen_cpu" sipp -sf "$scen/route_uas.xml" \
		-i 198.51.100.2 -p "$callee_port" -buff_size "$sipp_buf" -nostdin -trace_err \
		-error_file "$work/callee-$1-$3.err" >"$work/callee-$1-$3.out" 2>&1) &
	callee_pid=$!
	for _ in $(seq 50); do
		ip netns exec sr-peer ss -Hlun 2>/dev/null | grep -q ":$callee_port " && break
		sleep 0.1
	done
	# the socket buffers sipp really got (net.core.rmem_max caps -buff_size), for the logs
	ip netns exec sr-peer ss -Huamn "sport = :$callee_port" >>"$work/sockets.log" 2>&1
	rf_args=()
}

# sipp_stat FILE FIELD: FIELD of the last line of a sipp -trace_stat file (columns named by its header)
sipp_stat() {
	awk -F';' -v f="$2" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == f) c = i; next} {v = $c} END {print v + 0}' "$1" \
		2>/dev/null || echo 0
}

# rf NAME --rate R --duration S: one sipp caller run of R*S calls at R calls/s; sets what measure
# reads (rf_rc, rf_json with regflood's keys, rf_peer_drops) and rf_cpu_us (registrar CPU us per
# successful call)
rf() {
	local name=$1 rate=0 dur=0
	shift
	while (($#)); do
		case $1 in --rate) rate=$2 ;; --duration) dur=$2 ;; esac
		shift 2
	done
	local calls=$((rate * dur)) t0 t1 w0 w1 c0 c1 g0 g1 d0 p0 p1
	t0=$(dut_cpu_us)
	p0=$(dut_ticks)
	d0=$(peer_rcvbuf_drops)
	c0=$(ticks_of "$callee_pid") # the subshell exec'd ip, taskset, then sipp: the same pid
	g0=$(times | awk 'NR == 2 {print $1, $2}')
	w0=$EPOCHREALTIME
	(cd "$work" && exec timeout -k 3 $((dur + 25)) ip netns exec sr-peer taskset -c "$gen_cpu" sipp \
		-sf "$scen/route_uac.xml" -s "$aor" -i 198.51.100.2 -p "$caller_port" -buff_size "$sipp_buf" \
		-r "$rate" -m "$calls" \
		-timeout $((dur + 20))s -nostdin -trace_stat -stf "$work/$name.csv" -fd 60 -trace_err \
		-error_file "$work/$name.err" 198.51.100.1:5060 >"$work/$name.out" 2>&1)
	rf_rc=$?
	w1=$EPOCHREALTIME
	g1=$(times | awk 'NR == 2 {print $1, $2}')
	c1=$(ticks_of "$callee_pid")
	t1=$(dut_cpu_us)
	p1=$(dut_ticks)
	rf_peer_drops=$(($(peer_rcvbuf_drops) - d0))
	local ok failed gen_pct wall behind achieved
	ok=$(sipp_stat "$work/$name.csv" 'SuccessfulCall(C)')
	failed=$((calls - ok)) # a call that neither succeeded nor failed (sipp stopped) failed too
	((failed < 0)) && failed=0
	((failed > 0 && rf_rc == 0)) && rf_rc=1
	# the generator's CPU: the caller (this shell's children times) and the callee (/proc)
	read -r wall gen_pct < <(awk -v w0="$w0" -v w1="$w1" -v g0="$g0" -v g1="$g1" -v c0="$c0" -v c1="$c1" -v hz="$hz" '
		function sec(x) {split(x, a, /[ms]/); return a[1] * 60 + a[2]}
		BEGIN {split(g0, a, " "); split(g1, b, " "); w = w1 - w0
			cpu = sec(b[1]) + sec(b[2]) - sec(a[1]) - sec(a[2]) + (c1 - c0) / hz
			printf "%.2f %.0f\n", w, (w > 0 ? 100 * cpu / w : 0)}')
	# a call lasts ~0.25 s after its INVITE; sipp late by more than 10 % of the step: behind
	behind=$(awk -v w="$wall" -v d="$dur" -v p="$gen_pct" 'BEGIN {print (p >= 90 || w > d * 1.1 + 1) ? "true" : "false"}')
	# sipp keeps its schedule unless it is behind: the offered rate is then the achieved one
	achieved=$rate
	[ "$behind" = true ] && achieved=$(awk -v n="$ok" -v w="$wall" 'BEGIN {printf "%.0f", (w > 1 ? n / (w - 0.5) : 0)}')
	((achieved > rate)) && achieved=$rate
	rf_json="{\"failures\":$failed,\"achieved_per_s\":$achieved,\"ok\":$ok,\"generator_behind\":$behind,"
	rf_json+="\"window_stalls\":0,\"timeouts\":$failed}"
	rf_cpu_us=$(per_req "$t0" "$t1" "$ok" 1)
	rf_proc_us=$(per_req "$p0" "$p1" "$ok" 1)
	local note=""
	if [ "$cur_side" = sipreg ]; then
		note=" sipreg 503s $(dut_figure sipreg_route_exhausted_total),"
		note+=" timeouts $(dut_figure sipreg_route_txn_timeouts_total), process CPU us/call $rf_proc_us;"
	fi
	printf '  %-26s rc %d  calls %d ok %d failed %d in %.1f s (sipp %s %% of CPU %s, behind %s; socket drops %d);' \
		"$name" "$rf_rc" "$calls" "$ok" "$failed" "$wall" "$gen_pct" "$gen_cpu" "$behind" "$rf_peer_drops"
	printf '%s registrar CPU us/call %s\n' "$note" "$rf_cpu_us"
}
# dut_figure NAME: one figure of sipreg's /sipreg/stats (? when unreadable)
dut_figure() {
	"$py" "$client" telemetry "$prefix" /sipreg/stats 2>/dev/null |
		"$py" -c 'import json, sys; print(json.load(sys.stdin)["/sipreg/stats"][sys.argv[1]])' "$1" 2>/dev/null || echo "?"
}

# Kamailio's CPU row comes from its step at cpu_rate (sipreg's from sipreg_cpu)
measure_step_done() {
	if [ "$3" = "$cpu_rate" ] && [ "$rf_rc" = 0 ]; then
		case $1 in
		kamailio) cpu_us_kamailio=$rf_cpu_us ;;
		sipreg) proc_us_sipreg=$rf_proc_us ;; # the development profile's sleeping worker
		esac
	fi
}
# CPU per call of sipreg: a run of its own at cpu_rate with a busy-polling worker (as compare.sh)
sipreg_cpu() {
	idle_sleep=0
	fresh_step sipreg call "cpu$cpu_rate"
	idle_sleep=20
	rf "sipreg-cpu-$cpu_rate" --rate "$cpu_rate" --duration "$step_s"
	[ "$rf_rc" = 0 ] && cpu_us_sipreg=$rf_cpu_us
}

# --- the run -----------------------------------------------------------------------------------
load=$(awk '{print $1}' /proc/loadavg)
echo "routed calls: sipreg (routing.mode=proxy) vs Kamailio ${kam_version:-?} (Debian; registrar + lookup + t_relay),"
echo "registrar on CPU $reg_cpu, sipp caller and callee on CPU $gen_cpu of $ncpu; load average before: $load"
echo "steps (calls/s): $rates; ${step_s} s per step; $confirm confirmation(s); CPU row at $cpu_rate calls/s"
cpu_us_sipreg=null
cpu_us_kamailio=null
proc_us_sipreg=null
total_fail=0
gen_limited=false
declare -A best lim
for side in sipreg kamailio; do
	best[$side]=null lim[$side]="not measured"
	[[ " $sides " == *" $side "* ]] || continue
	echo "== $side"
	measure "$side" call
	best[$side]=$m_best lim[$side]=$m_limit
	total_fail=$((total_fail + m_fail))
	case $m_limit in generator* | both*) gen_limited=true ;; esac
	[ "$side" = sipreg ] && sipreg_cpu
	stop_callee
	stop_dut
	echo "  -> $side: $m_best calls/s with zero failures (limit: $m_limit)"
done

ratio() { # ratio A B: A/B with 2 decimals, or null
	awk -v a="$1" -v b="$2" 'BEGIN {if (a == "null" || b == "null" || b + 0 == 0) print "null"; else printf "%.2f", a / b}'
}
cpu_ratio=$(ratio "$cpu_us_kamailio" "$cpu_us_sipreg")
echo
echo "================ routed calls: sipreg vs Kamailio ================"
printf '%-40s %10s %10s %16s\n' "" sipreg kamailio sipreg/kamailio
row() { printf '%-40s %10s %10s %16s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }
row "calls/s, zero failures" "${best[sipreg]}" "${best[kamailio]}"
row "CPU us per routed call at $cpu_rate/s" "$cpu_us_sipreg" "$cpu_us_kamailio"
row "  sipreg process CPU (sleeping worker)" "$proc_us_sipreg" "$cpu_us_kamailio"
echo "limits: sipreg: ${lim[sipreg]}; kamailio: ${lim[kamailio]}"
echo "CPU per call: its INVITE transaction with its ACK and BYE; Kamailio: user+system time of its processes;"
echo "  sipreg: its worker's busy cycles (af_packet system calls included); the row below it: sipreg's"
echo "  user+system time with the development profile's sleeping worker (idle polling included)."
echo "  Kamailio's over sipreg's: $cpu_ratio"
echo "A limit \"generator\" means sipp could not offer more (>= 90 % of its CPU or late);"
echo "  \"not reached\": raise SR_RB_RATES."
status=0
printf '{"sipreg_cps":%s,"kamailio_cps":%s,"sipreg_cpu_us":%s,"kamailio_cpu_us":%s,"cpu_ratio":%s,"cpu_rate":%s,' \
	"${best[sipreg]}" "${best[kamailio]}" "$cpu_us_sipreg" "$cpu_us_kamailio" "$cpu_ratio" "$cpu_rate"
printf '"sipreg_proc_cpu_us":%s,"proc_cpu_ratio":%s,"load_before":%s,' "$proc_us_sipreg" \
	"$(ratio "$cpu_us_kamailio" "$proc_us_sipreg")" "$load"
printf '"generator_limited":%s,"failures":%s,"smoke":%s,"cpus":%s}\n' "$gen_limited" "$total_fail" \
	"$([ "$smoke" = 1 ] && echo true || echo false)" "$ncpu"
