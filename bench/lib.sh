# bench/lib.sh - shell functions shared by the dev-network benchmarks (bench/compare.sh,
# bench/persist/durability.sh, bench/route/run.sh); sourced, not run.
#
# What the sourcing script provides (globals, read when a function runs):
#   bench_name   prefix of error messages
#   here         repository root (bench_args sets build_dir, smoke, reg_cpu and gen_cpu)
#   work         scratch directory (logs, regflood outputs); prefix: sipreg's eal.file_prefix
#   bench_keep   1: keep the work directory even after a successful run
#   regflood     path of bench/regflood/regflood
#   rates step_s confirm step_aors refresh_aors  as in compare.sh's SR_CMP_* settings
#   start_dut SIDE [AORS]  (re)starts the registrar under test for SIDE (a name the script picks;
#                          the one below starts sipreg or Kamailio)
#   rf NAME ARGS...        one measured run (normally regflood_run plus a printed line); measure
#                          reads rf_rc, rf_json (regflood's JSON keys) and rf_peer_drops
#   for Kamailio (start_kamailio): kam_cfg (its configuration file), kam_children (UDP workers),
#                          kam_shm_mb (optional: its shared memory, MB, instead of one sized for the AoRs)
#   for sipreg: sipreg_set (array, optional): extra --set arguments of every start_sipreg by start_dut
#   prefix py client          sipreg's file prefix, /usr/bin/python3, tests/integration/peer.py
# and optionally the hooks:
#   measure_step_done SIDE WORKLOAD RATE   after each rate step of measure (rf_* set)
#   bench_cleanup_hook                     first thing bench_cleanup does after stopping the registrar
#   fresh_step SIDE WORKLOAD RATE          a script whose runs are not regflood's defines its own,
#                                          after sourcing this file (bench/route/run.sh does)
#
# Design decisions:
# - Processes are stopped only by the pids this shell started (run_pid: scripts/run.sh, dut_pid:
#   the registrar), never by name: other engineers' registrars may run on the same machine.
# - sipreg's readiness is its own "sipreg: ready" line in a log that every start appends to, so a
#   restart waits for the n-th such line (sipreg_starts) instead of truncating the log.
# - Every measured run starts on a freshly started registrar: a new-registration run with fresh
#   AoRs (first_aor moves on), a refresh run with the same refresh_aors AoRs registered again by
#   regflood's warm-up. A registrar kept across refresh runs would collect one more binding per
#   AoR each run (every regflood run has new source ports, so new Contacts) and answer 503 once
#   registrar.max_contacts (10 in the development profile) is reached.

die() {
	echo "$bench_name: $*" >&2
	exit 1
}

# bench_args [--smoke | -h | --help]: build_dir (BUILD_DIR, default build, made absolute and
# exported), smoke (1 with --smoke), reg_cpu and gen_cpu (one CPU for the registrar, another for
# the generator; the same one on a 1-CPU machine), ncpu. --help prints the script's header comment.
bench_args() {
	build_dir=${BUILD_DIR:-build}
	case "$build_dir" in /*) ;; *) build_dir=$here/$build_dir ;; esac
	export BUILD_DIR=$build_dir
	smoke=0
	case "${1:-}" in
	--smoke) smoke=1 ;;
	"") ;;
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d'; exit 0 ;;
	*) echo "$bench_name: unknown argument '$1' (--smoke or nothing)" >&2; exit 2 ;;
	esac
	ncpu=$(nproc)
	reg_cpu=0
	gen_cpu=$((ncpu > 1 ? 1 : 0))
}

# bench_check VARPREFIX NUMBER...: dies unless run as root with /usr/bin/python3 ($py), every
# NUMBER a positive integer, every word of sides sipreg or kamailio and cpu_rate one of rates
# (VARPREFIX names the script's settings in the messages, e.g. SR_CMP_)
bench_check() {
	local pfx=$1 n s
	shift
	[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, af_packet, apt-get)"
	for n in "$@"; do
		[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: '$n' (${pfx}* settings)"
	done
	for s in $sides; do
		case $s in sipreg | kamailio) ;; *) die "${pfx}SIDES: unknown registrar '$s' (sipreg, kamailio)" ;; esac
	done
	[[ " $rates " == *" $cpu_rate "* ]] || die "${pfx}CPU_RATE ($cpu_rate) must be one of ${pfx}RATES ($rates)"
	[ -x "$py" ] || die "/usr/bin/python3 not installed (scripts/setup.sh installs it)"
}

# bench_build TARGET...: builds the targets in build_dir (dies with the log when that fails);
# warns when build_dir is a sanitizer build
bench_build() {
	local log
	[ -f "$build_dir/build.ninja" ] ||
		die "$build_dir is not configured: SR_SANITIZE=0 BUILD_DIR=${build_dir##*/} scripts/setup.sh"
	if ! log=$(ninja -C "$build_dir" "$@" 2>&1); then
		echo "$log" >&2
		die "build failed"
	fi
	if meson configure "$build_dir" 2>/dev/null | grep -Eq '^ *b_sanitize +address'; then
		echo "warning: $build_dir is a sanitizer build; the numbers are not representative" >&2
	fi
}

ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

# Refuses to measure next to someone else's registrar or generator in the dev namespaces. Takes
# the devnet lock first (bench_devnet_up's call is then a no-op): a test or benchmark that holds it
# is waited for, not taken for a stray process.
bench_require_idle_devnet() {
	local ns
	. "$here/scripts/devnet_lock.sh"
	sr_devnet_lock
	for ns in sr-dut sr-peer; do
		if ns_exists "$ns" && [ -n "$(ip netns pids "$ns" 2>/dev/null)" ]; then
			die "processes already run in netns $ns (another sipreg, Kamailio or generator?): stop them first"
		fi
	done
}

# Brings the dev network up, remembering whether this script created it (bench_cleanup removes it then).
bench_devnet_up() {
	. "$here/scripts/devnet_lock.sh"
	sr_devnet_lock
	created_devnet=0
	ns_exists sr-dut || created_devnet=1
	"$here/scripts/devnet.sh" up >/dev/null || die "devnet up failed"
}

# peer_rx_steer CPU|off: which CPU runs sr-peer0's receive work. veth hands a frame to its peer in
# the sender's context, so without steering the generator side's IP/UDP receive of every response
# (socket lookup, queueing, waking the generator) runs inside the registrar's own transmit and is
# charged to the registrar, sipreg and Kamailio alike. RPS on sr-peer0's receive queue moves that
# work to CPU (the generator's) through its backlog, leaving each side its own CPU. Per device: it
# ends with the namespace, and bench_cleanup turns it off when the namespace outlives the run.
peer_rx_steer() {
	local mask=0
	[ "$1" = off ] || mask=$(printf '%x' $((1 << $1)))
	ip netns exec sr-peer sh -c "echo $mask >/sys/class/net/sr-peer0/queues/rx-0/rps_cpus" ||
		die "cannot set RPS on sr-peer0"
}

run_pid= # scripts/run.sh (sipreg's parent)
dut_pid= # the registrar process
status=1 # set to 0 by the script when it has its result: keeps the logs otherwise

# stop_pid PID TENTHS: SIGTERM to PID (a child of this shell), SIGKILL after TENTHS tenths of a
# second; returns 1 when it had to be killed
stop_pid() {
	local killed=0
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq "$2"); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		killed=1
	fi
	wait "$1" 2>/dev/null
	return $killed
}

stop_dut() {
	local p=${run_pid:-$dut_pid}
	if [ -n "$p" ] && ! stop_pid "$p" 100; then
		[ -n "$dut_pid" ] && kill -KILL "$dut_pid" 2>/dev/null
	fi
	# a registrar's children end with their parent; wait for the namespace to empty (bounded)
	for _ in $(seq 50); do [ -z "$(ip netns pids sr-dut 2>/dev/null)" ] && break; sleep 0.1; done
	run_pid=
	dut_pid=
}

# Exit trap: stops the registrar, runs the script's hook, removes the dev network if this script
# created it, and the work directory unless the run failed or bench_keep=1.
bench_cleanup() {
	trap - EXIT INT TERM
	stop_dut
	declare -F bench_cleanup_hook >/dev/null && bench_cleanup_hook
	kam_unaddress
	# a network this run found up outlives it: leave sr-peer0 unsteered for the next user
	[ "${created_devnet:-0}" = 1 ] || peer_rx_steer off 2>/dev/null
	[ "${created_devnet:-0}" = 1 ] && "$here/scripts/devnet.sh" down >/dev/null 2>&1
	if [ "$status" = 0 ] && [ "${bench_keep:-0}" != 1 ]; then
		rm -rf "$work"
	else
		echo "$bench_name: logs kept in $work" >&2
	fi
}

# --- Kamailio (bench/compare.sh, bench/route/run.sh) ---------------------------------------------

# kam_install: Debian's kamailio package when missing (not scripts/setup.sh's: only the benchmarks
# and their smoke tests need it); sets kam_version
kam_install() {
	if ! command -v kamailio >/dev/null; then
		echo "$bench_name: installing Debian's kamailio package" >&2
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kamailio; } \
			>/dev/null || die "apt-get install kamailio failed"
	fi
	kam_version=$(kamailio -v 2>/dev/null | sed -n 's/^version: kamailio \([^ ]*\).*/\1/p')
}

kam_addr=0 # 1: 198.51.100.1 was put on sr-dut0 for Kamailio (sipreg's af_packet port does not need it)
kam_unaddress() {
	if [ "$kam_addr" = 1 ]; then
		ip netns exec sr-dut ip addr del 198.51.100.1/24 dev sr-dut0 2>/dev/null
		kam_addr=0
	fi
}

# start_kamailio AORS: Kamailio with kam_cfg in sr-dut on reg_cpu, its usrloc hash sized for AORS
start_kamailio() {
	local log=$work/kamailio.log bits=10 shm
	while (((1 << bits) < $1 && bits < 20)); do bits=$((bits + 1)); done
	shm=${kam_shm_mb:-$(($1 / 512 + 256))} # ~2 KB of shared memory per AoR, at least 256 MB
	if [ "$kam_addr" = 0 ]; then
		ip netns exec sr-dut ip addr replace 198.51.100.1/24 dev sr-dut0 || die "cannot address sr-dut0"
		kam_addr=1
	fi
	mkdir -p "$work/kam"
	ip netns exec sr-dut taskset -c "$reg_cpu" kamailio -f "$kam_cfg" -DD -E -x tlsf -b 4194304 \
		-n "$kam_children" -l udp:198.51.100.1:5060 -A UL_HASH_SIZE=$bits -m "$shm" -M 16 \
		-Y "$work/kam" -P "$work/kam/kamailio.pid" -w "$work/kam" >>"$log" 2>&1 &
	dut_pid=$!
	for _ in $(seq 100); do
		ip netns exec sr-dut ss -Hlun 2>/dev/null | grep -q '198\.51\.100\.1:5060' && break
		kill -0 "$dut_pid" 2>/dev/null || break
		sleep 0.1
	done
	ip netns exec sr-dut ss -Hlun 2>/dev/null | grep -q '198\.51\.100\.1:5060' ||
		{ tail -20 "$log" >&2; die "kamailio did not start"; }
	sleep 0.3 # its children start after the socket is bound
	ip netns exec sr-peer ip neigh flush dev sr-peer0 >/dev/null 2>&1
}

# start_dut SIDE [AORS]: stops the registrar under test and starts SIDE (sipreg or kamailio); sets cur_side
cur_side=
start_dut() {
	stop_dut
	cur_side=$1
	if [ "$1" = sipreg ]; then
		start_sipreg ${sipreg_set[@]+"${sipreg_set[@]}"}
	else
		start_kamailio "${2:-$step_aors}"
	fi
}

hz=$(getconf CLK_TCK)
# CPU time (us) the registrar has spent so far. Kamailio: user + system time of all its
# processes. sipreg: its worker's busy cycles (wall-clock TSC of the loop iterations that did
# work, /sipreg/stats sipreg_busy_cycles_total / sipreg_tsc_hz; a poll-mode worker is always 100 % busy to the
# kernel). Those iterations include the af_packet PMD's system calls (the sendto that kicks
# transmission), so the kernel's time on its behalf is in the figure and is not added again.
dut_cpu_us() {
	[ "$cur_side" = sipreg ] || { echo "$(dut_ticks) 0"; return; }
	local busy
	busy=$("$py" "$client" telemetry "$prefix" /sipreg/stats 2>/dev/null | "$py" -c '
import json, sys
d = json.load(sys.stdin)["/sipreg/stats"]
print("%.0f" % (d["sipreg_busy_cycles_total"] * 1e6 / d["sipreg_tsc_hz"]))' 2>/dev/null) || busy=x
	[ "$busy" = x ] && { echo x; return; }
	echo "$busy $busy" # total, and of it sipreg's worker busy time
}
# CPU ticks (user + system) of one process, 0 when it is gone
ticks_of() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# dut_ticks: CPU time (us, user + system, /proc/PID/stat) of every process in sr-dut (bench/route,
# bench/compare.sh). For sipreg it is the second CPU figure: robust to other work on its CPU (busy
# cycles are wall-clock time, so a preempted busy iteration counts whole), but it includes the
# worker's polling between its sleeps
dut_ticks() {
	local p t=0
	for p in $(ip netns pids sr-dut 2>/dev/null); do t=$((t + $(ticks_of "$p"))); done
	echo $((t * 1000000 / hz))
}
# per_req T0 T1 N: CPU us per request from two dut_cpu_us readings (field F), or null
per_req() {
	awk -v a="$1" -v b="$2" -v n="$3" -v f="$4" 'BEGIN {
		if (a == "x" || b == "x" || n + 0 == 0) {print "null"; exit}
		split(a, x, " "); split(b, y, " "); printf "%.2f", (y[f] - x[f]) / n}'
}

# start_sipreg [--set KEY=VALUE]...: sipreg in sr-dut with one worker, worker and control lcore on
# reg_cpu, workers.idle_sleep_us=$idle_sleep; extra settings are appended (they win). Sets
# dut_pid and run_pid; checks that it answers ICMP echo.
sipreg_starts=0
idle_sleep=20 # the development profile's: the worker yields its CPU when there is nothing to do
start_sipreg() {
	local log=$work/sipreg.log
	touch "$log"
	sipreg_starts=$((sipreg_starts + 1))
	"$here/scripts/run.sh" --set eal.file_prefix="$prefix" --set workers.count=1 \
		--set workers.idle_sleep_us=$idle_sleep --set eal.lcores="0@$reg_cpu,1@$reg_cpu" \
		--set registrar.max_aors=$((step_aors + refresh_aors + 1024)) "$@" >>"$log" 2>&1 &
	run_pid=$!
	for _ in $(seq 150); do
		[ "$(grep -c "sipreg: ready" "$log")" -ge "$sipreg_starts" ] && break
		kill -0 "$run_pid" 2>/dev/null || break
		sleep 0.1
	done
	[ "$(grep -c "sipreg: ready" "$log")" -ge "$sipreg_starts" ] || { tail -20 "$log" >&2; die "sipreg did not start"; }
	dut_pid=$(sed -n 's/^run\.sh: sipreg (pid \([0-9]*\)).*/\1/p' "$log" | tail -1)
	ip netns exec sr-peer ip neigh flush dev sr-peer0 >/dev/null 2>&1
	ip netns exec sr-peer /usr/bin/python3 "$here/tests/integration/peer.py" ping >/dev/null ||
		die "sipreg does not answer ICMP echo"
}

# jget JSON KEY: the value of KEY in a flat JSON object (quotes stripped), or nothing
jget() { sed -n 's/.*"'"$2"'":"\{0,1\}\([^,"}]*\).*/\1/p' <<<"$1"; }

# regflood_run NAME ARGS...: regflood in sr-peer on the generator CPU, output in $work/NAME.out;
# sets rf_json (its last line, or a failure object when it printed none) and rf_rc
# peer_rcvbuf_drops: UDP datagrams the kernel of sr-peer dropped for full socket buffers
# (/proc/net/snmp Udp RcvbufErrors): responses the generator itself lost
peer_rcvbuf_drops() {
	ip netns exec sr-peer awk '/^Udp:/ && !h {for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1; next}
		/^Udp:/ {print $c + 0}' /proc/net/snmp 2>/dev/null || echo 0
}

# regflood_run NAME ARGS...: one regflood run in sr-peer; sets rf_rc, rf_json and rf_peer_drops
# (responses dropped by the generator's own socket buffers during the run)
regflood_run() {
	local name=$1 d0
	shift
	d0=$(peer_rcvbuf_drops)
	timeout -k 3 $((step_s + 120)) ip netns exec sr-peer taskset -c "$gen_cpu" "$regflood" \
		--dest 198.51.100.1:5060 --local 198.51.100.2 --sockets 4 "$@" >"$work/$name.out" 2>&1
	rf_rc=$?
	rf_peer_drops=$(($(peer_rcvbuf_drops) - d0))
	rf_json=$(tail -1 "$work/$name.out")
	[[ "$rf_json" == "{"* ]] || rf_json='{"result":"fail","failures":1,"achieved_per_s":0,"ok":0,"generator_behind":false}'
}

# rf_summary NAME: regflood's sent, failures and latency lines of run NAME on one line, and the
# responses the generator's sockets dropped (rf_peer_drops)
rf_summary() {
	awk '/^  (sent|failures|latency)/' "$work/$1.out" | tr -s ' ' | tr '\n' ';'
	echo " generator socket drops ${rf_peer_drops:-0};"
}

# fresh_step SIDE WORKLOAD RATE: restarts the registrar for one run of WORKLOAD (new | refresh) at
# RATE and sets rf_args: new, fresh AoRs (RATE * step_s of them, at most step_aors); refresh, the
# refresh_aors AoRs
first_aor=0
fresh_step() {
	if [ "$2" = refresh ]; then
		start_dut "$1" "$refresh_aors"
		rf_args=(--workload refresh --aors "$refresh_aors" --first-aor 8000000)
		return
	fi
	local n=$(($3 * step_s))
	((n > step_aors)) && n=$step_aors
	start_dut "$1"
	rf_args=(--workload new --aors "$n" --first-aor "$first_aor")
	first_aor=$(((first_aor + n) % 5000000))
}

# measure SIDE WORKLOAD (new | refresh), each run on a fresh registrar (fresh_step): the highest
# zero-failure rate of the steps, confirmed confirm times (median achieved rate, a failed run
# counts as 0; when that median is 0, most confirmations failed and the next lower step that
# passed is confirmed instead), then p99 at 80 % of it (unless measure_p99=0). Sets m_best m_limit
# m_fail (failures in the reported confirmations) m_p99.
measure() {
	local side=$1 wl=$2 rate best=0 limit=registrar json passed=()
	m_fail=0
	for rate in $rates; do
		fresh_step "$side" "$wl" "$rate"
		rf "$side-$wl-$rate" "${rf_args[@]}" --rate "$rate" --duration "$step_s"
		json=$rf_json
		declare -F measure_step_done >/dev/null && measure_step_done "$side" "$wl" "$rate"
		if [ "$rf_rc" != 0 ]; then
			# the generator could not offer the rate: it is the limit, alone if the registrar
			# answered everything it was sent (failures of another kind than timeouts aside)
			if [ "$(jget "$json" generator_behind)" = true ]; then
				if [ "$(jget "$json" window_stalls)" = 0 ] && [ "$(jget "$json" timeouts)" = 0 ]; then
					limit=generator
				else
					limit="both (the generator fell behind and the registrar lost requests)"
				fi
			elif ((rf_peer_drops > 0)); then
				# timeouts whose responses reached sr-peer but found the generator's sockets full
				limit="generator (its sockets dropped $rf_peer_drops responses at $rate/s)"
			fi
			break
		fi
		if [ "$(jget "$json" generator_behind)" = true ]; then
			[ "$(jget "$json" window_stalls)" = 0 ] && limit=generator
			passed+=("$rate")
			break
		fi
		passed+=("$rate")
		[ "$rate" = "${rates##* }" ] && limit="not reached (every step passed)"
	done
	local results i k=${#passed[@]} drops
	m_best=0
	while ((k > 0 && m_best == 0)); do
		k=$((k - 1))
		best=${passed[$k]}
		results=()
		m_fail=0
		drops=0
		for i in $(seq "$confirm"); do
			fresh_step "$side" "$wl" "$best"
			rf "$side-$wl-confirm$best-$i" "${rf_args[@]}" --rate "$best" --duration "$step_s"
			if [ "$rf_rc" = 0 ]; then
				results+=("$(jget "$rf_json" achieved_per_s)")
			else
				results+=(0)
				m_fail=$((m_fail + $(jget "$rf_json" failures) + 0))
				drops=$((drops + rf_peer_drops))
			fi
		done
		m_best=$(printf '%s\n' "${results[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)] + 0}')
		if ((m_best == 0 && k > 0)); then
			limit="registrar (most confirmations at $best/s failed)"
			((drops > 0)) && limit="most confirmations at $best/s failed; the generator's sockets dropped $drops responses"
		fi
	done
	m_limit=$limit
	m_p99=null
	local r80=$((m_best * 8 / 10))
	if ((r80 > 0)) && [ "${measure_p99:-1}" = 1 ]; then
		fresh_step "$side" "$wl" "$r80"
		rf "$side-$wl-p99" "${rf_args[@]}" --rate "$r80" --duration "$step_s"
		[ "$rf_rc" = 0 ] && m_p99=$(jget "$rf_json" p99_us)
	fi
}
