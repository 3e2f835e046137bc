#!/usr/bin/env bash
# durability.sh [--smoke] - the REGISTER/s cost of sync durability through the data plane, one command.
#
# sipreg (1 worker; worker and control lcore on one CPU, as in bench/compare.sh) runs in netns sr-dut
# with persistence on, once with control.durability=async and once with sync, each time on an empty
# data directory under the work directory (/tmp: the machine's disk, so fsync is real); bench/regflood
# runs in netns sr-peer on the other CPU. For each mode:
#   - the highest REGISTER rate sustained with zero failures for SR_DUR_STEP_S seconds, for new
#     registrations (fresh AoRs) and for refreshes, every run on a freshly started sipreg: rate
#     steps upward until the first failure, then SR_DUR_CONFIRM confirmation runs at the best step,
#     median achieved rate (bench/lib.sh's measure, the same procedure as bench/compare.sh);
#   - p99 latency at 80 % of that maximum;
#   - p50 and p99 latency at one common offered rate, SR_DUR_LAT_RATE, in both modes.
# Every figure comes from regflood's own report (rate, latency, failures), none from sipreg's statistics.
# In sync mode a 200 leaves only once the control core has committed its change (group commit, one
# fsync per group: app/sipreg/persist.c, lib/ctl/ctl_holdq.h), so its latency includes a commit.
# Prints one table and, as the last line, one JSON object (keys: async_new sync_new async_refresh
# sync_refresh, async_p50_new_us ... sync_p99_refresh_us at lat_rate, async_p99_new_80_us ...,
# lat_rate, generator_limited, failures). Exit 0 when both modes were measured, 1 on a set-up failure.
# Must run as root on an otherwise idle dev network (wrap it in flock /tmp/sr-devnet.lock on a shared
# machine); use a non-sanitized build:
#
#   SR_SANITIZE=0 BUILD_DIR=build-bench scripts/setup.sh && BUILD_DIR=build-bench bench/persist/durability.sh
#
#   BUILD_DIR          meson build directory (default: build)
#   --smoke            a few seconds per mode: 2 steps of 2 s, 1 confirmation
#   SR_DUR_RATES       offered REGISTER/s steps, ascending (default 5000 10000 20000 30000 40000 50000
#                      60000 80000)
#   SR_DUR_STEP_S      seconds per step (default 10)
#   SR_DUR_CONFIRM     confirmation runs (default 3)
#   SR_DUR_LAT_RATE    the common offered rate of the latency rows (default 5000)
#   SR_DUR_STEP_AORS   fresh AoRs at most per new-registration step (default 500000)
#   SR_DUR_REFRESH_AORS  AoRs refreshed over and over (default 50000)
#   SR_DUR_MODES       which modes to measure (default "async sync"; the other's figures are null)
#   SR_DUR_KEEP=1      keep the work directory (logs, regflood outputs, data directories)
#   SR_DUR_REDIS=1     replication on (bench/replication/durability.sh): a redis-server in sr-peer
#                      (append-only, appendfsync SR_DUR_REDIS_FSYNC, default always), reached over
#                      devnet.sh up-repl's kernel link, emptied before every start; sipreg active,
#                      replication.durability = SR_DUR_REPL (default: the mode's own durability,
#                      so "sync" is control and replication sync; "async" keeps replication async)
#   SR_DUR_REPL_CONNECTIONS  replication.connections (the writer's connections to the one Redis);
#                      unset: sipreg's default
set -uo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
bench_name=durability
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"
bench_args "$@"
if [ "$smoke" = 1 ]; then
	rates=${SR_DUR_RATES:-1000 2000}
	step_s=${SR_DUR_STEP_S:-2}
	confirm=${SR_DUR_CONFIRM:-1}
	lat_rate=${SR_DUR_LAT_RATE:-1000}
	refresh_aors=${SR_DUR_REFRESH_AORS:-2000}
else
	rates=${SR_DUR_RATES:-5000 10000 20000 30000 40000 50000 60000 80000}
	step_s=${SR_DUR_STEP_S:-10}
	confirm=${SR_DUR_CONFIRM:-3}
	lat_rate=${SR_DUR_LAT_RATE:-5000}
	refresh_aors=${SR_DUR_REFRESH_AORS:-50000}
fi
step_aors=${SR_DUR_STEP_AORS:-500000}
modes=${SR_DUR_MODES:-async sync}
bench_keep=${SR_DUR_KEEP:-0}
prefix=sipreg-dur
regflood=$build_dir/bench/regflood/regflood

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, af_packet)"
for n in $rates $step_s $confirm $lat_rate $refresh_aors $step_aors; do
	[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: '$n' (SR_DUR_* settings)"
done
for m in $modes; do
	case $m in async | sync) ;; *) die "SR_DUR_MODES: unknown durability '$m' (async, sync)" ;; esac
done
[ -x /usr/bin/python3 ] || die "/usr/bin/python3 not installed (scripts/setup.sh installs it)"
bench_build app/sipreg/sipreg bench/regflood/regflood

bench_require_idle_devnet
work=$(mktemp -d /tmp/sipreg-dur.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
bench_devnet_up

redis=${SR_DUR_REDIS:-0}
redis_pid=
repl_args=()
if [ "$redis" = 1 ]; then
	command -v redis-server >/dev/null || die "redis-server not installed (scripts/setup.sh installs it)"
	"$here/scripts/devnet.sh" up-repl >/dev/null || die "devnet up-repl failed"
	mkdir -p "$work/redis"
	ip netns exec sr-peer redis-server --bind 198.51.100.129 --port 6379 --save "" --appendonly yes \
		--appendfsync "${SR_DUR_REDIS_FSYNC:-always}" --protected-mode no --dir "$work/redis" >"$work/redis.log" 2>&1 &
	redis_pid=$!
	bench_cleanup_hook() { [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null; }
	for _ in $(seq 50); do
		ip netns exec sr-peer redis-cli -h 198.51.100.129 ping 2>/dev/null | grep -q PONG && break
		sleep 0.1
	done
	repl_args=(--set replication.redis=198.51.100.129:6379 --set replication.role=active
		--set replication.node_id=bench)
	[ -n "${SR_DUR_REPL_CONNECTIONS:-}" ] && repl_args+=(--set replication.connections="$SR_DUR_REPL_CONNECTIONS")
fi

# start_dut MODE: sipreg with persistence in durability MODE on an empty data directory
start_dut() {
	stop_dut
	rm -rf "$work/data"
	mkdir "$work/data" || die "cannot create $work/data"
	local extra=()
	if [ "$redis" = 1 ]; then # an empty Redis each time, as the data directory: no heartbeat of the last run
		ip netns exec sr-peer redis-cli -h 198.51.100.129 flushall >/dev/null || die "redis-cli flushall failed"
		extra=("${repl_args[@]}" --set replication.durability="${SR_DUR_REPL:-$1}")
	fi
	start_sipreg --set control.persistence=true --set control.data_dir="$work/data" --set control.durability="$1" \
		"${extra[@]}"
}

rf() {
	regflood_run "$@"
	printf '  %-28s rc %d  %s\n' "$1" "$rf_rc" "$(rf_summary "$1")"
}

# latency MODE WORKLOAD: one run at lat_rate on a fresh sipreg; sets l_p50 l_p99, null when it failed
latency() {
	fresh_step "$1" "$2" "$lat_rate"
	rf "$1-$2-lat$lat_rate" "${rf_args[@]}" --rate "$lat_rate" --duration "$step_s"
	l_p50=null
	l_p99=null
	if [ "$rf_rc" = 0 ]; then
		l_p50=$(jget "$rf_json" p50_us)
		l_p99=$(jget "$rf_json" p99_us)
	fi
}

echo "sipreg persistence: durability async vs sync, sipreg on CPU $reg_cpu, bench/regflood on CPU $gen_cpu of $ncpu"
echo "steps (REGISTER/s): $rates; ${step_s} s per step; $confirm confirmation(s); latency rows at $lat_rate/s"
echo "load before: $(uptime)"
total_fail=0
gen_limited=false
declare -A best lim p99_80 p50_at p99_at
for mode in async sync; do
	for wl in new refresh; do
		best[$mode.$wl]=null lim[$mode.$wl]="not measured" p99_80[$mode.$wl]=null
		p50_at[$mode.$wl]=null p99_at[$mode.$wl]=null
	done
	[[ " $modes " == *" $mode "* ]] || continue
	echo "== durability=$mode"
	for wl in new refresh; do
		measure "$mode" "$wl"
		best[$mode.$wl]=$m_best lim[$mode.$wl]=$m_limit p99_80[$mode.$wl]=$m_p99
		total_fail=$((total_fail + m_fail))
		case $m_limit in generator* | both*) gen_limited=true ;; esac
		latency "$mode" "$wl"
		p50_at[$mode.$wl]=$l_p50 p99_at[$mode.$wl]=$l_p99
		echo "  -> $mode $wl: $m_best REGISTER/s sustained (limit: $m_limit), p99 at 80 %: $m_p99 us;" \
			"at $lat_rate/s: p50 $l_p50 us, p99 $l_p99 us"
	done
	stop_dut
done
echo "load after: $(uptime)"

ratio() { # ratio A B: A/B with 2 decimals, or null
	awk -v a="$1" -v b="$2" 'BEGIN {if (a == "null" || b == "null" || b + 0 == 0) print "null"; else printf "%.2f", a / b}'
}
echo
echo "================ durability async vs sync ================"
printf '%-40s %12s %12s %12s\n' "" async sync sync/async
row() { printf '%-40s %12s %12s %12s\n' "$1" "$2" "$3" "$(ratio "$3" "$2")"; }
row "new REGISTER/s, zero failures" "${best[async.new]}" "${best[sync.new]}"
row "refresh REGISTER/s, zero failures" "${best[async.refresh]}" "${best[sync.refresh]}"
row "p50 us, new, at $lat_rate/s" "${p50_at[async.new]}" "${p50_at[sync.new]}"
row "p99 us, new, at $lat_rate/s" "${p99_at[async.new]}" "${p99_at[sync.new]}"
row "p50 us, refresh, at $lat_rate/s" "${p50_at[async.refresh]}" "${p50_at[sync.refresh]}"
row "p99 us, refresh, at $lat_rate/s" "${p99_at[async.refresh]}" "${p99_at[sync.refresh]}"
row "p99 us, new, at 80 % of own max" "${p99_80[async.new]}" "${p99_80[sync.new]}"
row "p99 us, refresh, at 80 % of own max" "${p99_80[async.refresh]}" "${p99_80[sync.refresh]}"
echo "limits: async new: ${lim[async.new]}; async refresh: ${lim[async.refresh]};" \
	"sync new: ${lim[sync.new]}; sync refresh: ${lim[sync.refresh]}"
echo "A limit \"not reached\" means every offered step passed: raise SR_DUR_RATES; \"generator\": regflood could not offer more."
status=0
printf '{"async_new":%s,"sync_new":%s,"async_refresh":%s,"sync_refresh":%s,' \
	"${best[async.new]}" "${best[sync.new]}" "${best[async.refresh]}" "${best[sync.refresh]}"
printf '"async_p50_new_us":%s,"sync_p50_new_us":%s,"async_p99_new_us":%s,"sync_p99_new_us":%s,' \
	"${p50_at[async.new]}" "${p50_at[sync.new]}" "${p99_at[async.new]}" "${p99_at[sync.new]}"
printf '"async_p50_refresh_us":%s,"sync_p50_refresh_us":%s,"async_p99_refresh_us":%s,"sync_p99_refresh_us":%s,' \
	"${p50_at[async.refresh]}" "${p50_at[sync.refresh]}" "${p99_at[async.refresh]}" "${p99_at[sync.refresh]}"
printf '"async_p99_new_80_us":%s,"sync_p99_new_80_us":%s,"async_p99_refresh_80_us":%s,"sync_p99_refresh_80_us":%s,' \
	"${p99_80[async.new]}" "${p99_80[sync.new]}" "${p99_80[async.refresh]}" "${p99_80[sync.refresh]}"
printf '"lat_rate":%s,"generator_limited":%s,"failures":%s,"smoke":%s,"cpus":%s}\n' "$lat_rate" "$gen_limited" \
	"$total_fail" "$([ "$smoke" = 1 ] && echo true || echo false)" "$ncpu"
