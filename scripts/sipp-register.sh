#!/usr/bin/env bash
# sipp-register.sh [CALLS] [RATE] [extra sipp args...] - drives the running dev
# registrar (scripts/run.sh) from netns sr-peer with the REGISTER life-cycle
# scenario (register, refresh, fetch, de-register) over CALLS unique AoRs
# (default 10000) at RATE calls/s (default 1000); one UDP socket per call so
# the flows spread over sipreg's workers. Exits with sipp's status (0: no failed call).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
calls=${1:-10000}
rate=${2:-1000}
shift $(($# < 2 ? $# : 2))
work=$(mktemp -d /tmp/sipp-register.XXXXXX)
trap 'rm -rf "$work"' EXIT

{
	echo SEQUENTIAL
	seq -f 'user%07g;' 1 "$calls"
} >"$work/users.csv"
cd "$work"
timeout $((calls / rate + 120)) ip netns exec sr-peer sipp \
	-sf "$here/tests/integration/sipp/register_unique.xml" -inf "$work/users.csv" \
	-t un -max_socket 512 -i 198.51.100.2 -p 5070 -m "$calls" -r "$rate" -l $((rate * 2)) \
	-nostdin -trace_screen -screen_file "$work/screen.log" "$@" 198.51.100.1:5060 >/dev/null 2>&1 && rc=0 || rc=$?
grep -E "Successful call|Failed call|Call Rate" "$work/screen.log" | tail -3 || true
echo "sipp-register: $calls calls at $rate/s, sipp exit status $rc"
exit "$rc"
