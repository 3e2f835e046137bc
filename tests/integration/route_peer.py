#!/usr/bin/env python3
"""route_peer.py - the test client side of the routing tests (test_devnet_route.sh, test_devnet_nat.sh).

Runs inside netns sr-peer (198.51.100.2); the registrar is 198.51.100.1:5060.
Every network wait is bounded.

  route_peer.py register USER PORT [Q]   REGISTER USER@example.com from PORT with Contact
                                         <sip:USER@198.51.100.2:PORT>[;q=Q] -> expects 200; prints
                                         a summary line, then each Contact value of the 200
  route_peer.py contact USER PORT CONTACT [HEADER...]
                                         the same with the Contact value and extra header lines given
                                         (e.g. a private address, +sip.instance, "Path: <...>")
  route_peer.py reach RURI PORT...       INVITE RURI from another port; for each PORT prints
                                         "PORT: <request line> | <Route value>" for the INVITE that
                                         reached it within 1 s, or "PORT: none"; each reached callee
                                         answers 486
  route_peer.py send METHOD RURI PORT... the same with another method (e.g. MESSAGE); a reached callee
                                         answers 200 (486 to an INVITE); then prints "final: <status
                                         line of the caller's final response> | <its Allow>"
  route_peer.py stun PORT                a STUN Binding request with FINGERPRINT from PORT to the SIP
                                         port; checks the response (transaction id, XOR-MAPPED-ADDRESS,
                                         FINGERPRINT by zlib's CRC-32) and prints the mapped address
  route_peer.py invite USER [DOMAIN]     INVITE sip:USER@DOMAIN (default example.com); prints the
                                         final status line, then each Contact value of it in order;
                                         ACKs a non-2xx final response
  route_peer.py retrans USER PORT N      the callee USER is registered at PORT: sends the same INVITE
                                         N times 50 ms apart, prints how many copies reached PORT
                                         within 400 ms of the first (before the proxy's own Timer A
                                         retransmission at 500 ms), then the callee answers 486
"""
import os
import random
import socket
import struct
import sys
import time
import zlib

from peer import DUT, PEER, transact

TIMEOUT = 3.0


def cmd_register(user, port, q=None):
    qp = f";q={q}" if q else ""
    cmd_contact(user, port, f"<sip:{user}@{PEER}:{port}>{qp}")


def cmd_contact(user, port, contact, *headers):
    port = int(port)
    extra = "".join(h + "\r\n" for h in headers)
    msg = (
        f"REGISTER sip:example.com SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {PEER}:{port};branch=z9hG4bK{random.getrandbits(32):08x};rport\r\n"
        f"Max-Forwards: 70\r\n"
        f"From: <sip:{user}@example.com>;tag={random.getrandbits(32):x}\r\n"
        f"To: <sip:{user}@example.com>\r\n"
        f"Call-ID: {random.getrandbits(64):x}@peer\r\n"
        f"CSeq: 1 REGISTER\r\n"
        f"Contact: {contact}\r\n"
        f"{extra}"
        f"Expires: 600\r\n"
        f"Content-Length: 0\r\n\r\n"
    ).encode()
    text, _ = transact(msg, port)
    first = text.split("\r\n", 1)[0]
    if not first.startswith("SIP/2.0 200"):
        sys.exit("route_peer: REGISTER answered %r" % first)
    print("route_peer: REGISTER %s from port %d, Contact %s -> %s" % (user, port, contact, first))
    for c in header_values(text, ("contact", "m")):  # the 200's Contacts (;received= behind NAT)
        print(c)


def invite(user, domain, port, branch, call_id, ruri=None, method="INVITE"):
    ruri = ruri or f"sip:{user}@{domain}"
    return (
        f"{method} {ruri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {PEER}:{port};branch={branch};rport\r\n"
        f"Max-Forwards: 70\r\n"
        f"From: <sip:caller@example.com>;tag=caller-{call_id}\r\n"
        f"To: <sip:{user}@{domain}>\r\n"
        f"Call-ID: {call_id}@peer\r\n"
        f"CSeq: 1 {method}\r\n"
        f"Contact: <sip:caller@{PEER}:{port}>\r\n"
        f"Content-Length: 0\r\n\r\n"
    )


def header_values(text, names):
    """Values of every header line named in names (lower case), in order, comma lists split."""
    out = []
    for line in text.split("\r\n")[1:]:
        if not line:
            break
        name, _, value = line.partition(":")
        if name.strip().lower() in names:
            out += [v.strip() for v in value.split(",")]
    return out


def ack_for(req, resp):
    """The ACK of a non-2xx final response (RFC 3261 17.1.1.3): the INVITE's Via, the response's To."""
    lines = req.split("\r\n")
    to = [l for l in resp.split("\r\n") if l.lower().startswith(("to:", "t:"))][0]
    out = ["ACK " + lines[0].split(" ")[1] + " SIP/2.0"]
    for l in lines[1:]:
        if l.startswith("To:"):
            out.append(to)
        elif l.startswith("CSeq:"):
            out.append("CSeq: 1 ACK")
        elif l.startswith(("Via:", "Max-Forwards:", "From:", "Call-ID:")):
            out.append(l)
    return ("\r\n".join(out) + "\r\nContent-Length: 0\r\n\r\n").encode()


def cmd_invite(user, domain="example.com"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((PEER, 0))
    port = s.getsockname()[1]
    cid = "%x" % random.getrandbits(64)
    req = invite(user, domain, port, "z9hG4bK%08x" % random.getrandbits(32), cid)
    s.sendto(req.encode(), (DUT, 5060))
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            break
        text = data.decode(errors="replace")
        first = text.split("\r\n", 1)[0]
        if first.startswith("SIP/2.0 1"):
            continue
        print(first)
        for c in header_values(text, ("contact", "m")):
            print(c)
        if not first.startswith("SIP/2.0 2"):
            s.sendto(ack_for(req, text), (DUT, 5060))
        return
    sys.exit("route_peer: no final response to INVITE %s@%s" % (user, domain))


def busy(sock, text, src, status="486 Busy Here"):
    """The callee's 486 to a received INVITE (the proxy ends its transaction and ACKs it)."""
    head = [l for l in text.split("\r\n") if l.startswith(("Via:", "From:", "To:", "Call-ID:", "CSeq:"))]
    head = [l + ";tag=callee" if l.startswith("To:") else l for l in head]
    sock.sendto(("SIP/2.0 " + status + "\r\n" + "\r\n".join(head) + "\r\nContent-Length: 0\r\n\r\n").encode(), src)


def cmd_reach(ruri, *ports):
    reach("INVITE", ruri, ports)


def cmd_send(method, ruri, *ports):
    caller, req = reach(method, ruri, ports)
    caller.settimeout(TIMEOUT)
    try:
        while True:
            data, _ = caller.recvfrom(65535)
            text = data.decode(errors="replace")
            if not text.startswith("SIP/2.0 1"):
                break
    except socket.timeout:
        sys.exit("route_peer: no final response to %s %s" % (method, ruri))
    if method == "INVITE" and not text.startswith("SIP/2.0 2"):
        caller.sendto(ack_for(req, text), (DUT, 5060))
    print("final: %s | %s" % (text.split("\r\n", 1)[0], ", ".join(header_values(text, ("allow",)))))


def reach(method, ruri, ports):
    socks = {}
    for p in ports:
        socks[p] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        socks[p].bind((PEER, int(p)))
        socks[p].setblocking(False)
    caller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    caller.bind((PEER, 0))
    cid = "%x" % random.getrandbits(64)
    user = ruri.split(":", 1)[1].split("@")[0]
    req = invite(user, "example.com", caller.getsockname()[1], "z9hG4bK%08x" % random.getrandbits(32), cid, ruri,
                 method)
    caller.sendto(req.encode(), (DUT, 5060))
    seen = {}
    deadline = time.time() + 1.0
    while time.time() < deadline and len(seen) < len(ports):
        for p, s in socks.items():
            try:
                data, src = s.recvfrom(65535)
            except BlockingIOError:
                continue
            text = data.decode(errors="replace")
            if text.startswith(method + " ") and p not in seen:
                route = header_values(text, ("route",))
                seen[p] = text.split("\r\n", 1)[0] + " | " + ", ".join(route)
                busy(s, text, src, "486 Busy Here" if method == "INVITE" else "200 OK")
        time.sleep(0.005)
    for p in ports:
        print("%s: %s" % (p, seen.get(p, "none")))
    return caller, req


def cmd_retrans(user, callee_port, n):
    callee = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    callee.bind((PEER, int(callee_port)))
    caller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    caller.bind((PEER, 0))
    port = caller.getsockname()[1]
    cid = "%x" % random.getrandbits(64)
    req = invite(user, "example.com", port, "z9hG4bK%08x" % random.getrandbits(32), cid).encode()
    deadline = time.time() + 0.4
    for _ in range(int(n)):
        caller.sendto(req, (DUT, 5060))
        time.sleep(0.05)
    got, last = 0, None
    while time.time() < deadline:
        callee.settimeout(max(0.01, deadline - time.time()))
        try:
            data, src = callee.recvfrom(65535)
        except socket.timeout:
            break
        if data.startswith(b"INVITE "):
            got += 1
            last = (data.decode(errors="replace"), src)
    print(got)
    if last:
        busy(callee, *last)


def stun_fingerprint(msg):
    return struct.pack("!HHI", 0x8028, 4, (zlib.crc32(msg) & 0xFFFFFFFF) ^ 0x5354554E)


def cmd_stun(port):
    cookie, txid = 0x2112A442, os.urandom(12)
    head = struct.pack("!HHI", 0x0001, 8, cookie) + txid  # the length counts the FINGERPRINT
    req = head + stun_fingerprint(head)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((PEER, int(port)))
    s.settimeout(TIMEOUT)
    s.sendto(req, (DUT, 5060))
    try:
        resp, _ = s.recvfrom(2048)
    except socket.timeout:
        sys.exit("route_peer: no STUN response")
    mtype, mlen, mcookie = struct.unpack("!HHI", resp[:8])
    if mtype != 0x0101 or mcookie != cookie or resp[8:20] != txid or mlen + 20 != len(resp):
        sys.exit("route_peer: bad STUN response header %r" % resp[:20])
    at, mapped, fp_ok = 20, None, False
    while at + 4 <= len(resp):
        atype, alen = struct.unpack("!HH", resp[at:at + 4])
        val = resp[at + 4:at + 4 + alen]
        if atype == 0x0020:
            xport = struct.unpack("!H", val[2:4])[0] ^ (cookie >> 16)
            xaddr = struct.unpack("!I", val[4:8])[0] ^ cookie
            mapped = "%s:%d" % (socket.inet_ntoa(struct.pack("!I", xaddr)), xport)
        elif atype == 0x8028:
            fp_ok = resp[at:at + 8] == stun_fingerprint(resp[:at])
        at += 4 + ((alen + 3) & ~3)
    if not fp_ok:
        sys.exit("route_peer: STUN response without a valid FINGERPRINT")
    print(mapped)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    {"register": cmd_register, "contact": cmd_contact, "reach": cmd_reach, "invite": cmd_invite,
     "retrans": cmd_retrans, "stun": cmd_stun, "send": cmd_send}[cmd](*args)


if __name__ == "__main__":
    main()
