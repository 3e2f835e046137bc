# mid_lib.sh - Kamailio as the main registrar and sipp UAs, for the mid-registrar's dev-network tests
# (test_devnet_mid.sh, test_devnet_mid_rules.sh; sourced after lib.sh's it_init, which sets here, work,
# peer). Kamailio runs bench/kamailio/kamailio_mid.cfg in sr-peer on 198.51.100.2:5070, usrloc in
# memory, and, like sipreg, is stopped by pid (on failure too: set the EXIT trap to 'kam_stop; it_cleanup').
kam_cfg=$here/bench/kamailio/kamailio_mid.cfg
scen=$here/tests/integration/sipp
kam_pid=

kam_stop() {
	[ -n "$kam_pid" ] || return 0
	kill "$kam_pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$kam_pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$kam_pid" 2>/dev/null
	wait "$kam_pid" 2>/dev/null
	kam_pid=
}

# kam_start NAME [-A DEFINE]...: a fresh Kamailio (empty location table) in sr-peer.
kam_start() {
	local name=$1
	shift
	mkdir -p "$work/kam-$name"
	"${peer[@]}" kamailio -f "$kam_cfg" -DD -E -n 1 -l udp:198.51.100.2:5070 -Y "$work/kam-$name" \
		-P "$work/kam-$name/pid" -A "MID_CTL=\"unix:$work/kam-$name/ctl\"" "$@" >"$work/kam-$name.log" 2>&1 &
	kam_pid=$!
	kam_ctl=unix:$work/kam-$name/ctl
	for _ in $(seq 50); do kamcmd -s "$kam_ctl" core.version >/dev/null 2>&1 && return 0; sleep 0.1; done
	cat "$work/kam-$name.log"
	echo "FAIL: kamailio did not start"
	exit 1
}
# kam_contacts USER: "ADDRESS EXPIRES" per contact Kamailio holds for USER (nothing when none).
kam_contacts() {
	kamcmd -s "$kam_ctl" ul.lookup location "$1" 2>/dev/null |
		awk '/Address:/ { a = $2 } /Expires:/ { print a, $2 }'
}
# kam_dump: "AOR ADDRESS" per contact of Kamailio's whole location table (kamcmd ul.dump).
kam_dump() {
	kamcmd -s "$kam_ctl" ul.dump 2>/dev/null | awk '/AoR:/ { aor = $2 } /Address:/ { print aor, $2 }'
}
# ua NAME PORT USER EXPIRES LAST PAUSE_MS: the sipp UA of mid_ua.xml, in the foreground (bounded).
ua() {
	(cd "$work" && timeout 60 "${peer[@]}" sipp 198.51.100.1:5060 -sf "$scen/mid_ua.xml" -i 198.51.100.2 \
		-p "$2" -m 1 -d "$6" -key user "$3" -key expires "$4" -key last "$5" -timeout 50s -nostdin \
		-trace_err -error_file "$work/$1.err" >"$work/$1.out" 2>&1)
}
ua_ok() {
	ua "$@" && ok "UA $1: every REGISTER answered 200" ||
		{ fail "UA $1: sipp failed"; tail -5 "$work/$1.out"; head -c 1500 "$work/$1.err" 2>/dev/null; }
}
