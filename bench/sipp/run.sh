#!/usr/bin/env bash
# run.sh [SCENARIO...] - drives the REGISTER scenarios operators know, with sipp, against
# sipreg on the development network, for people who trust sipp.
#
#   SCENARIO  unique | refresh | dereg | auth (default: unique refresh dereg)
#     unique   register_unique.xml   1 REGISTER per call, fresh AoRs from the injection file
#     refresh  register_refresh.xml  register, then 3 refreshes (same Call-ID, CSeq + 1)
#     dereg    register_dereg.xml    register, remove own Contact, remove *, fetch: nothing left
#     auth     register_auth.xml     401 challenge then authenticated REGISTER (MD5: what sipp
#              answers). Run it alone (run.sh auth): sipreg is then started with auth.enabled and a
#              subscriber file generated for the injection file's users (password "secret")
#   SR_SIPP_CALLS  calls per scenario (default 10000)   SR_SIPP_RATE  calls/s (default 1000)
#   BUILD_DIR      meson build directory (default: build), used when sipreg is started here
#
# If processes already run in netns sr-dut, the registrar there is used as it is (e.g. one
# started with scripts/run.sh); otherwise sipreg is started with scripts/run.sh and stopped
# (by pid) at the end. The injection file (user;password;domain) is written per scenario with
# AoRs no earlier run used (user;password;domain, or for auth user;[authentication ...];domain). Exit 0 when every call of every scenario succeeded. Root only.
set -uo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
sdir=$here/bench/sipp
calls=${SR_SIPP_CALLS:-10000}
rate=${SR_SIPP_RATE:-1000}
scenarios=("$@")
((${#scenarios[@]})) || scenarios=(unique refresh dereg)

die() {
	echo "sipp/run: $*" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"
command -v sipp >/dev/null || die "sipp not installed (scripts/setup.sh installs sip-tester)"
for n in "$calls" "$rate"; do
	[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "SR_SIPP_CALLS and SR_SIPP_RATE must be positive integers, not '$n'"
done
for s in "${scenarios[@]}"; do
	case $s in unique | refresh | dereg | auth) ;; *) die "unknown scenario '$s' (unique, refresh, dereg, auth)" ;; esac
done
auth=0
if [[ " ${scenarios[*]} " == *" auth "* ]]; then
	((${#scenarios[@]} == 1)) || die "run the auth scenario alone (run.sh auth): sipreg then challenges every REGISTER"
	auth=1
fi
tag=$(date +%s)

work=$(mktemp -d /tmp/sipreg-sipp.XXXXXX)
run_pid=
created_devnet=0
cleanup() {
	if [ -n "$run_pid" ]; then
		kill -TERM "$run_pid" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$run_pid" 2>/dev/null
		wait "$run_pid" 2>/dev/null
	fi
	[ "$created_devnet" = 1 ] && "$here/scripts/devnet.sh" down >/dev/null 2>&1
	echo "sipp/run: logs in $work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ip netns list | awk '{print $1}' | grep -qx sr-dut && [ -n "$(ip netns pids sr-dut 2>/dev/null)" ]; then
	echo "sipp/run: using the registrar already running in netns sr-dut"
else
	ip netns list | awk '{print $1}' | grep -qx sr-dut || created_devnet=1
	extra=()
	if [ "$auth" = 1 ]; then # one subscriber line per user of the injection file: user realm HA1-MD5 HA1-SHA256
		seq -f "sp${tag}a%07g" 1 "$calls" | /usr/bin/python3 -c '
import hashlib, sys
for u in sys.stdin.read().split():
    a1 = ("%s:example.com:secret" % u).encode()
    print(u, "example.com", hashlib.md5(a1).hexdigest(), hashlib.sha256(a1).hexdigest())' >"$work/subscribers" ||
			die "cannot write the subscriber file"
		extra=(--set auth.enabled=true --set auth.algorithms=MD5 --set auth.subscribers="$work/subscribers"
			--set registrar.domains=example.com,198.51.100.1)
	fi
	"$here/scripts/run.sh" --set eal.file_prefix=sipreg-sipp "${extra[@]}" >"$work/sipreg.log" 2>&1 &
	run_pid=$!
	for _ in $(seq 150); do
		grep -q "sipreg: ready" "$work/sipreg.log" && break
		kill -0 "$run_pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "sipreg: ready" "$work/sipreg.log" || { cat "$work/sipreg.log" >&2; die "sipreg did not start"; }
fi

failures=0
for s in "${scenarios[@]}"; do
	d=$work/$s
	mkdir -p "$d"
	{
		echo SEQUENTIAL
		if [ "$s" = auth ]; then
		seq -f "sp${tag}a%07g" 1 "$calls" | awk '{print $1 ";[authentication username=" $1 " password=secret];example.com;"}'
	else
		seq -f "sp${tag}${s:0:1}%07g;secret;example.com;" 1 "$calls"
	fi
	} >"$d/users.csv"
	(cd "$d" && timeout -k 3 $((calls / rate + 90)) ip netns exec sr-peer sipp -sf "$sdir/register_$s.xml" \
		-inf "$d/users.csv" -t un -max_socket 512 -i 198.51.100.2 -p 5070 -m "$calls" -r "$rate" \
		-l $((rate * 2)) -timeout $((calls / rate + 75))s -nostdin -trace_err -trace_screen \
		-screen_file "$d/screen.log" 198.51.100.1:5060 >"$d/sipp.out" 2>&1)
	rc=$?
	field() { grep -E "^ +$1 " "$d/screen.log" 2>/dev/null | tail -1 | awk -F'|' '{gsub(/ |cps/, "", $3); print $3}'; }
	succ=$(field "Successful call")
	failed=$(field "Failed call")
	crate=$(field "Call Rate")
	if [ "$rc" = 0 ] && [ "${succ:-0}" = "$calls" ] && [ "${failed:-1}" = 0 ]; then
		echo "sipp/run: $s: $succ/$calls calls successful at ${crate:-?} calls/s"
	else
		echo "sipp/run: $s: FAILED (sipp exit $rc, successful ${succ:-?}, failed ${failed:-?}; see $d)"
		[ "$s" = auth ] && [ -z "$run_pid" ] &&
			echo "sipp/run: (the running registrar must challenge with MD5 and know user spNNN.../secret)"
		failures=$((failures + 1))
	fi
done
[ "$failures" = 0 ]
