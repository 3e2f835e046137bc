#!/usr/bin/env bash
# test_reasm_jumbo.sh [BUILD_DIR] - a reassembled datagram larger than the worker's 64 KiB
# scratch buffer is dropped and counted, through the real worker (issue 15 item 14).
#
# sipreg reads frames from DPDK's pcap PMD (no NIC, no dev network) with 16 kB receive
# buffers: eight 9,000-byte IPv4 fragments of one datagram (72,020 bytes once reassembled:
# rte_ip_frag accepts that), then an ordinary REGISTER. Checks: the eight fragments are
# received and reassembled, the datagram is dropped as sipreg_net_drops_total{reason=
# "reasm_too_big"} (until then it was copied past the scratch buffer), the worker still
# answers the REGISTER 200, SIGTERM exits 0 and the log has no sanitizer report.
# Exit 77 (meson: skipped) when not root (DPDK's EAL) or without python3. A few seconds.
set -uo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${BUILD_DIR:-$here/build}}
py=/usr/bin/python3
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "not root (DPDK's EAL)"
[ -x "$py" ] || skip "/usr/bin/python3 not installed"
sipreg=$build/app/sipreg/sipreg
[ -x "$sipreg" ] || { echo "FAIL: $sipreg not built"; exit 1; }

work=$(mktemp -d /tmp/sr-reasm.XXXXXX)
prefix=sr-reasm-$$
pid=
cleanup() {
	[ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
	rm -rf "$work" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT

# the frames: gen_pcap.py's REGISTER and pcap format, plus the jumbo fragments
PYTHONPATH=$here/bench/pipeline "$py" - "$work/in.pcap" <<'PY' || { echo "FAIL: cannot write the pcap"; exit 1; }
import struct, sys
import gen_pcap as g
FRAG = 9000  # IP payload bytes per fragment, a multiple of 8

def fragment(k, n, ident):
    body = bytes([ord("a") + k]) * FRAG
    if k == 0:  # a UDP header and the start of a SIP request, as a real sender's would be
        body = struct.pack("!HHHH", 5060, 5060, 0, 0) + b"REGISTER sip:example.com SIP/2.0\r\n" + body[42:]
    flags = (0x2000 if k + 1 < n else 0) | (k * FRAG // 8)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + FRAG, ident, flags, 64, 17, 0, g.SRC_IP, g.DST_IP)
    ip = ip[:10] + struct.pack("!H", g.ip_checksum(ip)) + ip[12:]
    return b"\xff" * 6 + g.SRC_MAC + b"\x08\x00" + ip + body

frames = [fragment(k, 8, 4242) for k in range(8)] + [g.frame(7, 5060)]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        f.write(struct.pack("<IIII", 1, i, len(fr), len(fr)))
        f.write(fr)
PY

"$sipreg" --config "$here/dpdk-config/sipreg-dev.ini" --set eal.file_prefix=$prefix \
	--set workers.count=1 --set workers.idle_sleep_us=100 \
	--set "port.vdev=net_pcap0,rx_pcap=$work/in.pcap" --set "eal.args=--no-huge -m 512 --no-pci" \
	--set port.rx_data_room=16384 --set port.mbufs=2048 --set control.persistence=false \
	--set control.socket="$work/ctl.sock" --set control.data_dir="$work/data" >"$work/sipreg.log" 2>&1 &
pid=$!

stats() { "$py" "$here/tests/integration/peer.py" telemetry "$prefix" /sipreg/stats 2>/dev/null; }
s=
for ((i = 0; i < 300; i++)); do # 30 s at most
	kill -0 "$pid" 2>/dev/null || { tail -20 "$work/sipreg.log"; echo "FAIL: sipreg exited"; exit 1; }
	s=$(stats) && [ -n "$s" ] &&
		[ "$("$py" -c 'import json,sys; print((json.load(sys.stdin).get("/sipreg/stats") or {}).get("sipreg_sip_requests_total", 0))' <<<"$s" 2>/dev/null)" = 1 ] && break
	s=
	sleep 0.1
done
[ -n "$s" ] || { tail -20 "$work/sipreg.log"; echo "FAIL: the REGISTER after the fragments was not processed in 30 s"; exit 1; }

fail=0
SR_STATS=$s "$py" - <<'PY' || fail=1
import json, os, sys
d = json.loads(os.environ["SR_STATS"])["/sipreg/stats"]
got = {
    "fragments received": d["sipreg_ip_fragments_received_total"],
    "reassembled": d["sipreg_ip_reassembled_total"],
    "dropped reasm_too_big": d["sipreg_net_drops_total"]["reasm_too_big"],
    "REGISTERs processed": d["sipreg_sip_requests_total"],
    "answered 2xx": d["sipreg_responses_total"]["2xx"],
}
want = {"fragments received": 8, "reassembled": 1, "dropped reasm_too_big": 1,
        "REGISTERs processed": 1, "answered 2xx": 1}
for k in want:
    print(("ok  " if got[k] == want[k] else "FAIL") + " %s: %d (want %d)" % (k, got[k], want[k]))
sys.exit(0 if got == want else 1)
PY

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ] && echo "ok   SIGTERM: sipreg exited 0" || { echo "FAIL: sipreg exit status $rc"; fail=1; }
if grep -qE "AddressSanitizer|runtime error|LeakSanitizer" "$work/sipreg.log"; then
	grep -E -A20 "AddressSanitizer|runtime error|LeakSanitizer" "$work/sipreg.log" | head -40
	echo "FAIL: sanitizer report in the log"
	fail=1
fi
[ "$fail" = 0 ] && echo "PASS" || exit 1
