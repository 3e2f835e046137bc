#!/usr/bin/env bash
# test_pipeline_smoke.sh [BUILD_DIR] - bench/pipeline/run.sh end to end with a small count, so
# the pipeline benchmark cannot rot: sipreg fed from pcap files (no NIC, no dev network) with
# 1 and 2 workers. Checks: exit 0; the last line is one JSON object with every figure, all
# positive, the 2-worker run handed off part of the REGISTERs to the other worker (the
# hand-off path is measured) and the 1-worker run none; run.sh verified that every
# REGISTER was answered 200 (it fails otherwise). A bad COUNT is refused with a message.
# Exit 77 (meson: skipped) when not root or without python3 (DPDK's EAL needs root here).
set -uo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
export BUILD_DIR=${1:-${BUILD_DIR:-$here/build}}
py=/usr/bin/python3
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "not root (DPDK's EAL)"
[ -x "$py" ] || skip "/usr/bin/python3 not installed"

if err=$("$here/bench/pipeline/run.sh" 12x 2>&1); then
	echo "FAIL: run.sh accepted COUNT 12x"
	exit 1
fi
grep -q "COUNT must be an integer" <<<"$err" || { echo "FAIL: no clear error for a bad COUNT: $err"; exit 1; }

out=$(mktemp /tmp/sipreg-pipeline-smoke.XXXXXX)
trap 'rm -f "$out"' EXIT
timeout -k 5 120 "$here/bench/pipeline/run.sh" 2000 >"$out" 2>&1
rc=$?
cat "$out"
[ "$rc" = 0 ] || { echo "FAIL: run.sh exit status $rc"; exit 1; }
tail -1 "$out" | "$py" -c '
import json, sys
d = json.loads(sys.stdin.read())
for k in ("memchr_ns", "w1_total_ns", "w1_engine_ns", "w1_per_core", "w2_total_ns", "w2_engine_ns", "w2_per_core"):
	if not isinstance(d.get(k), (int, float)) or d[k] <= 0:
		sys.exit("FAIL: %s missing or not positive in %s" % (k, d))
if d["w1_handed_off"] != 0 or not 0 < d["w2_handed_off"] < 4000:
	sys.exit("FAIL: hand-offs 1 worker %d (want 0), 2 workers %d (want some of 4000)"
		 % (d["w1_handed_off"], d["w2_handed_off"]))
' || exit 1
echo "PASS"
