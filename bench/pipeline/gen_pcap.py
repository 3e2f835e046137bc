#!/usr/bin/env python3
"""gen_pcap.py - writes the frames bench/pipeline feeds sipreg: N new REGISTERs.

Each frame is Ethernet (broadcast destination, since the pcap PMD's MAC is not
known in advance) / IPv4 198.51.100.2 -> 198.51.100.1 / UDP 5060 -> 5060 with
the same ~465-byte REGISTER bench/core replays in process (a unique AoR, Call-ID
and branch per frame, CSeq 1), so the two figures are comparable.

  gen_pcap.py OUT.pcap COUNT [FIRST [DPORT]]    AoRs FIRST .. FIRST+COUNT-1
DPORT (default 5060) other than sipreg's SIP port gives the same frames as a
counted drop after the L2-L4 checks: the cost of receiving them, without SIP.
"""
import struct
import sys

SRC_MAC = bytes.fromhex("02aabbccdd02")
SRC_IP = bytes([198, 51, 100, 2])
DST_IP = bytes([198, 51, 100, 1])


def register(i):
	return ("REGISTER sip:example.com SIP/2.0\r\n"
		f"Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK-{i}-1;rport\r\n"
		"Max-Forwards: 70\r\n"
		f"From: \"User {i}\" <sip:u{i:07d}@example.com>;tag=f{i}\r\n"
		f"To: \"User {i}\" <sip:u{i:07d}@example.com>\r\n"
		f"Call-ID: c{i}-bench@198.51.100.2\r\n"
		"CSeq: 1 REGISTER\r\n"
		f"Contact: <sip:u{i:07d}@198.51.100.2:5060;transport=udp>\r\n"
		"Expires: 3600\r\n"
		"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, REFER, MESSAGE\r\n"
		"Supported: path, outbound\r\n"
		"User-Agent: sipreg-bench/0.1\r\n"
		"Content-Length: 0\r\n\r\n").encode()


def ip_checksum(h):
	s = sum(struct.unpack("!10H", h))
	while s >> 16:
		s = (s & 0xffff) + (s >> 16)
	return (~s) & 0xffff


def frame(i, dport):
	sip = register(i)
	udp = struct.pack("!HHHH", 5060, dport, 8 + len(sip), 0) + sip  # checksum 0: none (IPv4)
	ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0, SRC_IP, DST_IP)
	ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
	return b"\xff" * 6 + SRC_MAC + b"\x08\x00" + ip + udp


def main():
	if len(sys.argv) not in (3, 4, 5):
		sys.exit("usage: gen_pcap.py OUT.pcap COUNT [FIRST [DPORT]]")
	try:
		count = int(sys.argv[2])
		first = int(sys.argv[3]) if len(sys.argv) >= 4 else 0
		dport = int(sys.argv[4]) if len(sys.argv) == 5 else 5060
	except ValueError:
		sys.exit("gen_pcap.py: COUNT, FIRST and DPORT must be integers")
	if count < 1 or first < 0 or first + count > 10**7 or not 0 < dport < 65536:
		sys.exit("gen_pcap.py: need COUNT >= 1, FIRST >= 0, FIRST + COUNT <= 10000000, 0 < DPORT < 65536")
	with open(sys.argv[1], "wb") as f:
		f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
		for i in range(first, first + count):
			fr = frame(i, dport)
			f.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(fr), len(fr)))
			f.write(fr)


if __name__ == "__main__":
	main()
