#!/usr/bin/env bash
# durability.sh [--smoke] - the REGISTER/s cost of replication.durability=sync against async on the
# development network (issue 16's target: sync sustains at least 70 % of async's rate).
#
# bench/persist/durability.sh's procedure (fresh sipreg per run, rate steps until the first failure,
# confirmations, regflood's own figures) with SR_DUR_REDIS=1: sipreg replicates into a redis-server
# in sr-peer over devnet.sh up-repl's kernel link. Its two modes are then
#   async: control.durability=async, replication.durability=async (the 200 goes at once);
#   sync:  control.durability=sync,  replication.durability=sync (the 200 waits for LMDB and Redis);
# With SR_REPL_DUR_SPLIT=1 a third run measures control sync with replication async, so that the
# share of the cost that is Redis's can be told from LMDB's group commit. Every SR_DUR_* setting of
# bench/persist/durability.sh applies. The last line is bench/persist/durability.sh's JSON object.
#
#   SR_SANITIZE=0 BUILD_DIR=build-release scripts/setup.sh
#   BUILD_DIR=build-release bench/replication/durability.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${SR_REPL_DUR_SPLIT:-0}" = 1 ]; then
	echo "== control sync, replication async"
	SR_DUR_REDIS=1 SR_DUR_MODES=sync SR_DUR_REPL=async "$here/bench/persist/durability.sh" "$@" | tail -1
fi
SR_DUR_REDIS=1 exec "$here/bench/persist/durability.sh" "$@"
