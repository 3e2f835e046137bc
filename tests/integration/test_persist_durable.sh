#!/usr/bin/env bash
# test_persist_durable.sh [BUILD_DIR] - what is acknowledged is stored, whatever its size and
# whatever the disk does (issue 15 items 5 and 6).
#
#   1. durability=sync: a REGISTER with a 4 KB Contact and a 2 KB Path (a record three times
#      the event slot; the 200 echoes both and still fits one response) gets 200, and after a restart the binding is back whole (once it was
#      counted as lost "oversize" and not stored, though acknowledged);
#   2. durability=sync on a tmpfs mounted here and then filled: REGISTERs get 500 with
#      Retry-After, not 200; `sipregctl aor` agrees that they left no binding (the change was
#      undone), an AoR registered before the disk filled keeps exactly its binding when a
#      second contact for it is refused; the failure is
#      counted (commit errors, retracted 200s, resynced AoRs); after a restart, with space
#      again, the refused ones are absent and the earlier one is back;
#   3. durability=async on a full tmpfs: REGISTERs are answered 200, the failing commit is
#      counted in /sipreg/stats and /metrics (sipreg_persist_failing, backlog), logged a
#      bounded number of times; once space is freed the kept events are committed and
#      survive a restart.
# Exit 77 (skip) when not root or when netns/python3/mount are unavailable.
set -uo pipefail

prefix=sipreg-dur
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-dur
it_need curl "scripts/setup.sh installs it"
it_need mount "util-linux"
ctl=$BUILD_DIR/app/sipregctl/sipregctl
[ -x "$ctl" ] || { echo "FAIL: $ctl not built"; exit 1; }
mnt=$work/tmpfs
mounted=
cleanup() {
	it_stop TERM
	[ -n "$mounted" ] && umount "$mnt" 2>/dev/null
	it_cleanup
}
trap cleanup EXIT

# start_sipreg DATA_DIR LOG DURABILITY: starts sipreg in sr-dut and waits for "ready"
start_sipreg() {
	it_start_persist "$1" "$2" "$3" --set registrar.max_contact_len=8192 --set registrar.max_path_len=8192
}
stop_sipreg() { it_stop "$1"; }
try() { "${peer[@]}" "$py" "$client" try "$@"; }
# bindings USER: how many bindings `sipregctl aor` reports for USER@example.com
bindings() {
	"$ctl" --prefix $prefix --json aor "sip:$1@example.com" |
		"$py" -c 'import json,sys; print(json.load(sys.stdin)["bindings"])'
}
# contact_len USER: the length of the first stored contact of USER
contact_len() {
	"$ctl" --prefix $prefix --json aor "sip:$1@example.com" |
		"$py" -c 'import json,sys; d = json.load(sys.stdin); print(len(d["contact"][0]), len(d["path"][0]))'
}
mount_full() {
	mkdir -p "$mnt"
	mount -t tmpfs -o size=2m tmpfs "$mnt" && mounted=1
}
fill() { dd if=/dev/zero of="$mnt/fill" bs=4096 >/dev/null 2>&1; sync; }

it_devnet_fresh

# --- 1. a record twice the slot, durability=sync ---
start_sipreg "$work/data1" "$work/run1.log" sync || { cat "$work/run1.log"; echo "FAIL: sipreg did not start"; exit 1; }
got=$(try big 4096 2048)
[ "$got" = "200 -" ] && ok "REGISTER with a 4 KB Contact and a 2 KB Path: 200" || fail "REGISTER of a large binding: $got"
stop_sipreg TERM
start_sipreg "$work/data1" "$work/run1b.log" sync || { cat "$work/run1b.log"; echo "FAIL: no restart"; exit 1; }
lens=$(contact_len big)
[ "$(cut -d' ' -f1 <<<"$lens")" = 4096 ] && [ "$(cut -d' ' -f2 <<<"$lens")" -ge 2000 ] &&
	ok "after a restart the large binding is back (contact, Path: $lens bytes)" ||
	fail "after a restart the large binding is '$lens'"
stop_sipreg TERM

# --- 2. a full disk, durability=sync ---
mount_full || skip "cannot mount a tmpfs"
start_sipreg "$mnt/data" "$work/run2.log" sync || { cat "$work/run2.log"; echo "FAIL: sipreg did not start"; exit 1; }
got=$(try before 200)
[ "$got" = "200 -" ] && ok "before the disk fills: 200" || fail "before the disk fills: $got"
fill
refused=()
accepted=()
for i in 1 2 3 4 5; do
	got=$(try "victim$i" 6000)
	case "$got" in
	"500 "[0-9]*) refused+=("victim$i") ;;
	"200 -") accepted+=("victim$i") ;;
	*) fail "victim$i on a full disk: '$got'" ;;
	esac
done
[ "${#refused[@]}" -ge 3 ] && ok "full disk: ${#refused[@]} of 5 REGISTERs answered 500 with Retry-After" ||
	fail "full disk: only ${#refused[@]} of 5 REGISTERs answered 500 (accepted: ${accepted[*]:-none})"
for u in "${refused[@]}"; do
	n=$(bindings "$u")
	[ "$n" = 0 ] || fail "sipregctl aor $u: $n binding(s) after its 500 (the change was not undone)"
done
[ "${#refused[@]}" -gt 0 ] && ok "sipregctl aor: no binding for the REGISTERs answered 500"
# a second contact for the AoR registered before: refused, and the AoR keeps exactly its one binding
got=$(try before 6000)
[ "${got%% *}" = 500 ] && [ "$(bindings before)" = 1 ] &&
	ok "a second contact for an existing AoR: $got, the AoR keeps its one binding" ||
	fail "a second contact for an existing AoR on a full disk: '$got', $(bindings before) binding(s)"
s=$(stats)
errors=$(stat sipreg_persist_commit_errors_total <<<"$s")
retracted=$(stat sipreg_persist_retracted_total <<<"$s")
resynced=$(stat sipreg_persist_resynced_total <<<"$s")
[ "$errors" -ge 1 ] && [ "$retracted" -ge "${#refused[@]}" ] && [ "$resynced" -ge 1 ] &&
	ok "counted: $errors failed commits, $retracted 200s retracted, $resynced AoRs resynced" ||
	fail "figures: commit errors $errors, retracted $retracted, resynced $resynced"
grep -q "commit failed" "$work/run2.log" && ok "the failure is logged" || fail "no log line for the failure"
rm -f "$mnt/fill"
stop_sipreg TERM
start_sipreg "$mnt/data" "$work/run2b.log" sync || { cat "$work/run2b.log"; echo "FAIL: no restart"; exit 1; }
for u in "${refused[@]}"; do
	n=$(bindings "$u")
	[ "$n" = 0 ] || fail "after the restart $u has $n binding(s), but it was answered 500"
done
[ "${#refused[@]}" -gt 0 ] && ok "after the restart the REGISTERs answered 500 have no binding"
for u in "${accepted[@]}"; do
	[ "$(bindings "$u")" = 1 ] || fail "after the restart $u (answered 200) is missing"
done
[ "$(bindings before)" = 1 ] && ok "after the restart the earlier binding is back" ||
	fail "after the restart the earlier binding: $(bindings before)"
stop_sipreg TERM
it_check_sanitizers "$work/run2.log"
umount "$mnt" && mounted=

# --- 3. a full disk, durability=async ---
mount_full || skip "cannot mount a tmpfs"
start_sipreg "$mnt/data" "$work/run3.log" async || { cat "$work/run3.log"; echo "FAIL: sipreg did not start"; exit 1; }
fill
ok_count=0
for i in 1 2 3 4 5; do
	[ "$(try "async$i" 6000)" = "200 -" ] && ok_count=$((ok_count + 1))
done
[ "$ok_count" = 5 ] && ok "async on a full disk: service continues (5 of 5 answered 200)" ||
	fail "async on a full disk: $ok_count of 5 answered 200"
sleep 1
s=$(stats)
failing=$(stat sipreg_persist_failing <<<"$s")
backlog=$(stat sipreg_persist_backlog_events <<<"$s")
errors=$(stat sipreg_persist_commit_errors_total <<<"$s")
[ "$failing" = 1 ] && [ "$backlog" -ge 5 ] && [ "$errors" -ge 1 ] &&
	ok "/sipreg/stats: failing, $backlog events kept, $errors failed commits" ||
	fail "/sipreg/stats while the disk is full: failing $failing, backlog $backlog, errors $errors"
metrics=$(ip netns exec sr-dut curl -s --max-time 5 http://127.0.0.1:9464/metrics)
grep -q '^sipreg_persist_failing 1$' <<<"$metrics" && grep -q '^sipreg_persist_commit_errors_total [1-9]' <<<"$metrics" &&
	ok "/metrics: sipreg_persist_failing 1 and the failed commits" || fail "/metrics does not show the failure"
logged=$(grep -c "commit failed" "$work/run3.log")
[ "$logged" -ge 1 ] && [ "$logged" -le 3 ] && ok "logged $logged time(s) (rate-limited)" ||
	fail "the failure was logged $logged times"
rm -f "$mnt/fill"
for _ in $(seq 50); do
	[ "$(stats | stat sipreg_persist_failing)" = 0 ] && break
	sleep 0.2
done
s=$(stats)
[ "$(stat sipreg_persist_failing <<<"$s")" = 0 ] && [ "$(stat sipreg_persist_backlog_events <<<"$s")" = 0 ] &&
	ok "space freed: the kept events are committed" || fail "space freed but still failing: $s"
grep -q "commits succeed again" "$work/run3.log" && ok "the recovery is logged" || fail "no recovery line in the log"
stop_sipreg TERM
start_sipreg "$mnt/data" "$work/run3b.log" async || { cat "$work/run3b.log"; echo "FAIL: no restart"; exit 1; }
n=0
for i in 1 2 3 4 5; do [ "$(bindings "async$i")" = 1 ] && n=$((n + 1)); done
[ "$n" = 5 ] && ok "after the restart all 5 bindings registered while the disk was full are back" ||
	fail "after the restart $n of 5 bindings registered while the disk was full are back"
stop_sipreg TERM
it_check_sanitizers "$work/run3.log"
it_check_sanitizers "$work/run1.log"
it_finish
