#!/usr/bin/env bash
# failover_devnet.sh [BUILD_DIR] - issue 16's failover run at full size on the development network:
# 50,000 AoRs registered at a few thousand per second, the active killed with SIGKILL half-way
# through, the standby promoted by command; then the same again with the new active killed and the
# old one (back as standby) promoting itself (failover_ms=500). Sync durability, so every
# acknowledged AoR must answer a fetch on the promoted node.
#
# It is tests/integration/test_devnet_failover_midload.sh with a larger load (CI runs 10,000); its
# output is shown, and the last line is one JSON object: failover_ms (by command), failover_ms_auto,
# acknowledged, lost (acknowledged AoRs missing on the promoted node, both phases), failures (failed
# checks). Runs as root; takes the devnet lock like every integration test.
#
#   SR_FM_AORS (default 50000), SR_FM_RATE (default 3000), SR_FM_CLUSTER=1 (three-master cluster)
#   BUILD_DIR=build bench/replication/failover_devnet.sh
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${BUILD_DIR:-build}}
case "$build" in /*) ;; *) build=$here/$build ;; esac
out=$(mktemp)
trap 'rm -f "$out"' EXIT
SR_FM_AORS=${SR_FM_AORS:-50000} SR_FM_RATE=${SR_FM_RATE:-3000} \
	"$here/tests/integration/test_devnet_failover_midload.sh" "$build" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
ms() { sed -n "s/^failover ($1.*): \([0-9]*\) ms.*/\1/p" "$out" | head -1; }
cmd=$(ms "by command")
auto=$(ms "automatic")
acked=$(awk '/^load: / {n += $2} END {print n + 0}' "$out")
# the second fetch asks for both loads' AoRs: the larger count of missing ones is the loss
lost=$(awk '/acknowledged AoRs missing on/ && $2 > n {n = $2} END {print n + 0}' "$out")
fails=$(grep -c '^FAIL' "$out")
printf '{"failover_ms":%s,"failover_ms_auto":%s,"acknowledged":%s,"lost":%s,"failures":%s,"aors_per_phase":%s,"rate":%s,"rc":%s}\n' \
	"${cmd:-null}" "${auto:-null}" "$acked" "$lost" "$fails" "${SR_FM_AORS:-50000}" "${SR_FM_RATE:-3000}" "$rc"
