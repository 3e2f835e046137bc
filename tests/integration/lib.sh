# lib.sh - what every dev-network integration test shares (sourced, not run).
#
# A test sets `prefix` (its eal.file_prefix) and calls it_init, then it_need for
# the tools it uses; the EXIT trap stops the sipreg it started (by pid), removes
# the development network and the work directory. Results are counted with
# ok/fail and reported by it_finish, which gives the script's exit status.
# Skips exit 77 (meson's "skipped") with the reason.

# it_init NAME: common variables, root/netns checks, the EXIT trap.
it_init() {
	here=$(cd "$(dirname "${BASH_SOURCE[1]}")/../.." && pwd)
	export BUILD_DIR=${BUILD_DIR_ARG:-${BUILD_DIR:-$here/build}}
	peer=(ip netns exec sr-peer)
	py=/usr/bin/python3
	client=$here/tests/integration/peer.py
	work=$(mktemp -d "/tmp/$1.XXXXXX")
	run_pid=
	failures=0
	[ "$(id -u)" -eq 0 ] || skip "not root (network namespaces and af_packet need root)"
	ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"
	[ -x "$py" ] || skip "/usr/bin/python3 not installed"
	. "$here/scripts/devnet_lock.sh"
	sr_devnet_lock
	[ -x "$BUILD_DIR/app/sipreg/sipreg" ] || { echo "FAIL: $BUILD_DIR/app/sipreg/sipreg not built"; exit 1; }
	trap it_cleanup EXIT
}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# it_need COMMAND HINT: skip when a tool is missing.
it_need() { command -v "$1" >/dev/null || skip "$1 not installed ($2)"; }

telemetry() { "$py" "$client" telemetry "$prefix" "$1"; }
stats() { telemetry /sipreg/stats; }
# stat NAME [LABEL] < json: one figure of /sipreg/stats (LABEL: the label value of a labelled family)
stat() {
	"$py" -c 'import json,sys; v = json.load(sys.stdin)["/sipreg/stats"][sys.argv[1]]
print(v[sys.argv[2]] if len(sys.argv) > 2 else v)' "$@"
}

# it_poll_stats PRED [TENTHS]: reads /sipreg/stats until the shell function PRED, given its JSON as $1, succeeds
# (the figures are published every 100 ms, each publisher on its own tick), at most TENTHS tenths of a second
# (default 30). The last JSON read is left in $polled either way, for the checks that follow. 1 on the deadline.
it_poll_stats() {
	local _
	for _ in $(seq "${2:-30}"); do
		polled=$(stats)
		"$1" "$polled" && return 0
		sleep 0.1
	done
	return 1
}

# it_wait_ready LOG [TENTHS]: waits until sipreg (run_pid) logs "ready"; 1 if it exited or timed out.
it_wait_ready() {
	for _ in $(seq "${2:-100}"); do
		grep -q "sipreg: ready" "$1" && return 0
		kill -0 "$run_pid" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# it_stop SIGNAL: signals sipreg, waits up to 10 s (then SIGKILL); sets stop_rc to its exit status.
it_stop() {
	stop_rc=0
	[ -n "$run_pid" ] || return 0
	kill -"$1" "$run_pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$run_pid" 2>/dev/null
	{ wait "$run_pid"; } 2>/dev/null
	stop_rc=$?
	run_pid=
}

it_cleanup() {
	it_stop TERM
	"$here/scripts/devnet.sh" down >/dev/null 2>&1
	[ -n "${SR_IT_KEEP:-}" ] || rm -rf "$work"
}

# it_devnet_fresh: a clean development network for this test.
it_devnet_fresh() {
	"$here/scripts/devnet.sh" down >/dev/null 2>&1
	"$here/scripts/devnet.sh" up >/dev/null || { echo "FAIL: devnet up"; exit 1; }
}

# it_finish: prints the summary and exits 0 only when nothing failed.
it_finish() {
	if [ "$failures" -eq 0 ]; then
		echo "1 passed, 0 failed"
		exit 0
	fi
	echo "0 passed, 1 failed ($failures checks failed)"
	exit 1
}

# it_check_sanitizers LOG: a sanitizer report in sipreg's log is a failure.
it_check_sanitizers() {
	if grep -qE "runtime error|AddressSanitizer|LeakSanitizer" "$1"; then
		fail "sanitizer report in the sipreg log"
		grep -E -A5 "runtime error|AddressSanitizer" "$1" | head -40
	fi
}

# it_start_run LOG ARGS...: sipreg through scripts/run.sh (dev profile) with ARGS; waits for "ready".
it_start_run() {
	local log=$1
	shift
	: >"$log"
	SR_KEEP_DEVNET=1 "$here/scripts/run.sh" --set eal.file_prefix="$prefix" "$@" >"$log" 2>&1 &
	run_pid=$!
	if ! it_wait_ready "$log"; then
		cat "$log"
		echo "FAIL: sipreg did not start"
		exit 1
	fi
}

# it_sipp_unique CALLS RATE: sipp in sr-peer runs CALLS unique AoRs (it0000001...) through
# tests/integration/sipp/register_unique.xml (register, refresh, fetch, de-register) at RATE calls/s,
# one UDP socket per call (-t un, so flows spread over the receive queues); ok when every call
# succeeded and no message was unexpected, fail (with sipp's tail) otherwise. Needs work and peer.
it_sipp_unique() {
	local calls=$1 rate=$2 rc succ failed unexpected
	{
		echo SEQUENTIAL
		seq -f 'it%07g;' 1 "$calls"
	} >"$work/users.csv"
	(cd "$work" && timeout $((calls / rate + 120)) "${peer[@]}" sipp \
		-sf "$here/tests/integration/sipp/register_unique.xml" -inf "$work/users.csv" \
		-t un -max_socket 512 -i 198.51.100.2 -p 5070 -m "$calls" -r "$rate" -l 2000 \
		-timeout $((calls / rate + 90))s -nostdin -trace_err -trace_screen -screen_file "$work/screen.log" \
		198.51.100.1:5060 >"$work/sipp.out" 2>&1)
	rc=$?
	succ=$(grep -E '^ +Successful call' "$work/screen.log" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
	failed=$(grep -E '^ +Failed call' "$work/screen.log" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
	# receive lines of the final scenario screen end with the Unexpected-Msg column
	unexpected=$(awk '/Test Terminated/ {u = 0} /<----------/ {u += $NF} END {print u + 0}' "$work/screen.log")
	if [ "$rc" -eq 0 ] && [ "${succ:-0}" = "$calls" ] && [ "${failed:-1}" = 0 ]; then
		ok "sipp: $succ/$calls calls (4 REGISTERs each) successful, $failed failed"
	else
		fail "sipp exit $rc, successful=${succ:-?} failed=${failed:-?}"
		tail -20 "$work/sipp.out"
		ls "$work"/*errors* >/dev/null 2>&1 && head -c 2000 "$work"/*errors*
	fi
	[ "$unexpected" = 0 ] && ok "no unexpected messages" || fail "$unexpected unexpected messages"
}

# it_sipp_counters CALLS STATS ZERO...: after it_sipp_unique, /sipreg/stats (STATS, its JSON) says
# every one of the CALLS AoRs was added, refreshed and removed once and every SIP request was
# answered 2xx (at least 4 per call: nothing else was sent yet), and each ZERO ("NAME [LABEL]",
# split by the shell) is 0.
it_sipp_counters() {
	local calls=$1 s=$2 k v added refreshed removed req r2
	shift 2
	for k in "$@"; do
		v=$(stat $k <<<"$s")
		[ "$v" = 0 ] || fail "$k = $v after the sipp run (expected 0)"
	done
	added=$(stat sipreg_events_total added <<<"$s")
	refreshed=$(stat sipreg_events_total refreshed <<<"$s")
	removed=$(stat sipreg_events_total removed <<<"$s")
	[ "$added" = "$calls" ] && [ "$refreshed" = "$calls" ] && [ "$removed" = "$calls" ] &&
		ok "bindings: $added added, $refreshed refreshed, $removed removed" ||
		fail "bindings: added=$added refreshed=$refreshed removed=$removed, expected $calls each"
	req=$(stat sipreg_sip_requests_total <<<"$s")
	r2=$(stat sipreg_responses_total 2xx <<<"$s")
	[ "$req" = "$r2" ] && [ "$r2" -ge $((4 * calls)) ] &&
		ok "sip_requests $req = resp_2xx $r2 >= $((4 * calls))" || fail "sip_requests=$req resp_2xx=$r2"
}

# it_start_persist DATA_DIR LOG DURABILITY [--set KEY=VALUE ...]: starts sipreg in sr-dut with persistence
# in DATA_DIR (two workers) and waits for "ready" or its exit; returns it_wait_ready's status, so a test can
# check a refused start. Sets run_pid.
it_start_persist() {
	local dir=$1 log=$2 durability=$3
	shift 3
	ip netns exec sr-dut "$BUILD_DIR/app/sipreg/sipreg" --config "$here/dpdk-config/sipreg-dev.ini" \
		--set eal.file_prefix="$prefix" --set workers.count=2 --set control.durability="$durability" \
		--set control.persistence=true --set control.data_dir="$dir" "$@" >"$log" 2>&1 &
	run_pid=$!
	it_wait_ready "$log" 300
}

# it_smoke_init [BUILD_DIR]: for a test of a benchmark's --smoke run (which starts sipreg itself):
# BUILD_DIR exported, py set; skips when not root or without ip netns or python3. Needs `here`.
it_smoke_init() {
	export BUILD_DIR=${1:-${BUILD_DIR:-$here/build}}
	py=/usr/bin/python3
	[ "$(id -u)" -eq 0 ] || skip "not root (network namespaces and af_packet need root)"
	ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"
	[ -x "$py" ] || skip "/usr/bin/python3 not installed"
}

# it_smoke SCRIPT SECONDS: a benchmark script's --smoke run (it manages sipreg and the dev network
# itself), its output printed and kept in $smoke_out for the caller's checks of the JSON last line;
# FAIL and exit 1 when it fails. Notes whether the dev network was up, for it_smoke_devnet_check,
# with the devnet lock held (the script inherits it): noted before, another test could still
# bring the network up or down while this one waits.
it_smoke() {
	smoke_out=$(mktemp /tmp/sipreg-smoke.XXXXXX)
	trap 'rm -f "$smoke_out"' EXIT
	. "$here/scripts/devnet_lock.sh"
	sr_devnet_lock
	smoke_had_devnet=$(ip netns list | awk '{print $1}' | grep -cx sr-dut)
	timeout -k 5 "$2" "$1" --smoke >"$smoke_out" 2>&1
	local rc=$?
	cat "$smoke_out"
	[ "$rc" = 0 ] || { echo "FAIL: ${1##*/} --smoke exit status $rc"; exit 1; }
}

# it_smoke_devnet_check: FAIL and exit 1 unless the dev network is as it_smoke found it, with no
# process left in its namespaces.
it_smoke_devnet_check() {
	local now
	now=$(ip netns list | awk '{print $1}' | grep -cx sr-dut)
	[ "$smoke_had_devnet" = "$now" ] || { echo "FAIL: the dev network was not left as found"; exit 1; }
	if [ "$now" = 1 ] && [ -n "$(ip netns pids sr-dut)$(ip netns pids sr-peer)" ]; then
		echo "FAIL: processes left in the dev network namespaces"
		exit 1
	fi
}

# it_smoke_check KEY...: the JSON last line of $smoke_out has every KEY as a positive number,
# "failures" 0 and a boolean "generator_limited"; FAIL and exit 1 otherwise.
it_smoke_check() {
	tail -1 "$smoke_out" | "$py" -c '
import json, sys
d = json.loads(sys.stdin.read())
bad = []
for k in sys.argv[1:]:
    if not isinstance(d.get(k), (int, float)) or d[k] <= 0:
        bad.append("%s = %r, expected a positive number" % (k, d.get(k)))
if d.get("failures") != 0:
    bad.append("failures = %r" % d.get("failures"))
if not isinstance(d.get("generator_limited"), bool):
    bad.append("generator_limited is not a boolean")
if bad:
    print("FAIL: " + "; ".join(bad))
    sys.exit(1)
print("ok: JSON last line complete: " + ", ".join("%s %s" % (k, d[k]) for k in sys.argv[1:]))
' "$@" || exit 1
}
