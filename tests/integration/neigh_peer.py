#!/usr/bin/env python3
"""neigh_peer.py - the test client side of test_devnet_neigh.sh (issue 12: ARP resolution of sipreg's own).

Runs inside netns sr-peer; the registrar is 198.51.100.1:5060. Every network wait is bounded.

  neigh_peer.py call USER IP DEV PORT   listens on IP:PORT bound to interface DEV (SO_BINDTODEVICE:
                                        only frames that arrived on DEV, i.e. sent to DEV's MAC), sends
                                        MESSAGE sip:USER@example.com to sipreg from the peer's own
                                        address, answers the MESSAGE that reaches the listener with 200;
                                        prints "reached: <request line>" or "reached: none" (within 3 s),
                                        then "final: <caller's final status line>" or "final: none"
  neigh_peer.py authreg USER PASSWORD CONTACT [HEADER...]
                                        REGISTER USER@example.com from the peer's own address with Contact
                                        CONTACT and the HEADER lines, answering the MD5 digest challenge;
                                        prints the final status line or "none"
  neigh_peer.py badauth SRC DEV USER [SPORT]
                                        REGISTER USER@example.com from SRC (source port SPORT, default any)
                                        sent out of interface DEV
                                        (SO_BINDTODEVICE: the frame carries DEV's MAC) with a made-up
                                        Authorization (an authentication failure); prints the status line
                                        or "none" (within 1 s: a blocked source may get no answer)
  neigh_peer.py register SRC USER SIZE [SPORT]
                                        REGISTER USER@example.com from SRC (an address of the peer's),
                                        source port SPORT (default: any), Contact at SRC, padded to SIZE
                                        bytes (past the MTU: sent as IPv4 fragments); prints the final
                                        status line or "none" (within 3 s)
"""
import hashlib
import random
import re
import socket
import sys
import time

from peer import DUT, PEER
from route_peer import busy, invite

WAIT = 3.0


def cmd_call(user, ip, dev, port):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
    listener.bind((ip, int(port)))
    listener.settimeout(0.05)
    caller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    caller.bind((PEER, 0))
    caller.settimeout(0.05)
    cid = "%x" % random.getrandbits(64)
    req = invite(user, "example.com", caller.getsockname()[1], "z9hG4bK%08x" % random.getrandbits(32), cid,
                 method="MESSAGE")
    caller.sendto(req.encode(), (DUT, 5060))
    reached = final = "none"
    deadline = time.time() + WAIT
    while time.time() < deadline and (reached == "none" or final == "none"):
        try:
            data, src = listener.recvfrom(65535)
            text = data.decode(errors="replace")
            if text.startswith("MESSAGE ") and reached == "none":
                reached = text.split("\r\n", 1)[0]
                busy(listener, text, src, "200 OK")
        except socket.timeout:
            pass
        try:
            data, _ = caller.recvfrom(65535)
            text = data.decode(errors="replace")
            if text.startswith("SIP/2.0 ") and not text.startswith("SIP/2.0 1"):
                final = text.split("\r\n", 1)[0]
        except socket.timeout:
            pass
    print("reached: " + reached)
    print("final: " + final)


def cmd_register(src, user, size, sport="0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # fragment, no DF (Linux's IP_MTU_DISCOVER and IP_PMTUDISC_DONT; Python names them on some builds only)
    s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_MTU_DISCOVER", 10), getattr(socket, "IP_PMTUDISC_DONT", 0))
    s.bind((src, int(sport)))
    s.settimeout(WAIT)
    port = s.getsockname()[1]
    msg = register_msg(src, port, user, f"<sip:{user}@{src}:{port}>", "Expires: 600\r\n")
    pad = int(size) - len(msg) - len("X-Pad: \r\n")
    if pad > 0:
        msg = msg.replace("Content-Length: 0\r\n", "X-Pad: " + "p" * pad + "\r\nContent-Length: 0\r\n")
    s.sendto(msg.encode(), (DUT, 5060))
    try:
        data, _ = s.recvfrom(65535)
        print(data.decode(errors="replace").split("\r\n", 1)[0])
    except socket.timeout:
        print("none")


def register_msg(src, port, user, contact, extra=""):
    return (
        f"REGISTER sip:example.com SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {src}:{port};branch=z9hG4bK{random.getrandbits(32):08x};rport\r\n"
        f"Max-Forwards: 70\r\n"
        f"From: <sip:{user}@example.com>;tag={random.getrandbits(32):x}\r\n"
        f"To: <sip:{user}@example.com>\r\n"
        f"Call-ID: {random.getrandbits(64):x}@{src}\r\n"
        f"CSeq: 1 REGISTER\r\n"
        f"Contact: {contact}\r\n"
        f"{extra}"
        f"Content-Length: 0\r\n\r\n"
    )


def status(data):
    return data.decode(errors="replace").split("\r\n", 1)[0]


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def cmd_authreg(user, password, contact, *headers):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((PEER, 0))
    s.settimeout(WAIT)
    port = s.getsockname()[1]
    extra = "".join(h + "\r\n" for h in headers)
    try:
        s.sendto(register_msg(PEER, port, user, contact, extra).encode(), (DUT, 5060))
        data, _ = s.recvfrom(65535)
        text = data.decode(errors="replace")
        line = next((l for l in text.split("\r\n") if l.lower().startswith("www-authenticate:")), None)
        if not text.startswith("SIP/2.0 401") or line is None:
            print(status(data))
            return
        ch = dict(re.findall(r'(\w+)="?([^",]*)"?', line.split(":", 1)[1]))
        uri, nc, cnonce = "sip:example.com", "00000001", "%08x" % random.getrandbits(32)
        ha1 = md5(f"{user}:{ch['realm']}:{password}")
        resp = md5(f"{ha1}:{ch['nonce']}:{nc}:{cnonce}:auth:" + md5(f"REGISTER:{uri}"))
        auth = (f'Authorization: Digest username="{user}", realm="{ch["realm"]}", nonce="{ch["nonce"]}", '
                f'uri="{uri}", response="{resp}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"\r\n')
        s.sendto(register_msg(PEER, port, user, contact, extra + auth).encode(), (DUT, 5060))
        data, _ = s.recvfrom(65535)
        print(status(data))
    except socket.timeout:
        print("none")


def cmd_badauth(src, dev, user, sport="0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
    s.bind((src, int(sport)))
    s.settimeout(1.0)
    port = s.getsockname()[1]
    bad = (f'Authorization: Digest username="{user}", realm="example.com", nonce="bm90LWEtbm9uY2U", '
           f'uri="sip:example.com", response="{"0" * 32}", algorithm=MD5, qop=auth, nc=00000001, cnonce="x"\r\n')
    s.sendto(register_msg(src, port, user, f"<sip:{user}@{src}:{port}>", bad).encode(), (DUT, 5060))
    try:
        data, _ = s.recvfrom(65535)
        print(status(data))
    except socket.timeout:
        print("none")


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "call":
        cmd_call(*sys.argv[2:])
    elif len(sys.argv) in (5, 6) and sys.argv[1] == "register":
        cmd_register(*sys.argv[2:])
    elif len(sys.argv) >= 5 and sys.argv[1] == "authreg":
        cmd_authreg(*sys.argv[2:])
    elif len(sys.argv) in (5, 6) and sys.argv[1] == "badauth":
        cmd_badauth(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
