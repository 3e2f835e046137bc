#!/usr/bin/env bash
# test_route_bench_smoke.sh [BUILD_DIR] - bench/route/run.sh --smoke end to end, so the routed-calls
# benchmark cannot rot: a few seconds of sipp calls (caller and registered callee in sr-peer) through
# sipreg in proxy mode and through Kamailio (registrar + lookup + t_relay; installed by run.sh from
# Debian's package when missing) on the dev network.
# Checks: exit 0; the last line is one JSON object with every key scripts rely on (issue 12); both
# proxies carried calls with zero failures and had their CPU per call measured; the dev network is
# left as found. Exit 77 (meson: skipped) when not root, without ip netns, python3 or sipp, or when
# the kamailio package cannot be installed (no package mirror): that is the machine, not the script.
set -uo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/integration/lib.sh"
it_smoke_init "${1:-}"
it_need sipp "scripts/setup.sh installs sip-tester"
if ! command -v kamailio >/dev/null; then
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kamailio; } \
		>/dev/null 2>&1 || skip "the kamailio package cannot be installed here"
fi

it_smoke "$here/bench/route/run.sh" 600
it_smoke_check sipreg_cps kamailio_cps sipreg_cpu_us kamailio_cpu_us cpu_ratio
it_smoke_devnet_check
echo "ok: bench/route/run.sh --smoke"
