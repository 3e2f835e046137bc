#!/usr/bin/env python3
"""peer.py - the test client side of sipreg's integration tests.

Runs inside netns sr-peer (198.51.100.2) except 'telemetry' and 'ctl', which
only need the instance's sockets (the DPDK telemetry socket; sipreg's control
socket). Every network wait is bounded.

  peer.py ping                       ICMP echo to 198.51.100.1, checks the reply
  peer.py options                    OPTIONS -> expects 200 with Allow
  peer.py register USER [EXPIRES [PORT]]  REGISTER USER@example.com -> expects 200 (PORT: fixed contact port)
  peer.py long USER LEN              REGISTER with one Contact URI of LEN bytes -> expects 200; prints the URI
  peer.py try USER LEN [PATHLEN]     REGISTER with a LEN-byte Contact URI (and a Path of PATHLEN bytes), any
                                     answer: prints "STATUS RETRY-AFTER" (RETRY-AFTER "-" when absent)
  peer.py contact USER URI EXPIRES   REGISTER USER@example.com with Contact <URI> -> expects 200; prints
                                     the number of contacts the 200 lists
  peer.py big USER N                 a ~6 kB REGISTER with N contacts (IPv4-fragmented both ways)
  peer.py fetch USER                 REGISTER without Contact -> expects 200; prints the Contact lines
  peer.py folded USER SPORT VIAPORT  REGISTER from SPORT whose top Via (sent-by port VIAPORT, rport) is
                                     folded: the 200 must come back to SPORT with rport=SPORT
  peer.py crlf USER N                N REGISTERs preceded by CRLFCRLF from N source ports (so from
                                     flows both workers receive), then a fetch must list all N contacts
  peer.py bad KIND                   sends one bad frame/datagram (see BAD below)
  peer.py telemetry PREFIX CMD       prints the JSON answer of a telemetry command
  peer.py ctl PREFIX CMD [PARAMS]    prints the answer line of a control socket command
"""
import json
import os
import random
import socket
import struct
import sys
import time

DUT = "198.51.100.1"
PEER = "198.51.100.2"
IFACE = "sr-peer0"
TIMEOUT = 3.0


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def sip_request(method, user, port, extra="", cseq=1, branch=None, call_id=None):
    branch = branch or "z9hG4bK%08x" % random.getrandbits(32)
    call_id = call_id or "%x@peer" % random.getrandbits(64)
    return (
        f"{method} sip:example.com SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {PEER}:{port};branch={branch};rport\r\n"
        f"Max-Forwards: 70\r\n"
        f"From: <sip:{user}@example.com>;tag={random.getrandbits(32):x}\r\n"
        f"To: <sip:{user}@example.com>\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\n"
        f"{extra}"
        f"Content-Length: 0\r\n\r\n"
    ).encode()


def transact(msg, port=0):
    """Sends msg from a fresh UDP socket and returns the first answer (or exits 1)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((PEER, port))
    s.settimeout(TIMEOUT)
    for _ in range(3):  # UDP: retransmit like a UA would
        s.sendto(msg, (DUT, 5060))
        try:
            data, src = s.recvfrom(65535)
            return data.decode(errors="replace"), src
        except socket.timeout:
            continue
    sys.exit("peer: no answer from %s:5060" % DUT)


def cmd_options():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((PEER, 0))
    port = s.getsockname()[1]
    s.close()
    text, src = transact(sip_request("OPTIONS", "probe", port), port)
    first = text.split("\r\n", 1)[0]
    if not first.startswith("SIP/2.0 200") or "\r\nAllow:" not in text:
        sys.exit("peer: OPTIONS answered %r" % first)
    if src != (DUT, 5060):
        sys.exit("peer: answer came from %r" % (src,))
    print("peer: OPTIONS -> %s (Allow present)" % first)


def cmd_register(user, expires="600", port="0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((PEER, int(port)))
    port = s.getsockname()[1]
    s.close()
    extra = f"Contact: <sip:{user}@{PEER}:{port}>\r\nExpires: {expires}\r\n"
    text, _ = transact(sip_request("REGISTER", user, port, extra), port)
    first = text.split("\r\n", 1)[0]
    if not first.startswith("SIP/2.0 200"):
        sys.exit("peer: REGISTER answered %r" % first)
    print("peer: REGISTER %s -> %s" % (user, first))


def cmd_long(user, length):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((PEER, 0))
    port = s.getsockname()[1]
    s.close()
    uri = f"sip:{user}@{PEER}:{port};x="
    uri += "L" * (int(length) - len(uri))
    text, _ = transact(sip_request("REGISTER", user, port, f"Contact: <{uri}>\r\nExpires: 600\r\n"), port)
    first = text.split("\r\n", 1)[0]
    if not first.startswith("SIP/2.0 200"):
        sys.exit("peer: REGISTER with a %s-byte contact answered %r" % (length, first))
    print(uri)


def cmd_try(user, length, path_len="0"):
    port = random.randint(20000, 60000)
    uri = f"sip:{user}@{PEER}:{port};x="
    uri += "L" * (int(length) - len(uri))
    extra = f"Contact: <{uri}>\r\nExpires: 600\r\nSupported: path\r\n"
    if int(path_len):
        path = "<sip:edge.example.net;lr;p=" + "P" * (int(path_len) - 33) + ">"
        extra += f"Path: {path}\r\n"
    text, _ = transact(sip_request("REGISTER", user, port, extra), port)
    lines = text.split("\r\n")
    retry = [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("retry-after:")]
    print(lines[0].split(" ")[1], retry[0] if retry else "-")


def cmd_contact(user, uri, expires):
    port = random.randint(20000, 60000)
    extra = f"Contact: <{uri}>\r\nExpires: {expires}\r\n"
    text, _ = transact(sip_request("REGISTER", user, port, extra), port)
    lines = text.split("\r\n")
    if not lines[0].startswith("SIP/2.0 200"):
        sys.exit("peer: REGISTER of %s for %s answered %r" % (uri, user, lines[0]))
    print(sum(1 for line in lines if line.lower().startswith(("contact:", "m:"))))


def cmd_fetch(user):
    port = random.randint(20000, 60000)
    text, _ = transact(sip_request("REGISTER", user, port), port)
    lines = text.split("\r\n")
    if not lines[0].startswith("SIP/2.0 200"):
        sys.exit("peer: fetch of %s answered %r" % (user, lines[0]))
    for line in lines:
        if line.lower().startswith(("contact:", "m:")):
            print(line)


def cmd_big(user, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((PEER, 0))
    port = s.getsockname()[1]
    s.close()
    n = int(n)
    extra = "".join(
        f"Contact: <sip:{user}-{i}@{PEER}:{port};transport=udp;x-long-parameter-{i}=value-{i:04d}-{'v' * 40}>\r\n"
        for i in range(n)
    )
    extra += "X-Padding: " + "p" * 3000 + "\r\nExpires: 600\r\n"
    req = sip_request("REGISTER", user, port, extra)
    text, _ = transact(req, port)
    first = text.split("\r\n", 1)[0]
    got = text.count("\r\nContact:")
    if not first.startswith("SIP/2.0 200") or got != n:
        sys.exit("peer: big REGISTER (%d bytes) answered %r with %d contacts" % (len(req), first, got))
    print("peer: big REGISTER of %d bytes -> %s, %d bytes with %d contacts" % (len(req), first, len(text), got))


def cmd_folded(user, sport, via_port):
    sport, via_port = int(sport), int(via_port)
    wrong = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # where a reply read from sent-by would go
    wrong.bind((PEER, via_port))
    wrong.settimeout(0.5)
    branch = "z9hG4bK%08x" % random.getrandbits(32)
    msg = sip_request("REGISTER", user, via_port, f"Contact: <sip:{user}@{PEER}:{sport}>\r\n", branch=branch)
    msg = msg.replace(f"{PEER}:{via_port};branch=".encode(), f"{PEER}:{via_port}\r\n ;branch=".encode())
    text, _ = transact(msg, sport)
    first = text.split("\r\n", 1)[0]
    via = next((l for l in text.split("\r\n") if l.startswith("Via:")), "")
    if not first.startswith("SIP/2.0 200") or f"rport={sport}" not in via:
        sys.exit("peer: folded-Via REGISTER answered %r, %r" % (first, via))
    try:
        data, _ = wrong.recvfrom(65535)
        sys.exit("peer: a reply went to the sent-by port %d too: %r" % (via_port, data[:40]))
    except socket.timeout:
        pass
    print("peer: folded-Via REGISTER from port %d -> %s, %s" % (sport, first, via))


def cmd_crlf(user, n):
    n = int(n)
    for i in range(n):
        port = random.randint(20000, 60000)
        extra = f"Contact: <sip:{user}-{i}@{PEER}:{port}>\r\nExpires: 600\r\n"
        text, _ = transact(b"\r\n\r\n" + sip_request("REGISTER", user, port, extra, cseq=i + 1), port)
        if not text.startswith("SIP/2.0 200"):
            sys.exit("peer: CRLF-prefixed REGISTER %d answered %r" % (i, text.split("\r\n", 1)[0]))
    text, _ = transact(sip_request("REGISTER", user, random.randint(20000, 60000)))
    got = text.count("\r\nContact:")
    if got != n:
        sys.exit("peer: %d CRLF-prefixed REGISTERs, but a fetch lists %d contacts" % (n, got))
    print("peer: %d CRLF-prefixed REGISTERs of %s from %d ports, one AoR with %d contacts" % (n, user, n, got))


def cmd_ping():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(TIMEOUT)
    ident, data = os.getpid() & 0xFFFF, b"sipreg-ping-0123456789abcdef"
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, 1)
    pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + data), ident, 1) + data
    s.sendto(pkt, (DUT, 0))
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        try:
            raw, src = s.recvfrom(2048)
        except socket.timeout:
            break
        ihl = (raw[0] & 0x0F) * 4
        icmp = raw[ihl:]
        typ, _, _, rid, seq = struct.unpack("!BBHHH", icmp[:8])
        if src[0] == DUT and typ == 0 and rid == ident and icmp[8:] == data and csum(icmp) == 0:
            print("peer: ICMP echo reply from %s" % DUT)
            return
    sys.exit("peer: no ICMP echo reply")


def l2_socket():
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((IFACE, 0))
    return s


def dut_mac():
    with open("/proc/net/arp") as f:
        for line in f.read().splitlines()[1:]:
            cols = line.split()
            if cols[0] == DUT and cols[3] != "00:00:00:00:00:00":
                return bytes.fromhex(cols[3].replace(":", ""))
    sys.exit("peer: no ARP entry for %s (ARP not answered?)" % DUT)


def frame(payload, sport=5099, dport=5060, udp_csum=True, ip_csum_ok=True, ip_total=None, frag=0):
    src_mac = open("/sys/class/net/%s/address" % IFACE).read().strip()
    eth = dut_mac() + bytes.fromhex(src_mac.replace(":", "")) + b"\x08\x00"
    src, dst = socket.inet_aton(PEER), socket.inet_aton(DUT)
    ulen = 8 + len(payload)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    if udp_csum is True:
        c = csum(src + dst + struct.pack("!BBH", 0, 17, ulen) + udp) or 0xFFFF
        udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    elif udp_csum == "bad":
        udp = udp[:6] + b"\xde\xad" + udp[8:]
    total = ip_total if ip_total is not None else 20 + len(udp)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, frag, 64, 17, 0, src, dst)
    c = csum(ip) if ip_csum_ok else 0x1234
    ip = ip[:10] + struct.pack("!H", c) + ip[12:]
    return eth + ip + udp


SIP_OK = sip_request("OPTIONS", "raw", 5099)

BAD = {
    # IP total length claims more than the frame holds
    "truncated": lambda: frame(SIP_OK)[:60],
    "udp_csum": lambda: frame(SIP_OK, udp_csum="bad"),
    "ip_csum": lambda: frame(SIP_OK, ip_csum_ok=False),
    # valid UDP, not SIP
    "garbage": lambda: frame(b"\x00\x01hello, this is not SIP\xff" * 4),
    "udp_port": lambda: frame(SIP_OK, dport=5099),
}


def cmd_bad(kind):
    if kind == "oversized":
        # 20 kB: fragmented by the sender, defragmented by af_packet's fanout, and longer than
        # the development profile's 16 kB frames: sipreg sees it cut short and counts a runt
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"REGISTER sip:example.com SIP/2.0\r\nX: " + b"a" * 20000 + b"\r\n\r\n", (DUT, 5060))
    elif kind == "lone_fragment":
        # first fragment (MF set) of a datagram whose rest never comes; on af_packet the
        # kernel's defragmenter holds it and drops it after its timeout, on a NIC sipreg's does
        l2_socket().send(frame(b"REGISTER sip:example.com SIP/2.0\r\n" + b"x" * 64, frag=0x2000))
    else:
        l2_socket().send(BAD[kind]())
    print("peer: sent %s" % kind)


def cmd_telemetry(prefix, command):
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(TIMEOUT)
    s.connect(path)
    info = json.loads(s.recv(16384).decode())
    s.send(command.encode())
    reply = s.recv(info.get("max_output_len", 16384)).decode()
    print(reply)


def cmd_ctl(prefix, command, params=None):
    """One request on sipreg's control socket: a JSON object and a newline out, one line back."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect("/var/run/dpdk/%s/sipreg_ctl.sock" % prefix)
    req = {"cmd": command}
    if params is not None:
        req["params"] = params
    s.sendall((json.dumps(req) + "\n").encode())
    answer = b""
    while not answer.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("peer: the control socket closed before the end of the answer")
        answer += chunk
    print(answer.decode().rstrip("\n"))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    {"ping": cmd_ping, "options": cmd_options, "register": cmd_register, "contact": cmd_contact, "big": cmd_big,
     "fetch": cmd_fetch, "bad": cmd_bad, "telemetry": cmd_telemetry, "ctl": cmd_ctl, "long": cmd_long, "try": cmd_try,
     "folded": cmd_folded, "crlf": cmd_crlf}[cmd](*args)


if __name__ == "__main__":
    main()
