#!/usr/bin/env bash
# hugepages.sh [PAGES_2M] - reserves 2 MiB hugepages and mounts hugetlbfs for the
# NIC profile (sipreg-nic.ini). Not needed for the development profile (--no-huge).
# Default 2048 pages (4 GiB), spread over NUMA nodes by the kernel.
set -euo pipefail

pages=${1:-2048}
if [ "$(id -u)" -ne 0 ]; then
	echo "hugepages: must run as root" >&2
	exit 1
fi
echo "$pages" > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
got=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
mkdir -p /dev/hugepages
mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages
echo "hugepages: $got x 2 MiB reserved (asked $pages), hugetlbfs on /dev/hugepages"
[ "$got" -ge "$pages" ] || { echo "hugepages: fewer pages than asked (memory fragmented?)" >&2; exit 1; }
