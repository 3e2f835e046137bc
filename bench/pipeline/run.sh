#!/usr/bin/env bash
# bench/pipeline/run.sh [COUNT] - per-core throughput of sipreg's whole worker path, no NIC.
#
# sipreg itself (the real binary, the real poll loop: L2-L4 classification, pre-scan,
# hand-off to the owner worker, sr_reg_process, response frame build, tx burst) reads
# pre-built frames from DPDK's pcap PMD (port.vdev=net_pcap0,rx_pcap=FILE per worker
# queue; with no tx stream the PMD frees what is sent). COUNT new REGISTERs per worker
# (unique AoRs, default 100000), with 1 and with 2 workers (worker lcores on their own
# CPU when there are two CPUs; the control lcore shares CPU 0).
#
# Figures come from sipreg's own counters (/sipreg/stats): sipreg_busy_cycles_total (TSC of the loop
# iterations that did work) over frames received = ns per REGISTER on a core, all
# included. The pcap PMD's own cost (libpcap reading the file, one copy per frame) is
# measured by a second run with the same frames sent to UDP port 5061, which sipreg
# drops after its L2-L4 checks; "engine" = total - that (so the L2-L4 checks, tens of ns,
# fall on the PMD side and the engine figure is slightly low). The memchr floor is one memchr
# pass over each message (bench_memchr). Every REGISTER must be answered 200, or the
# run fails.
#
#   BUILD_DIR=build-release SR_SANITIZE=0 scripts/setup.sh
#   BUILD_DIR=build-release bench/pipeline/run.sh [COUNT]
# The last line of output is one JSON object. Needs root (DPDK EAL).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
count=${1:-100000}
py=/usr/bin/python3
client=$here/tests/integration/peer.py

die() { echo "pipeline: $*" >&2; exit 1; }
[[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -ge 1000 ] && [ "$count" -le 100000 ] ||
	die "COUNT must be an integer from 1000 to 100000 (the half handed to the other worker must fit its ring)"
[ "$(id -u)" -eq 0 ] || die "must run as root (DPDK EAL)"
[ -f "$build/build.ninja" ] || die "$build is not configured: run scripts/setup.sh first"
ninja -C "$build" app/sipreg/sipreg bench/pipeline/bench_memchr >/dev/null || die "build failed"
if meson configure "$build" 2>/dev/null | grep -Eq '^ *b_sanitize +address'; then
	echo "warning: $build is a sanitizer build; numbers are not representative" >&2
fi

work=$(mktemp -d /tmp/sr-pipeline.XXXXXX)
prefix=sr-pipeline-$$
dut_pid=
cleanup() {
	if [ -n "$dut_pid" ] && kill -0 "$dut_pid" 2>/dev/null; then
		kill "$dut_pid" 2>/dev/null || true
		wait "$dut_pid" 2>/dev/null || true
	fi
	rm -rf "$work" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ncpu=$(nproc)
for w in 0 1; do
	"$py" "$here/bench/pipeline/gen_pcap.py" "$work/sip$w.pcap" "$count" $((w * count))
	"$py" "$here/bench/pipeline/gen_pcap.py" "$work/drop$w.pcap" "$count" $((w * count)) 5061
done

stats() { "$py" "$client" telemetry "$prefix" /sipreg/stats 2>/dev/null; }
# 1 once every frame is through (answered, or dropped at the port check), from SR_STATS
done_py='
import json, os, sys
d = json.loads(os.environ["SR_STATS"])["/sipreg/stats"]
nd = d["sipreg_net_drops_total"]
n = d["sipreg_sip_requests_total"] if sys.argv[1] == "sip" else nd["udp_port"]
n += d["sipreg_sip_drops_total"]["garbage"] + nd["ring_full"] + nd["no_mbuf"]
print(1 if n >= int(os.environ["SR_TOTAL"]) else 0)'

# run_case WORKERS KIND(sip|drop): prints "ns_per_frame frames_handed_off" for the run.
# It runs in a subshell (process substitution): its own EXIT trap stops the sipreg it started.
run_case() {
	trap '[ -z "$dut_pid" ] || { kill "$dut_pid" 2>/dev/null; wait "$dut_pid" 2>/dev/null; }' EXIT
	local workers=$1 kind=$2 vdev=net_pcap0 lcores="0@0" total=$(($1 * count)) i
	for ((i = 0; i < workers; i++)); do
		vdev+=",rx_pcap=$work/$kind$i.pcap"
		lcores+=",$((i + 1))@$(((i + 1) % ncpu))"
	done
	[ "$workers" -eq 1 ] && [ "$ncpu" -gt 1 ] && lcores="0@0,1@1"
	"$build/app/sipreg/sipreg" --config "$here/dpdk-config/sipreg-dev.ini" \
		--set eal.file_prefix=$prefix --set eal.lcores="$lcores" --set workers.count="$workers" \
		--set workers.idle_sleep_us=0 --set "port.vdev=$vdev" --set "eal.args=--no-huge -m $((512 + count * 15 / 1000)) --no-pci" \
		--set control.persistence=false \
		--set control.socket="$work/ctl.sock" --set control.data_dir="$work/data" \
		--set registrar.max_aors=$((total + 1024)) --set workers.ring_size=65536 \
		--set port.rx_data_room=2048 --set port.mbufs=$((count + 16384)) >"$work/sipreg.log" 2>&1 &
	dut_pid=$!
	local s=
	export SR_TOTAL=$total
	for ((i = 0; i < 1200; i++)); do # 120 s at most
		kill -0 "$dut_pid" 2>/dev/null || { tail -5 "$work/sipreg.log" >&2; die "sipreg exited"; }
		s=$(stats) && [ -n "$s" ] && [ "$(SR_STATS=$s "$py" -c "$done_py" "$kind" 2>/dev/null)" = 1 ] && break
		s=
		sleep 0.1
	done
	[ -n "$s" ] || die "$kind with $workers workers: not all $total frames through in 120 s"
	kill "$dut_pid"
	wait "$dut_pid" || die "sipreg exited with an error"
	dut_pid=
	SR_STATS=$s "$py" - "$kind" "$total" <<'PY'
import json, os, sys
kind, total = sys.argv[1], int(sys.argv[2])
d = json.loads(os.environ["SR_STATS"])["/sipreg/stats"]
nd, req = d["sipreg_net_drops_total"], d["sipreg_sip_requests_total"]
ok, added = d["sipreg_responses_total"]["2xx"], d["sipreg_events_total"]["added"]
if kind == "sip" and (req != total or ok != total or added != total):
	sys.exit("pipeline: %d REGISTERs: %d processed, %d answered 200, %d bindings added; dropped: "
		 "%d hand-off ring full, %d no mbuf, %d garbage" % (total, req, ok, added, nd["ring_full"],
		 nd["no_mbuf"], d["sipreg_sip_drops_total"]["garbage"]))
if kind == "drop" and nd["udp_port"] != total:
	sys.exit("pipeline: %d frames to port 5061: %d dropped as such" % (total, nd["udp_port"]))
print("%.1f %d" % (d["sipreg_busy_cycles_total"] * 1e9 / d["sipreg_tsc_hz"] / total,
		    d["sipreg_handoffs_received_total"]))
PY
}

declare -A total_ns pmd_ns handed
for w in 1 2; do
	read -r total_ns[$w] handed[$w] < <(run_case $w sip) || exit 1
	read -r pmd_ns[$w] _ < <(run_case $w drop) || exit 1
	[ -n "${total_ns[$w]}" ] && [ -n "${pmd_ns[$w]}" ] || die "run with $w workers failed"
done
memchr_ns=$(taskset -c $((ncpu > 1 ? 1 : 0)) "$build/bench/pipeline/bench_memchr" "$work/sip0.pcap" |
	"$py" -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])["memchr_ns"])')

"$py" - "$count" "$memchr_ns" "${total_ns[1]}" "${pmd_ns[1]}" "${handed[1]}" "${total_ns[2]}" "${pmd_ns[2]}" "${handed[2]}" <<'PY'
import json, sys
count, memchr = int(sys.argv[1]), float(sys.argv[2])
out = {"count_per_worker": count, "memchr_ns": memchr}
print("pipeline: %d new REGISTERs per worker, ns of worker core time per REGISTER" % count)
print("  %-9s %10s %12s %12s %14s %12s %10s" % ("workers", "total ns", "pcap PMD ns", "engine ns",
      "REGISTER/s/core", "handed off", "x memchr"))
for i, w in enumerate((1, 2)):
	tot, pmd, handed = float(sys.argv[3 + 3 * i]), float(sys.argv[4 + 3 * i]), int(sys.argv[5 + 3 * i])
	eng = max(tot - pmd, 0.0)
	rate = 1e9 / eng if eng > 0 else 0
	print("  %-9d %10.0f %12.0f %12.0f %14.0f %11.0f%% %10.1f" % (w, tot, pmd, eng, rate,
	      100.0 * handed / (w * count), eng / memchr))
	out["w%d_total_ns" % w] = tot
	out["w%d_pmd_ns" % w] = pmd
	out["w%d_engine_ns" % w] = round(eng, 1)
	out["w%d_per_core" % w] = round(rate)
	out["w%d_handed_off" % w] = handed
print("  memchr floor: %.1f ns per message" % memchr)
print(json.dumps(out))
PY
