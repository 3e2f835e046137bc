#!/usr/bin/env python3
"""neigh_peer.py - the test client side of test_devnet_neigh.sh (issue 12: ARP resolution of sipreg's own).

Runs inside netns sr-peer; the registrar is 198.51.100.1:5060. Every network wait is bounded.

  neigh_peer.py call USER IP DEV PORT   listens on IP:PORT bound to interface DEV (SO_BINDTODEVICE:
                                        only frames that arrived on DEV, i.e. sent to DEV's MAC), sends
                                        MESSAGE sip:USER@example.com to sipreg from the peer's own
                                        address, answers the MESSAGE that reaches the listener with 200;
                                        prints "reached: <request line>" or "reached: none" (within 3 s),
                                        then "final: <caller's final status line>" or "final: none"
"""
import random
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


def main():
    if len(sys.argv) != 6 or sys.argv[1] != "call":
        sys.exit(__doc__)
    cmd_call(*sys.argv[2:])


if __name__ == "__main__":
    main()
