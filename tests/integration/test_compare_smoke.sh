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
. "$here/tests/integration/lib.sh"
it_smoke_init "${1:-}"
if ! command -v kamailio >/dev/null; then
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kamailio; } \
		>/dev/null 2>&1 || skip "the kamailio package cannot be installed here"
fi

it_smoke "$here/bench/compare.sh" 600
it_smoke_check sipreg_new kamailio_new sipreg_refresh kamailio_refresh sipreg_cpu_us kamailio_cpu_us
tail -1 "$smoke_out" | grep -q '"cpu_ratio":' || { echo "FAIL: missing key cpu_ratio"; exit 1; }
it_smoke_devnet_check
echo "ok: compare.sh --smoke"
