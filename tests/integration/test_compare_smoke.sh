#!/usr/bin/env bash
# test_compare_smoke.sh [BUILD_DIR] - bench/compare.sh --smoke end to end, so the comparison
# script cannot rot: a few seconds of bench/regflood load per side against sipreg and against
# Kamailio (installed by compare.sh from Debian's package when missing) on the dev network.
# Checks: exit 0; the last line is one JSON object with every key scripts rely on; both
# registrars sustained a non-zero rate for new registrations and refreshes with the CPU row
# measured; no failed request in the reported runs; the dev network is left as found.
# Exit 77 (meson: skipped) when not root, without ip netns or python3, or when the kamailio
# package cannot be installed (no package mirror): that is the machine, not the script.
set -uo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
export BUILD_DIR=${1:-${BUILD_DIR:-$here/build}}
py=/usr/bin/python3
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "not root (network namespaces and af_packet need root)"
ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"
[ -x "$py" ] || skip "/usr/bin/python3 not installed"
if ! command -v kamailio >/dev/null; then
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kamailio; } \
		>/dev/null 2>&1 || skip "the kamailio package cannot be installed here"
fi

out=$(mktemp /tmp/sipreg-cmp-smoke.XXXXXX)
trap 'rm -f "$out"' EXIT
had_devnet=$(ip netns list | awk '{print $1}' | grep -cx sr-dut)
timeout -k 5 600 "$here/bench/compare.sh" --smoke >"$out" 2>&1
rc=$?
cat "$out"
[ "$rc" = 0 ] || { echo "FAIL: compare.sh --smoke exit status $rc"; exit 1; }
tail -1 "$out" | "$py" -c '
import json, sys
d = json.loads(sys.stdin.read())
bad = []
for k in ("sipreg_new", "kamailio_new", "sipreg_refresh", "kamailio_refresh", "sipreg_cpu_us",
          "kamailio_cpu_us", "cpu_ratio", "generator_limited", "failures"):
    if k not in d:
        bad.append("missing key " + k)
for k in ("sipreg_new", "kamailio_new", "sipreg_refresh", "kamailio_refresh", "sipreg_cpu_us", "kamailio_cpu_us"):
    if not isinstance(d.get(k), (int, float)) or d[k] <= 0:
        bad.append("%s = %r, expected a positive number" % (k, d.get(k)))
if d.get("failures") != 0:
    bad.append("failures = %r" % d.get("failures"))
if not isinstance(d.get("generator_limited"), bool):
    bad.append("generator_limited is not a boolean")
if bad:
    print("FAIL: " + "; ".join(bad))
    sys.exit(1)
print("ok: JSON last line complete: new %s vs %s, refresh %s vs %s REGISTER/s, CPU us %s vs %s" % (
    d["sipreg_new"], d["kamailio_new"], d["sipreg_refresh"], d["kamailio_refresh"],
    d["sipreg_cpu_us"], d["kamailio_cpu_us"]))
' || exit 1
now_devnet=$(ip netns list | awk '{print $1}' | grep -cx sr-dut)
[ "$had_devnet" = "$now_devnet" ] || { echo "FAIL: the dev network was not left as found"; exit 1; }
if [ "$now_devnet" = 1 ] && [ -n "$(ip netns pids sr-dut)$(ip netns pids sr-peer)" ]; then
	echo "FAIL: processes left in the dev network namespaces"
	exit 1
fi
echo "ok: compare.sh --smoke"
