#!/usr/bin/env bash
# throughput.sh - REGISTER throughput of sipreg over the development network, driven by sipp.
#
# For each worker count, starts sipreg with scripts/run.sh --set workers.count=N (netns
# sr-dut, af_packet over a veth pair), then steps the offered call rate of sipp (netns
# sr-peer, scenario tests/integration/sipp/register_unique.xml: register, refresh, fetch,
# de-register = 4 REGISTERs per call, unique AoRs, one UDP socket per call) upward. Stops
# at the first step with a failed call, or at the first step sipp could not reach (< 95 %
# of the offered rate: offering more is pointless). Reports the best achieved call rate of
# the zero-failure steps as REGISTER/s (x 4) and what limited it. sipreg is stopped with
# SIGTERM between worker counts and must exit 0. Prints a table per worker count and, as
# the last line, one JSON object. Must run as root; creates the development network if it
# is absent (and removes it at exit), refuses to start if anything already runs in it.
# Builds nothing beyond `ninja -C $BUILD_DIR app/sipreg/sipreg`; use a non-sanitized build:
#
#   SR_SANITIZE=0 BUILD_DIR=build-release scripts/setup.sh
#   BUILD_DIR=build-release bench/sipp/throughput.sh
#
#   BUILD_DIR            meson build directory (default: build)
#   SR_WORKERS           worker counts to measure (default: "1 2")
#   SR_BENCH_RATES       offered call rates, ascending (default: "1000 2000 3000 5000 7000 10000 14000 20000")
#   SR_BENCH_STEP_S      seconds of traffic per step: calls = rate x this (default: 10)
#   SR_BENCH_MAX_CALLS   cap on the calls of one step (default: 100000)
#   SR_BENCH_MAX_SOCKET  sipp -max_socket (default: 512, as scripts/sipp-register.sh)
#   SR_BENCH_SET         extra sipreg settings, blank-separated section.key=value (each becomes
#                        run.sh --set), e.g. a deeper af_packet ring than the profile's 4096 frames:
#                        "port.vdev=net_af_packet0,iface=sr-dut0,framesz=16384,blocksz=16384,framecnt=8192"
#   SR_BENCH_KEEP=1      keep the work directory (sipreg log, sipp screens and error logs)
# The default run takes about 2.5 minutes (up to ~4 when a step fails: sipp waits 32 s
# for the lost transactions).
#
# sipp and sipreg share the machine's CPUs (on a 2-CPU machine: sipp, the kernel's veth
# and af_packet work and sipreg's lcores all compete), so the figure is that of the whole
# setup, not of the registrar core (bench/core measures that). Other work on the machine
# distorts it further: the CPU load of the 2 s before the start is printed (warning > 10 %).
#
# Per step (deltas): "DUT loss" = sipreg's own drop counters (/sipreg/stats sipreg_net_drops_total,
# sipreg_sip_drops_total, sipreg_port_*) plus frames the kernel delivered to sr-dut0 that never reached sipreg
# (sr-dut0 rx_packets - sipreg rx packets: the af_packet ring was full, which DPDK 22.11's
# af_packet PMD does not count) plus veth drops towards sr-dut0. "peer loss" = UDP InErrors +
# NoPorts and rx drops in sr-peer (sipp's sockets did not take the answer). "sipp-wd" =
# sipp's watchdog trips (its main loop ran > 500 ms late: sipp is overloaded).
# A step is "generator-limited" when sipp fell behind (< 95 % of the offered rate) while the
# DUT lost nothing or while sipp itself was saturated (>= 90 % of a CPU, sipp being
# single-threaded, or watchdog trips); or when calls failed with all the loss on the peer
# side ("partly" when they failed with loss on both sides and sipp saturated).
set -uo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${BUILD_DIR:-build}
case "$build_dir" in /*) ;; *) build_dir=$here/$build_dir ;; esac
export BUILD_DIR=$build_dir
workers_list=${SR_WORKERS:-1 2}
rates=${SR_BENCH_RATES:-1000 2000 3000 5000 7000 10000 14000 20000}
step_s=${SR_BENCH_STEP_S:-10}
max_calls=${SR_BENCH_MAX_CALLS:-100000}
max_socket=${SR_BENCH_MAX_SOCKET:-512}
prefix=sipreg-bench
py=/usr/bin/python3
client=$here/tests/integration/peer.py
scenario=$here/tests/integration/sipp/register_unique.xml
ncpu=$(nproc)
hz=$(getconf CLK_TCK)

case "${1:-}" in
-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d'; exit 0 ;;
"") ;;
*) echo "throughput: no arguments (configuration by environment: --help)" >&2; exit 2 ;;
esac

die() {
	echo "throughput: $*" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, af_packet)"
command -v sipp >/dev/null || die "sipp not installed (scripts/setup.sh installs sip-tester)"
[ -x "$py" ] || die "/usr/bin/python3 not installed"
[ -f "$build_dir/build.ninja" ] || die "$build_dir is not configured: SR_SANITIZE=0 BUILD_DIR=${BUILD_DIR##*/} scripts/setup.sh"
for n in $workers_list $rates $step_s $max_calls $max_socket; do
	[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: '$n' (SR_WORKERS, SR_BENCH_RATES, SR_BENCH_STEP_S, SR_BENCH_MAX_CALLS, SR_BENCH_MAX_SOCKET)"
done
if ! log=$(ninja -C "$build_dir" app/sipreg/sipreg 2>&1); then
	echo "$log" >&2
	die "build failed"
fi
if meson configure "$build_dir" 2>/dev/null | grep -Eq '^ *b_sanitize +address'; then
	echo "warning: $build_dir is a sanitizer build; numbers are not representative" \
		"(SR_SANITIZE=0 BUILD_DIR=build-release scripts/setup.sh)" >&2
fi

ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }
# another sipreg on sr-dut0 would see the same frames: refuse rather than measure two
for ns in sr-dut sr-peer; do
	if ns_exists "$ns" && [ -n "$(ip netns pids "$ns" 2>/dev/null)" ]; then
		die "processes already run in netns $ns (another sipreg or sipp?): stop them first"
	fi
done

work=$(mktemp -d /tmp/sipreg-bench.XXXXXX)
created_devnet=0
run_pid=
sipreg_pid=
sipp_pid=
status=1

stop_sipreg() { # stop_sipreg: SIGTERM through run.sh; sets stop_rc
	stop_rc=0
	[ -n "$run_pid" ] || return 0
	kill -TERM "$run_pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$run_pid" 2>/dev/null; then
		stop_rc=124
		kill -KILL "$run_pid" 2>/dev/null
		[ -n "$sipreg_pid" ] && kill -KILL "$sipreg_pid" 2>/dev/null
	fi
	wait "$run_pid" 2>/dev/null
	local rc=$?
	[ "$stop_rc" = 124 ] || stop_rc=$rc
	run_pid=
	sipreg_pid=
}

cleanup() {
	trap - EXIT INT TERM
	if [ -n "$sipp_pid" ]; then
		kill -TERM "$sipp_pid" 2>/dev/null # timeout passes it on to sipp, and a KILL 3 s later
		wait "$sipp_pid" 2>/dev/null
	fi
	stop_sipreg
	if [ "$created_devnet" = 1 ]; then
		"$here/scripts/devnet.sh" down >/dev/null 2>&1
	fi
	if [ "$status" = 0 ] && [ "${SR_BENCH_KEEP:-0}" != 1 ]; then
		rm -rf "$work"
	else
		echo "throughput: logs kept in $work" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$here/scripts/devnet_lock.sh"
sr_devnet_lock
ns_exists sr-dut || created_devnet=1
"$here/scripts/devnet.sh" up >/dev/null || die "devnet up failed"
# the namespaces' identity: another script that tears the dev network down and up (the
# integration test does) or runs its own traffic in it would spoil the figures
ns_ident() { stat -L -c %i /run/netns/sr-dut /run/netns/sr-peer 2>/dev/null | tr '\n' ' '; }
devnet_id=$(ns_ident)
check_devnet() { # check_devnet WHEN
	# whoever else uses the dev network now owns it: leave it up at exit
	[ "$(ns_ident)" = "$devnet_id" ] || { created_devnet=0; die "$1: the dev network was removed or recreated by something else; figures discarded"; }
	local p
	for p in $(ip netns pids sr-dut 2>/dev/null); do
		[ "$p" = "$sipreg_pid" ] || { created_devnet=0; die "$1: another process ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)) runs in sr-dut; figures discarded"; }
	done
	p=$(ip netns pids sr-peer 2>/dev/null | head -1)
	[ -z "$p" ] || { created_devnet=0; die "$1: another process ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)) runs in sr-peer; figures discarded"; }
}

# --- counters -------------------------------------------------------------------------
# machine_ticks: "busy total" clock ticks of all CPUs since boot (busy = all but idle and iowait)
machine_ticks() { awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }

# snapshot: one line of numbers, in this order:
#  1 sipreg rx packets  2 tx packets  3 SIP requests  4 2xx responses  5 sipreg drops (all its drop counters)
#  6 sr-dut0 rx_packets  7 sr-peer0 tx_dropped (veth could not hand the frame to sr-dut0)
#  8 peer loss (UDP InErrors + NoPorts and sr-peer0 rx_dropped in sr-peer, sr-dut0 tx_dropped)
#  9 sipreg CPU ticks  10 machine busy ticks  11 machine total ticks
snapshot() {
	local s
	s=$("$py" "$client" telemetry "$prefix" /sipreg/stats 2>/dev/null | "$py" -c '
import json, sys
d = json.load(sys.stdin)["/sipreg/stats"]
sip = d["sipreg_sip_drops_total"]
drops = sum(d["sipreg_net_drops_total"].values()) + sip["garbage"] + sip["no_buffer"] + sum(
	d[k] for k in ("sipreg_port_imissed_total", "sipreg_port_ierrors_total", "sipreg_port_rx_nombuf_total",
		       "sipreg_port_oerrors_total"))
print(d["sipreg_rx_packets_total"], d["sipreg_tx_packets_total"], d["sipreg_sip_requests_total"],
      d["sipreg_responses_total"]["2xx"], drops)' 2>/dev/null) || s="0 0 0 0 0"
	local dut peer cpu
	dut=$(ip netns exec sr-dut cat /sys/class/net/sr-dut0/statistics/{rx_packets,tx_dropped} | tr '\n' ' ')
	# shellcheck disable=SC2016 # expanded by the inner sh
	peer=$(ip netns exec sr-peer sh -c 'cat /sys/class/net/sr-peer0/statistics/tx_dropped /sys/class/net/sr-peer0/statistics/rx_dropped
		awk "/^Udp:/ {n++} n == 2 && /^Udp:/ {print \$3 + \$4; exit}" /proc/net/snmp' | tr '\n' ' ')
	cpu=$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$sipreg_pid/stat" 2>/dev/null || echo 0)
	# shellcheck disable=SC2086
	set -- $dut $peer
	echo "$s $1 $3 $(($2 + $4 + $5)) $cpu $(machine_ticks)"
}

# --- sipreg -----------------------------------------------------------------------------
start_sipreg() { # start_sipreg WORKERS
	local log=$work/sipreg-w$1.log
	local extra=() kv
	for kv in ${SR_BENCH_SET:-}; do extra+=(--set "$kv"); done
	"$here/scripts/run.sh" --set eal.file_prefix=$prefix --set workers.count="$1" "${extra[@]}" >"$log" 2>&1 &
	run_pid=$!
	for _ in $(seq 150); do
		grep -q "sipreg: ready" "$log" && break
		kill -0 "$run_pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q "sipreg: ready" "$log"; then
		cat "$log" >&2
		die "sipreg with $1 workers did not start"
	fi
	sipreg_pid=$(sed -n 's/^run\.sh: sipreg (pid \([0-9]*\)).*/\1/p' "$log")
	local tel=0
	for _ in $(seq 50); do
		"$py" "$client" telemetry "$prefix" /sipreg/stats 2>/dev/null | grep -q "/sipreg/stats" && tel=1 && break
		sleep 0.1
	done
	if [ "$tel" = 0 ] || ! kill -0 "$sipreg_pid" 2>/dev/null; then
		sleep 0.2
		tail -5 "$log" >&2
		die "sipreg ($1 workers) does not answer /sipreg/stats or has exited (see above)"
	fi
	# resolves ARP for 198.51.100.1 and proves the data path before any timing
	ip netns exec sr-peer "$py" "$client" ping >/dev/null || die "sipreg does not answer ICMP echo"
}

# --- one step ---------------------------------------------------------------------------
# run_step WORKERS RATE: runs sipp; sets step_line to one result line (see the fields below)
run_step() {
	local w=$1 rate=$2 calls d
	calls=$((rate * step_s))
	((calls > max_calls)) && calls=$max_calls
	d=$work/w$w-r$rate
	mkdir -p "$d"
	{
		echo SEQUENTIAL
		seq -f "bw${w}r${rate}u%07g;" 1 "$calls"
	} >"$d/users.csv"
	local before after rc t0 t1
	before=$(snapshot)
	# sipp runs in the background and is waited for, so a signal reaches our trap at once;
	# its CPU time is the growth of this shell's children times (nothing else ends meanwhile)
	times >"$d/times.0"
	t0=$EPOCHREALTIME
	# sipp writes its error and screen files into its working directory
	(cd "$d" && exec timeout -k 3 $((calls / rate + 90)) ip netns exec sr-peer sipp \
		-sf "$scenario" -inf "$d/users.csv" -t un -max_socket "$max_socket" -i 198.51.100.2 -p 5070 \
		-m "$calls" -r "$rate" -l $((rate * 2)) -timeout $((calls / rate + 75))s \
		-nostdin -trace_err -trace_screen -screen_file "$d/screen.log" \
		198.51.100.1:5060 >"$d/sipp.out" 2>&1) &
	sipp_pid=$!
	rc=0
	while kill -0 "$sipp_pid" 2>/dev/null; do
		wait "$sipp_pid" && rc=0 || rc=$?
	done
	sipp_pid=
	t1=$EPOCHREALTIME
	times >"$d/times.1"
	# children user and system seconds (second line of `times`), after minus before
	awk -v t0="$t0" -v t1="$t1" '
		function sec(x) {split(x, a, /[ms]/); return a[1] * 60 + a[2]}
		FNR == 2 {u[FILENAME == ARGV[1]] = sec($1); s[FILENAME == ARGV[1]] = sec($2)}
		END {printf "%.3f %.3f %.3f\n", t1 - t0, u[0] - u[1], s[0] - s[1]}' "$d/times.0" "$d/times.1" >"$d/time.txt"
	sleep 0.3 # sipreg publishes shard figures every 100 ms
	after=$(snapshot)
	# the final scenario screen: REGISTER lines (sent) and 200 lines (received)
	local sent retrans timeouts recvd succ failed crate
	read -r sent retrans timeouts recvd < <(awk '
		/Scenario Screen/ {s = r = t = v = 0}
		/---------->/ {n = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) c[++n] = $i; s += c[1]; r += c[2]; t += c[3]}
		/<----------/ {n = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) c[++n] = $i; v += c[1]; t += c[3]}
		END {print s + 0, r + 0, t + 0, v + 0}' "$d/screen.log" 2>/dev/null)
	field() { grep -E "^ +$1 " "$d/screen.log" 2>/dev/null | tail -1 | awk -F'|' '{gsub(/ |cps/, "", $3); print $3}'; }
	succ=$(field "Successful call")
	failed=$(field "Failed call")
	crate=$(field "Call Rate")
	[ -n "$succ" ] || succ=0
	[ -n "$failed" ] || failed=$calls # no final screen: sipp did not finish
	[ -n "$crate" ] || crate=0
	# a call that neither succeeded nor failed (sipp killed) is a failure too
	((succ + failed < calls)) && failed=$((calls - succ))
	local real user sys wd p50 p90
	read -r real user sys <"$d/time.txt" 2>/dev/null || { real=0 user=0 sys=0; }
	# sipp's own overload signal: its main loop ran late by more than 500 ms (-trace_err log)
	wd=$(cat "$d"/*_errors.log 2>/dev/null | grep -o 'watchdog timer [0-9]*ms has been tripped' | wc -l)
	# response time of the first REGISTER as sipp saw it (its queueing included): p50 and p90 buckets
	read -r p50 p90 < <(awk -F: '
		/Response Time Repartition 1/ {on = 1; next}
		on && /<=|>=/ {n++; c[n] = $NF + 0; t += $NF; l = $1; gsub(/ +/, " ", l); sub(/^ /, "", l)
			split(l, f, " "); lab[n] = (f[2] == ">=") ? ">=" f[3] "ms" : (f[1] == 0 ? "<" f[6] "ms" : f[1] "-" f[6] "ms"); next}
		on {on = 0}
		END {for (i = 1; i <= n; i++) {a += c[i]; if (!x && a >= 0.5 * t) x = lab[i]; if (!y && a >= 0.9 * t) y = lab[i]}
			print (x ? x : "?"), (y ? y : "?")}' "$d/screen.log" 2>/dev/null)
	# sipp that sent nothing did not run (bad option, port in use): not a measurement
	[ "${sent:-0}" -gt 0 ] || { step_line=x; return; }
	# one line: rate calls rc succ failed call_rate sent retrans timeouts recvd real user sys wd p50 p90 + deltas
	step_line="$rate $calls $rc $succ $failed $crate $sent $retrans $timeouts $recvd $real $user $sys $wd ${p50:-?} ${p90:-?}"
	step_line+=" $(paste -d' ' <(tr ' ' '\n' <<<"$after") <(tr ' ' '\n' <<<"$before") | awk '{printf "%s ", $1 - $2}')"
}

# --- the run ----------------------------------------------------------------------------
echo "sipreg REGISTER throughput over the development network (sipp in sr-peer -> af_packet/veth -> sipreg in sr-dut)"
echo "machine: $ncpu CPUs ($(awk -F: '/model name/ {sub(/^ +/, "", $2); print $2; exit}' /proc/cpuinfo)); sipp, the kernel's veth/af_packet work and sipreg's lcores share them"
# other work on the machine distorts every figure: sample it before starting anything
busy0=$(machine_ticks)
sleep 2
busy1=$(machine_ticks)
background=$(awk -v a="$busy0" -v b="$busy1" 'BEGIN {split(a, x, " "); split(b, y, " ")
	printf "%.0f", (y[2] > x[2] ? 100 * (y[1] - x[1]) / (y[2] - x[2]) : 0)}')
echo "background load before the run: ${background}% of $ncpu CPUs$([ "$background" -gt 10 ] && echo " -- WARNING: other work is running, the figures will be low and noisy")"
[ -z "${SR_BENCH_SET:-}" ] || echo "extra sipreg settings: $SR_BENCH_SET"
echo "build: $build_dir; worker counts: $workers_list; offered call rates: $rates; ${step_s} s per step, at most $max_calls calls; 1 call = 4 REGISTERs"
echo

json="{"
any_gen=false
total_fail=0
noisy=0
tables=""
for w in $workers_list; do
	start_sipreg "$w"
	echo "== workers=$w (sipreg pid $sipreg_pid)"
	hdr=$(printf '%8s %7s %9s %10s %6s %7s %8s %9s %8s %10s %8s %6s %7s %-17s %s' offered calls achieved REGISTER/s failed \
		retrans DUT-loss peer-loss sipp-cpu sipreg-cpu machine other sipp-wd "rsp p50/p90" generator-limited)
	echo "$hdr"
	rows=""
	best_rate=0 best_achieved=0 best_fail=-1 kind=not_reached
	limit="not reached: every offered rate passed (raise SR_BENCH_RATES)"
	for rate in $rates; do
		kill -0 "$sipreg_pid" 2>/dev/null || die "sipreg ($w workers) exited during the run: see $work/sipreg-w$w.log"
		check_devnet "before the $rate calls/s step"
		run_step "$w" "$rate"
		check_devnet "after the $rate calls/s step"
		kill -0 "$sipreg_pid" 2>/dev/null || die "sipreg ($w workers) exited during the $rate calls/s step: see $work/sipreg-w$w.log"
		if [ "${step_line%% *}" = x ]; then
			tail -5 "$work/w$w-r$rate/sipp.out" >&2
			die "sipp sent nothing at $rate calls/s (see above and $work/w$w-r$rate)"
		fi
		line=$step_line
		read -r _ calls rc succ failed crate sent retrans timeouts recvd real user sys wd p50 p90 \
			d_rx _ _ d_2xx d_drops d_dutrx d_vethdrop d_peerloss d_cpu d_busy d_total <<<"$line"
		ring_loss=$((d_dutrx - d_rx))
		((ring_loss < 0)) && ring_loss=0 # the two counters are read a moment apart
		dut_loss=$((d_drops + ring_loss + d_vethdrop))
		achieved=$(awk -v c="$crate" 'BEGIN {printf "%.0f", c}')
		sipp_cpu=$(awk -v u="$user" -v s="$sys" -v r="$real" 'BEGIN {printf "%.0f", (r > 0 ? 100 * (u + s) / r : 0)}')
		sreg_cpu=$(awk -v t="$d_cpu" -v hz="$hz" -v r="$real" 'BEGIN {printf "%.0f", (r > 0 ? 100 * t / hz / r : 0)}')
		machine=$(awk -v b="$d_busy" -v t="$d_total" 'BEGIN {printf "%.0f", (t > 0 ? 100 * b / t : 0)}')
		# CPU used by neither sipp nor sipreg (other programs; softirq work mostly lands on those two)
		other=$(awk -v m="$machine" -v n="$ncpu" -v a="$sipp_cpu" -v b="$sreg_cpu" 'BEGIN {o = m * n - a - b; printf "%.0f", (o > 0 ? o : 0)}')
		[ "$other" -gt 25 ] && noisy=$((noisy + 1))
		behind=$(awk -v a="$achieved" -v o="$rate" 'BEGIN {print ((a < 0.95 * o) ? 1 : 0)}')
		ok=0
		[ "$failed" = 0 ] && [ "$rc" = 0 ] && ok=1
		# sipp saturated: its loop ran late (watchdog) or it used (nearly) a whole CPU
		sat=0
		{ [ "$wd" -gt 0 ] || [ "$sipp_cpu" -ge 90 ]; } && sat=1
		# answers lost at sipp's end: the DUT lost nothing and answered every request sipp sent
		peer_side=0
		[ "$dut_loss" = 0 ] && { [ "$d_peerloss" -gt 0 ] || [ "$d_2xx" -ge $((sent + retrans)) ]; } && peer_side=1
		step_gen=no
		if [ "$ok" = 1 ]; then
			[ "$behind" = 1 ] && { [ "$sat" = 1 ] || [ "$dut_loss" = 0 ]; } && step_gen=yes
		else
			[ "$peer_side" = 1 ] && step_gen=yes
			[ "$peer_side" = 0 ] && [ "$sat" = 1 ] && step_gen=partly
		fi
		row=$(printf '%8s %7s %9s %10s %6s %7s %8s %9s %7s%% %9s%% %7s%% %5s%% %7s %-17s %s' "$rate" "$calls" "$achieved" \
			$((achieved * 4)) "$failed" "$retrans" "$dut_loss" "$d_peerloss" "$sipp_cpu" "$sreg_cpu" "$machine" "$other" "$wd" \
			"$p50/$p90" "$step_gen")
		echo "$row"
		rows+="$row"$'\n'
		sipp_state="sipp at ${sipp_cpu}% of a CPU, $wd watchdog trips"
		loss="$dut_loss frames lost on the way into sipreg ($ring_loss af_packet ring overflows, $d_vethdrop veth drops, $d_drops sipreg drops), $d_peerloss at sipp's end, $retrans retransmissions"
		if [ "$ok" = 0 ]; then
			((best_fail < 0)) && best_fail=$failed
			case $step_gen in
			yes) kind=generator limit="generator: $failed failed calls at $rate calls/s offered; sipreg received and answered every request, the answers were lost at sipp's end ($sipp_state)" ;;
			partly) kind=both limit="both: $failed failed calls at $rate calls/s offered; $loss; $sipp_state" ;;
			*) if [ "$dut_loss" -gt 0 ]; then
				kind=dut limit="DUT input: $failed failed calls at $rate calls/s offered; $loss; $sipp_state"
			else
				kind=unknown limit="$failed failed calls at $rate calls/s offered (sipp exit $rc), no loss counted on either side: see the sipp logs (SR_BENCH_KEEP=1)"
			fi ;;
			esac
			break
		fi
		best_fail=0
		if [ "$achieved" -gt "$best_achieved" ]; then best_rate=$rate best_achieved=$achieved; fi
		if [ "$behind" = 1 ]; then # offering more is pointless
			if [ "$step_gen" = yes ]; then
				kind=generator limit="generator: sipp achieved $achieved of $rate calls/s offered ($sipp_state; $loss); higher rates not tried"
			else
				kind=dut limit="DUT: sipp achieved $achieved of $rate calls/s offered while not saturated ($sipp_state; $loss); higher rates not tried"
			fi
			break
		fi
	done
	stop_sipreg
	if [ "$stop_rc" != 0 ]; then
		tail -20 "$work/sipreg-w$w.log" >&2
		die "sipreg ($w workers) exit status $stop_rc after SIGTERM (expected 0)"
	fi
	grep -qE "runtime error|AddressSanitizer" "$work/sipreg-w$w.log" && die "sanitizer report in $work/sipreg-w$w.log"
	gen=false
	case $kind in generator | both) gen=true any_gen=true ;; esac
	((best_fail > 0)) && total_fail=$((total_fail + best_fail))
	summary="workers=$w: best zero-failure step: ${best_rate} calls/s offered, ${best_achieved} achieved = $((best_achieved * 4)) REGISTER/s; limit: $limit; sipreg exited 0 on SIGTERM"
	echo "$summary"
	echo
	tables+="== workers=$w"$'\n'"$hdr"$'\n'"$rows$summary"$'\n\n'
	json+="\"workers_${w}_register_per_s\":$((best_achieved * 4)),\"workers_${w}_offered_calls_per_s\":$best_rate,\"workers_${w}_generator_limited\":$gen,\"workers_${w}_limit\":\"$kind\","
done

echo "================ summary ================"
printf '%s' "$tables"
echo "columns: offered/achieved in calls/s (achieved = sipp's cumulative call rate); REGISTER/s = achieved x 4; failed = failed calls;"
echo "  DUT-loss = sipreg drop counters + frames sr-dut0 received that sipreg never saw (af_packet ring full);"
echo "  peer-loss = UDP InErrors/NoPorts + rx drops in sr-peer; sipp-cpu/sipreg-cpu in % of one CPU; machine = busy % of all $ncpu CPUs;"
echo "  other = CPU used by neither sipp nor sipreg in % of one CPU (machine x $ncpu - sipp - sipreg: other programs, unattributed kernel work)"
echo "  sipp-wd = sipp watchdog trips (its loop ran > 500 ms late: the generator is overloaded); rsp = first REGISTER's response time as sipp saw it (its own queueing included)"
echo "background load before the run: ${background}% of $ncpu CPUs"
[ "$noisy" = 0 ] || echo "WARNING: in $noisy steps other programs used > 25 % of a CPU (column other): those figures are distorted, rerun on an idle machine"
echo "note: sipp, the kernel's veth and af_packet work and sipreg share the same $ncpu CPUs: the figure is the whole setup's, not the registrar core's (bench/core)"
status=0
echo "${json}\"generator_limited\":$any_gen,\"failures\":$total_fail,\"cpus\":$ncpu,\"background_load_pct\":$background,\"noisy_steps\":$noisy}"
