#!/usr/bin/env bash
# Installs every Debian 12 package sipreg's build, tests and dev network need
# (idempotent), then configures the meson build directory ${BUILD_DIR:-build}.
#
#   SR_SANITIZE=0  configure without ASan+UBSan (benchmarks); the default build is sanitized,
#                  which is what the tests run under
#   SR_WERROR=0    do not turn warnings into errors (default: on)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-build}

packages=(
	build-essential pkg-config meson ninja-build clang libclang-rt-14-dev
	dpdk-dev libdpdk-dev python3-pyelftools
	libosip2-dev libcmocka-dev libhyperscan-dev liblmdb-dev libmicrohttpd-dev libssl-dev libinih-dev libjansson-dev
	libcurl4-openssl-dev
	sip-tester iproute2 valgrind procps ethtool python3 curl
	redis-server libhiredis-dev
	kamailio # the main registrar of tests/integration/test_devnet_mid.sh (kamailio, kamcmd)
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "setup: installing ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

opts=(-Dwerror="$([ "${SR_WERROR:-1}" = 1 ] && echo true || echo false)")
if [ "${SR_SANITIZE:-1}" = 1 ]; then
	opts+=(-Db_sanitize=address,undefined -Db_lundef=false)
fi

cd "$here"
if [ -f "$build_dir/build.ninja" ]; then
	meson configure "$build_dir" "${opts[@]}" >/dev/null
else
	meson setup "$build_dir" "${opts[@]}"
fi
echo "setup: build directory $build_dir is configured"
