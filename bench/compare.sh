#!/usr/bin/env bash
# compare.sh [--smoke] - sipreg against Kamailio, side by side, one command.
#
# Both registrars run in netns sr-dut on 198.51.100.1:5060 (one at a time), pinned to one
# CPU (sipreg: worker and control lcore on the same CPU via eal.lcores; Kamailio: taskset);
# the load generator bench/regflood runs in netns sr-peer pinned to another CPU. For each:
#   - the highest REGISTER rate sustained with zero failures for SR_CMP_STEP_S seconds, for
#     new registrations and for refreshes: rate steps upward until the first failure, then
#     SR_CMP_CONFIRM confirmation runs at the best step; the median achieved rate is reported;
#     every run on a freshly started registrar (bench/lib.sh's measure);
#   - CPU us per new REGISTER at the same offered load (SR_CMP_CPU_RATE) for both: the CPU time
#     (user + system, /proc/PID/stat) of every process in sr-dut during that step, per REGISTER
#     answered (Kamailio); for sipreg, whose poll-mode worker always looks 100 % busy to the
#     kernel, its worker's busy cycles from its own counters (/sipreg/stats sipreg_busy_cycles_total: wall
#     time of the loop iterations that did work, so the af_packet system calls made in them,
#     the kernel's work on its behalf, are included), measured in a run of its own with a
#     busy-polling worker (idle_sleep_us=0); every other sipreg run uses the development
#     profile's idle_sleep_us=20. Measured both ways, each on a freshly started registrar:
#     with the generator side's receive of the responses steered to the generator's CPU (RPS on
#     sr-peer0, bench/lib.sh's peer_rx_steer: each side's own CPU; the sipreg_cpu_us,
#     kamailio_cpu_us and cpu_ratio keys) and unsteered, where veth runs that receive inside the
#     registrar's transmit (the *_unsteered keys). The receive of the requests runs on the
#     generator's CPU either way, for both;
#   - p99 latency at 80 % of its own maximum (new registrations and refreshes);
#   - resident memory per binding at SR_CMP_MEM_AORS AoRs: Kamailio = growth of the PSS of its
#     processes while that many AoRs are registered; sipreg = bench/core's rss_bytes_per_binding
#     (the same binding table, measured in-process, where nothing else shares the figure).
# Prints one table with the ratio sipreg/Kamailio per row and, as the last line, one JSON object
# (keys: sipreg_new kamailio_new sipreg_refresh kamailio_refresh sipreg_cpu_us kamailio_cpu_us
# cpu_ratio generator_limited failures, and more). Exit 0 when both sides were measured (the
# figures themselves are the result), 1 on a set-up failure.
#
# Kamailio comes from Debian's package `kamailio`, installed here with apt-get when missing (not by
# scripts/setup.sh: the test command pulls it only when the smoke test runs). Its configuration is
# bench/kamailio/kamailio.cfg. Only the processes this script started are stopped, by pid. The
# functions it shares with bench/persist/durability.sh (starting sipreg, regflood runs, the rate
# steps) are in bench/lib.sh. Must
# run as root on an otherwise idle dev network; use a non-sanitized build:
#
#   SR_SANITIZE=0 BUILD_DIR=build-bench scripts/setup.sh && BUILD_DIR=build-bench bench/compare.sh
#
#   BUILD_DIR         meson build directory (default: build)
#   --smoke           a few seconds per side (the integration test): 2 steps of 2 s, 1 confirmation
#   SR_CMP_RATES      offered REGISTER/s steps, ascending (default 10000 20000 40000 60000 80000
#                     100000 130000 160000 200000)
#   SR_CMP_STEP_S     seconds per step (default 10); a new-registration step also ends when its
#                     SR_CMP_STEP_AORS fresh AoRs (default 2000000: 10 s at the top step) are used up
#   SR_CMP_CONFIRM    confirmation runs (default 3)
#   SR_CMP_CPU_RATE   the common offered load of the CPU row (default 20000; must be one of the steps)
#   SR_CMP_REFRESH_AORS  AoRs refreshed over and over (default 50000)
#   SR_CMP_MEM_AORS   AoRs of the memory row (default 1000000)
#   SR_CMP_KAM_CHILDREN  Kamailio UDP worker processes (default 1: one CPU)
#   SR_CMP_SIDES      which registrars to measure (default "sipreg kamailio"; the other's figures are null)
#   SR_PMD            sipreg's DPDK driver on the veth: af_packet (default) or af_xdp (scripts/pmd.sh: one
#                     worker, as here anyway); the JSON's "pmd" says which. Kamailio uses kernel sockets.
#   SR_CMP_KEEP=1     keep the work directory
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bench_name=compare
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"
bench_args "$@"
if [ "$smoke" = 1 ]; then
	rates=${SR_CMP_RATES:-2000 5000}
	step_s=${SR_CMP_STEP_S:-2}
	confirm=${SR_CMP_CONFIRM:-1}
	cpu_rate=${SR_CMP_CPU_RATE:-2000}
	refresh_aors=${SR_CMP_REFRESH_AORS:-2000}
	mem_aors=${SR_CMP_MEM_AORS:-10000}
else
	rates=${SR_CMP_RATES:-10000 20000 40000 60000 80000 100000 130000 160000 200000}
	step_s=${SR_CMP_STEP_S:-10}
	confirm=${SR_CMP_CONFIRM:-3}
	cpu_rate=${SR_CMP_CPU_RATE:-20000}
	refresh_aors=${SR_CMP_REFRESH_AORS:-50000}
	mem_aors=${SR_CMP_MEM_AORS:-1000000}
fi
step_aors=${SR_CMP_STEP_AORS:-2000000}
bench_keep=${SR_CMP_KEEP:-0}
sides=${SR_CMP_SIDES:-sipreg kamailio}
kam_children=${SR_CMP_KAM_CHILDREN:-1}
prefix=sipreg-cmp
py=/usr/bin/python3
client=$here/tests/integration/peer.py
kam_cfg=$here/bench/kamailio/kamailio.cfg
regflood=$build_dir/bench/regflood/regflood
bench_check SR_CMP_ $rates $step_s $confirm $cpu_rate $refresh_aors $mem_aors $step_aors $kam_children
bench_build app/sipreg/sipreg bench/regflood/regflood bench/core/bench_core
kam_install

bench_require_idle_devnet

work=$(mktemp -d /tmp/sipreg-cmp.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
bench_devnet_up

# --- the registrars (start_sipreg and start_kamailio in bench/lib.sh) ----------------------------


# PSS (kB) of every process in sr-dut
dut_pss_kb() {
	local p
	for p in $(ip netns pids sr-dut 2>/dev/null); do
		awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null
	done | awk '{s += $1} END {print s + 0}'
}

# --- one generator run -------------------------------------------------------------------------
# rf NAME ARGS...: regflood in sr-peer on the generator CPU; sets rf_json, rf_rc, rf_cpu_us
# (registrar CPU us per REGISTER answered during the run, warm-up included in neither). For sipreg
# it also prints its processes' user + system time per REGISTER (dut_ticks): with the development
# profile's idle_sleep_us=20 that is the worker's work plus its polls and sleeps between bursts.
rf() {
	local name=$1
	shift
	local t0 t1 p0 p1
	t0=$(dut_cpu_us)
	p0=$(dut_ticks)
	regflood_run "$name" "$@"
	t1=$(dut_cpu_us)
	p1=$(dut_ticks)
	local ok
	ok=$(jget "$rf_json" ok)
	rf_cpu_us=$(per_req "$t0" "$t1" "${ok:-0}" 1)
	local busy_us proc_us
	busy_us=$(per_req "$t0" "$t1" "${ok:-0}" 2)
	proc_us=$(per_req "$p0" "$p1" "${ok:-0}" 1)
	[ "$cur_side" = sipreg ] || busy_us=- proc_us=-
	printf '  %-28s rc %d  %s registrar CPU us/REGISTER %s (worker busy %s, process %s)\n' "$name" "$rf_rc" \
		"$(rf_summary "$name")" "$rf_cpu_us" "$busy_us" "$proc_us"
}

# --- CPU per REGISTER -----------------------------------------------------------------------------
# cpu_row SIDE STEER: CPU us per new REGISTER of SIDE at cpu_rate, on a freshly started registrar,
# with sr-peer0's receive work steered to the generator's CPU (STEER=on) or left where veth runs it,
# inside the registrar's transmit (off); sets cpu[SIDE.STEER]. sipreg runs with a busy-polling worker
# (idle_sleep_us=0): a sleeping worker's nanosleep calls would count as system time, and a busy poll
# costs nothing in busy_cycles (only iterations that did work are counted).
declare -A cpu
cpu_row() {
	local side=$1 steer=$2
	cpu[$side.$steer]=null
	[ "$steer" = on ] && peer_rx_steer "$gen_cpu"
	[ "$side" = sipreg ] && idle_sleep=0
	start_dut "$side" $((cpu_rate * step_s))
	idle_sleep=20
	rf "$side-cpu-$cpu_rate-steer-$steer" --workload new --aors $((cpu_rate * step_s)) --first-aor 5000000 \
		--rate "$cpu_rate" --duration "$step_s"
	[ "$rf_rc" = 0 ] && cpu[$side.$steer]=$rf_cpu_us
	peer_rx_steer off
}

# memory per binding of Kamailio: PSS growth while mem_aors AoRs are registered
kam_memory() {
	start_dut kamailio "$mem_aors"
	local before after
	before=$(dut_pss_kb)
	rf kamailio-memory --workload new --aors "$mem_aors" --first-aor 0 --duration 600 --window 512
	after=$(dut_pss_kb)
	if [ "$rf_rc" = 0 ]; then
		kam_mem=$(((after - before) * 1024 / mem_aors))
	else
		kam_mem=null
	fi
}

# --- the run -----------------------------------------------------------------------------------
echo "sipreg (${SR_PMD:-af_packet} PMD) vs Kamailio ${kam_version:-?} (Debian), registrar on CPU $reg_cpu, bench/regflood on CPU $gen_cpu of $ncpu"
echo "steps (REGISTER/s): $rates; ${step_s} s per step; $confirm confirmation(s); CPU row at $cpu_rate/s; memory at $mem_aors AoRs"
total_fail=0
gen_limited=false
declare -A best lim p99
sipreg_mem=null
kam_mem=null
for side in sipreg kamailio; do
	best[$side.new]=null best[$side.refresh]=null lim[$side.new]="not measured" lim[$side.refresh]="not measured"
	p99[$side.new]=null p99[$side.refresh]=null
	[[ " $sides " == *" $side "* ]] || continue
	echo "== $side"
	for wl in new refresh; do
		measure "$side" "$wl"
		best[$side.$wl]=$m_best lim[$side.$wl]=$m_limit p99[$side.$wl]=$m_p99
		total_fail=$((total_fail + m_fail))
		case $m_limit in generator* | both*) gen_limited=true ;; esac
		echo "  -> $side $wl: $m_best REGISTER/s sustained (limit: $m_limit), p99 at 80 %: $m_p99 us"
	done
	cpu_row "$side" on
	cpu_row "$side" off
	if [ "$side" = sipreg ]; then
		stop_dut
		sipreg_mem=$(taskset -c "$reg_cpu" "$build_dir/bench/core/bench_core" "$mem_aors" 2>/dev/null | tail -1 |
			sed -n 's/.*"rss_bytes_per_binding":\([0-9.]*\).*/\1/p')
		[ -n "$sipreg_mem" ] || sipreg_mem=null
	else
		kam_memory
	fi
	stop_dut
done

ratio() { # ratio A B: A/B with 2 decimals, or null
	awk -v a="$1" -v b="$2" 'BEGIN {if (a == "null" || b == "null" || b + 0 == 0) print "null"; else printf "%.2f", a / b}'
}
for side in sipreg kamailio; do
	[ -n "${cpu[$side.on]:-}" ] || cpu[$side.on]=null cpu[$side.off]=null
done
cpu_us_sipreg=${cpu[sipreg.on]} cpu_us_kamailio=${cpu[kamailio.on]}
cpu_ratio=$(ratio "$cpu_us_kamailio" "$cpu_us_sipreg")
cpu_ratio_unsteered=$(ratio "${cpu[kamailio.off]}" "${cpu[sipreg.off]}")
echo
echo "================ sipreg vs Kamailio ================"
printf '%-38s %12s %12s %16s\n' "" sipreg kamailio sipreg/kamailio
row() { printf '%-38s %12s %12s %16s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }
row "new REGISTER/s, zero failures" "${best[sipreg.new]}" "${best[kamailio.new]}"
row "refresh REGISTER/s, zero failures" "${best[sipreg.refresh]}" "${best[kamailio.refresh]}"
row "CPU us per new REGISTER at $cpu_rate/s" "$cpu_us_sipreg" "$cpu_us_kamailio"
row "  the same, peer receive not steered" "${cpu[sipreg.off]}" "${cpu[kamailio.off]}"
row "p99 us, new, at 80 % of own max" "${p99[sipreg.new]}" "${p99[kamailio.new]}"
row "p99 us, refresh, at 80 % of own max" "${p99[sipreg.refresh]}" "${p99[kamailio.refresh]}"
row "bytes per binding at $mem_aors AoRs" "$sipreg_mem" "$kam_mem"
echo "limits: sipreg new: ${lim[sipreg.new]}; sipreg refresh: ${lim[sipreg.refresh]};" \
	"kamailio new: ${lim[kamailio.new]}; kamailio refresh: ${lim[kamailio.refresh]}"
echo "CPU: per REGISTER answered; Kamailio: user+system time of its processes; sipreg: its worker's busy cycles"
echo "  (the PMD's system calls included). The generator side's receive of the responses is steered to its own"
echo "  CPU (RPS on sr-peer0); unsteered veth runs it inside the registrar's transmit. Kamailio's CPU over"
echo "  sipreg's: $cpu_ratio (unsteered: $cpu_ratio_unsteered). Memory: Kamailio PSS growth;"
echo "  sipreg: bench/core RSS."
echo "A limit \"not reached\" means every offered step passed: raise SR_CMP_RATES; \"generator\": regflood could not offer more."
status=0
printf '{"sipreg_new":%s,"kamailio_new":%s,"sipreg_refresh":%s,"kamailio_refresh":%s,' \
	"${best[sipreg.new]}" "${best[kamailio.new]}" "${best[sipreg.refresh]}" "${best[kamailio.refresh]}"
printf '"sipreg_cpu_us":%s,"kamailio_cpu_us":%s,"cpu_ratio":%s,"cpu_rate":%s,' \
	"$cpu_us_sipreg" "$cpu_us_kamailio" "$cpu_ratio" "$cpu_rate"
printf '"sipreg_cpu_us_unsteered":%s,"kamailio_cpu_us_unsteered":%s,"cpu_ratio_unsteered":%s,' \
	"${cpu[sipreg.off]}" "${cpu[kamailio.off]}" "$cpu_ratio_unsteered"
printf '"sipreg_p99_new_us":%s,"kamailio_p99_new_us":%s,"sipreg_p99_refresh_us":%s,"kamailio_p99_refresh_us":%s,' \
	"${p99[sipreg.new]}" "${p99[kamailio.new]}" "${p99[sipreg.refresh]}" "${p99[kamailio.refresh]}"
printf '"sipreg_bytes_per_binding":%s,"kamailio_bytes_per_binding":%s,"mem_aors":%s,' "$sipreg_mem" "$kam_mem" "$mem_aors"
printf '"generator_limited":%s,"failures":%s,"smoke":%s,"cpus":%s,"pmd":"%s"}\n' "$gen_limited" "$total_fail" \
	"$([ "$smoke" = 1 ] && echo true || echo false)" "$ncpu" "${SR_PMD:-af_packet}"
