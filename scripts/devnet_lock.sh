# devnet_lock.sh - one user of the development network at a time (sourced, not run).
#
# The namespaces sr-dut and sr-peer have fixed names, so two scripts that use them
# at once (an integration test, a benchmark, scripts/run.sh) would tear each other's
# network down. sr_devnet_lock waits for /run/lock/sipreg-devnet.lock and holds it
# until the calling script exits.
#
# The lock is held by a small background holder, not by the script's own file
# descriptors: a daemon the script starts (sipreg, Kamailio, Redis) would inherit
# such a descriptor and keep the lock after the script is gone. The holder polls
# the script's pid and lets go within half a second of its exit.
# SR_DEVNET_LOCKED=1 in the environment marks a child of a holder (compare.sh run
# by an integration test): it does not wait for its own parent.

sr_devnet_lock() {
	[ "${SR_DEVNET_LOCKED:-0}" = 1 ] && return 0
	local owner=$$ lock=${SR_DEVNET_LOCK:-/run/lock/sipreg-devnet.lock} ready
	ready=$(mktemp)
	(
		flock 9 || exit 1
		echo locked >"$ready"
		while kill -0 "$owner" 2>/dev/null; do sleep 0.5; done
	) 9>"$lock" &
	local polls=0
	until [ -s "$ready" ]; do
		polls=$((polls + 1))
		[ "$polls" = 10 ] && echo "waiting for the development network ($lock is held by another test or benchmark)" >&2
		sleep 0.2
	done
	rm -f "$ready"
	export SR_DEVNET_LOCKED=1
}
