#!/usr/bin/env bash
# run.sh [--pmd af_packet|af_xdp] [--config FILE] [--set section.key=value]... - builds sipreg and
# sipregctl, runs sipreg in the foreground inside netns sr-dut on the development profile (af_packet
# over sr-dut0, or DPDK's AF_XDP PMD with --pmd af_xdp: scripts/pmd.sh), bringing the development
# network up first if needed. --set arguments come after the PMD's settings, so they win.
#
#   BUILD_DIR      meson build directory (default: build; scripts/setup.sh configures it)
#   SR_PMD         the PMD when --pmd is not given (default af_packet); it reaches the one-worker
#                  benchmarks that start sipreg here (bench/lib.sh, bench/compare.sh), not the
#                  integration tests (workers.count=2, which af_xdp refuses; it_start_persist
#                  bypasses this script): tests/integration/test_devnet_afxdp.sh covers af_xdp
#   SR_KEEP_DEVNET=1  leave the namespaces up on exit even if this script created them
#
# SIGTERM/SIGINT stop sipreg cleanly (it drains and exits 0); the script then
# removes the development network if it created it, and exits with sipreg's status.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-build}
case "$build_dir" in /*) ;; *) build_dir=$here/$build_dir ;; esac
config=$here/dpdk-config/sipreg-dev.ini
pmd=${SR_PMD:-af_packet}
args=()
while (($#)); do
	case "$1" in
	--pmd)
		pmd=$2
		shift 2
		;;
	--config)
		config=$2
		shift 2
		;;
	--set)
		args+=(--set "$2")
		shift 2
		;;
	-h | --help)
		sed -n '2,14p' "$0"
		exit 0
		;;
	*)
		echo "run.sh: unknown argument $1" >&2
		exit 2
		;;
	esac
done

. "$here/scripts/pmd.sh"
if ! sr_pmd_settings "$pmd"; then
	echo "run.sh: unknown PMD '$pmd' (af_packet or af_xdp)" >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: must run as root (network namespaces, af_packet)" >&2
	exit 1
fi
if [ ! -f "$build_dir/build.ninja" ]; then
	echo "run.sh: $build_dir is not configured: run scripts/setup.sh first" >&2
	exit 1
fi
# sipregctl too: the operator's client of the control socket
if ! build_log=$(ninja -C "$build_dir" app/sipreg/sipreg app/sipregctl/sipregctl 2>&1); then
	echo "$build_log" >&2
	echo "run.sh: build failed" >&2
	exit 1
fi

. "$here/scripts/devnet_lock.sh"
sr_devnet_lock
created=0
if ! ip netns list | awk '{print $1}' | grep -qx sr-dut; then
	created=1
fi
"$here/scripts/devnet.sh" up >/dev/null

ip netns exec sr-dut "$build_dir/app/sipreg/sipreg" --config "$config" ${pmd_set[@]+"${pmd_set[@]}"} ${args[@]+"${args[@]}"} &
pid=$!
cat <<MSG
run.sh: sipreg (pid $pid, $pmd PMD) runs in netns sr-dut on 198.51.100.1:5060/udp. From another shell:
  scripts/sipp-register.sh 10000 1000          # sipp in sr-peer: 10000 AoRs registered, refreshed, fetched, removed
  $build_dir/app/sipregctl/sipregctl stats     # or: aor sip:user0000001@example.com, workers, reload, ... (--help)
  dpdk-telemetry.py -f sipreg-dev              # the same commands: /sipreg/stats, /sipreg/aor,sip:user0000001@example.com
MSG

stop() { kill -TERM "$pid" 2>/dev/null || true; }
trap stop TERM INT
rc=0
# wait returns early when a trapped signal arrives: wait again until sipreg has exited
while kill -0 "$pid" 2>/dev/null; do
	wait "$pid" && rc=0 || rc=$?
done
trap - TERM INT
if [ "$created" = 1 ] && [ "${SR_KEEP_DEVNET:-0}" != 1 ]; then
	"$here/scripts/devnet.sh" down >/dev/null
fi
exit "$rc"
