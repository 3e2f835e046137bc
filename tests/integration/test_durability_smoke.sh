#!/usr/bin/env bash
# test_durability_smoke.sh [BUILD_DIR] - bench/persist/durability.sh --smoke end to end, so the
# durability benchmark cannot rot: a few seconds of bench/regflood load against sipreg with
# persistence on, in durability async and in sync, on the dev network.
# Checks: a bad SR_DUR_MODES is refused with a message; exit 0; the last line is one JSON object
# with every key scripts rely on; both modes sustained a non-zero rate for new registrations and
# refreshes and have their latency at the common rate; no failed request in the reported runs;
# the dev network is left as found, with no process in it.
# Exit 77 (meson: skipped) when not root, without ip netns or python3.
set -uo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/integration/lib.sh"
it_smoke_init "${1:-}"

if err=$(SR_DUR_MODES="async fast" "$here/bench/persist/durability.sh" --smoke 2>&1); then
	echo "FAIL: durability.sh accepted SR_DUR_MODES='async fast'"
	exit 1
fi
grep -q "unknown durability 'fast'" <<<"$err" || { echo "FAIL: no clear error for a bad mode: $err"; exit 1; }

it_smoke "$here/bench/persist/durability.sh" 280
it_smoke_check async_new sync_new async_refresh sync_refresh async_p50_new_us sync_p50_new_us \
	async_p99_new_us sync_p99_new_us async_p50_refresh_us sync_p50_refresh_us async_p99_refresh_us sync_p99_refresh_us
it_smoke_devnet_check
echo "ok: durability.sh --smoke"
