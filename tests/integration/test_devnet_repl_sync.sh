#!/usr/bin/env bash
# test_devnet_repl_sync.sh [BUILD_DIR] - sync durability with replication: Redis stopped and restarted
# under load loses nothing acknowledged (issue 16).
#
# Two registrars in pair mode with Redis in sr-peer (tests/integration/repl_lib.sh), both with
# control.durability=sync and replication.durability=sync: a 200 goes only once its change is in the
# node's store and settled durable in Redis.
#   1. SR_RS_AORS (default 2000) AoRs are registered through A at SR_RS_RATE/s (retransmitting what is
#      not answered 200); 1.5 s into the load Redis is killed with SIGKILL and restarted 2 s later over
#      its append-only file. While it is away, REGISTERs are answered 503 with Retry-After (the held
#      200's replica retraction: the node is fine, Redis is not), never 200 and never the 500 of a
#      store failure: sipreg_persist_retracted_replica_total grows, as much as
#      sipreg_persist_retracted_total, and the client saw 503s, each with Retry-After, and no 500;
#   2. once Redis is back the retransmissions are acknowledged and A's backlog drains (nothing
#      unsettled), and the standby follows again;
#   3. A is killed with SIGKILL and B promoted: every AoR A acknowledged answers a fetch on B.
# Exit 77 (skip) when not root, or without ip netns, python3 or redis-server.
set -uo pipefail

aors=${SR_RS_AORS:-2000}
rate=${SR_RS_RATE:-400}
prefix=sipreg-rsa
prefix_b=sipreg-rsb
BUILD_DIR_ARG=${1:-}
. "$(dirname "$0")/lib.sh"
it_init sipreg-replsync
. "$(dirname "$0")/repl_lib.sh"
repl_up
sync=(--set control.durability=sync --set replication.durability=sync)

node_start a active false "$work/a.log" "${sync[@]}"
wait_role "$prefix" active || fail "A did not become active: $(repl "$prefix" role) $(repl "$prefix" last_error)"
node_start b standby false "$work/b.log" "${sync[@]}"
wait_role "$prefix_b" standby || fail "B is not standby: $(repl "$prefix_b" role)"

# --- 1. load; Redis killed and restarted meanwhile ---
"${peer[@]}" "$py" "$fop" register "$aors" "$rate" "$work/acked" >"$work/acked_n" &
load=$!
sleep 1.5
kill -KILL "$redis_pid"
wait "$redis_pid" 2>/dev/null
redis_pid=
sleep 2
retracted=$(metric "$prefix" sipreg_persist_retracted_total)
echo "while Redis was away: available $(repl "$prefix" available), retracted $retracted," \
	"last error: $(repl "$prefix" last_error)"
[ "$retracted" -gt 0 ] 2>/dev/null && ok "REGISTERs while Redis was away were retracted, not answered 200" ||
	fail "no REGISTER was refused while Redis was away (retracted $retracted)"
redis_start
wait "$load"
acked=$(cat "$work/acked_n")
retracted=$(metric "$prefix" sipreg_persist_retracted_total)
by_replica=$(metric "$prefix" sipreg_persist_retracted_replica_total)
[ "$by_replica" -gt 0 ] 2>/dev/null && [ "$by_replica" = "$retracted" ] &&
	ok "every retraction was the replica's ($by_replica of $retracted)" ||
	fail "retractions: $by_replica by the replica of $retracted"
echo "answers other than 200 (status, count, with Retry-After): $(tr '\n' ';' <"$work/acked.status")"
read -r n503 ra503 < <(awk '$1 == 503 {print $2, $3}' "$work/acked.status")
[ "${n503:-0}" -gt 0 ] && [ "$n503" = "$ra503" ] && ok "the client got $n503 503s, each with Retry-After" ||
	fail "503s seen by the client: ${n503:-0}, with Retry-After ${ra503:-0}"
grep -q '^500 ' "$work/acked.status" && fail "the client got 500s: a Redis refusal is not a store failure" ||
	ok "no 500 while only Redis was away"
[ "$acked" -ge $((aors * 95 / 100)) ] && ok "$acked of $aors AoRs acknowledged once Redis was back" ||
	fail "only $acked of $aors AoRs acknowledged"

# --- 2. the backlog drains ---
wait_settled "$prefix" "$prefix_b" 1 && [ "$(repl "$prefix" backlog_events)" = 0 ] &&
	ok "A's backlog drained (nothing unsettled), B follows" ||
	fail "not drained: A lag $(repl "$prefix" lag_events) backlog $(repl "$prefix" backlog_events)"
for _ in $(seq 100); do [ "$(repl "$prefix_b" follow_streaming)" = 1 ] && break; sleep 0.1; done

# --- 3. nothing acknowledged is lost ---
kill_and_time a "sync durability, by command" "$ctl" --prefix "$prefix_b" promote
fetch_all B "$work/acked"

for f in "$work"/a.log "$work"/b.log; do it_check_sanitizers "$f"; done
it_finish
