# pmd.sh - which DPDK driver sipreg runs on over the development network's veth (sourced, not run).
#
# sr_pmd_settings PMD: sets the array pmd_set to the sipreg --set arguments that put the
# development profile (dpdk-config/sipreg-dev.ini) on PMD; returns 1 for an unknown name.
#   af_packet  the profile as it is (the default): the kernel copies each frame into a
#              PACKET_MMAP ring, a transmit burst is one sendto()
#   af_xdp     DPDK's net_af_xdp: an XDP program on sr-dut0 (libxdp's default xsk program, native
#              veth mode) redirects every frame to an AF_XDP socket whose UMEM is sipreg's receive
#              mbuf pool, so frames land in mbufs without a copy in sipreg (the kernel's copy into
#              the UMEM runs in the sender's veth receive, on the generator's CPU)
# Why each af_xdp setting (docs/OPERATIONS.md, bench/RESULTS.md "AF_XDP PMD"):
#   workers.count=1  DPDK 22.11's PMD takes its queue count from the interface's "combined"
#              ethtool channels; veth has separate rx/tx channels only, so the PMD offers one queue
#              ("Specified queue count 2 is larger than combined queue count 1"), whatever
#              numrxqueues the veth was made with. Every benchmark runs one worker anyway.
#   port.rx_data_room=2048  each mbuf is one UMEM chunk, and without hugepages the kernel takes
#              no chunk larger than a 4 KiB page: 16 KiB mbufs fail with "Failed to create umem"
#              (EINVAL). Large REGISTERs still work: XDP sees the IPv4 fragments before the
#              kernel could reassemble them, and sipreg reassembles them itself (net.reasm_flows).
#   port.rx_desc=4096  the XSK receive ring, where requests wait while the worker's transmit runs the
#              veth hop: with the profile's 512, compare.sh lost a few hundred REGISTERs (timeouts) from
#              40,000-60,000/s, new and refresh alike (bench/RESULTS.md); af_packet's ring is 4096 frames
#              for the same reason.
#   busy_budget=0  the PMD's default (64) sets SO_PREFER_BUSY_POLL and makes every empty receive
#              poll a recvfrom() (strace of an idle worker: 24,070 in 3 s), a busy poll that can
#              run the veth's NAPI, the generator's side of the hop, inside sipreg's worker; with
#              busy_budget=0 an empty poll is a ring read and no system call (none in 3 s).
sr_pmd_settings() {
	pmd_set=()
	case "$1" in
	af_packet) ;;
	af_xdp)
		pmd_set=(--set "port.vdev=net_af_xdp0,iface=sr-dut0,busy_budget=0"
			--set port.rx_data_room=2048 --set port.rx_desc=4096 --set workers.count=1)
		;;
	*) return 1 ;;
	esac
}
