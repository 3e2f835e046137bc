#!/usr/bin/env python3
"""policy_peer.py - the client side of test_devnet_policy.sh (runs in netns sr-peer).

Builds on peer.py's request builder. Every wait is bounded.

  policy_peer.py expect USER UA CONTACT STATUS [HEADER]
                                                 REGISTER (with one extra header line if given);
                                                 STATUS is the expected code or 'none' (no answer
                                                 at all within 3 tries of 0.5 s); PORT in CONTACT
                                                 becomes the socket's port
  policy_peer.py flood USER N                    N REGISTERs from one socket as fast as possible;
                                                 prints "200=a 503=b none=c retry_after=x"
"""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402


def register(user, ua, contact, port, header=""):
    extra = f"Contact: <{contact}>\r\nUser-Agent: {ua}\r\nExpires: 600\r\n"
    if header:
        extra += header + "\r\n"
    return peer.sip_request("REGISTER", user, port, extra)


def cmd_expect(user, ua, contact, status, header=""):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((peer.PEER, 0))
    s.settimeout(0.5)
    port = s.getsockname()[1]
    msg = register(user, ua, contact.replace("PORT", str(port)), port, header)
    got = "none"
    for _ in range(3):
        s.sendto(msg, (peer.DUT, 5060))
        try:
            data, _ = s.recvfrom(65535)
            got = data.decode(errors="replace").split("\r\n", 1)[0].split(" ")[1]
            break
        except socket.timeout:
            continue
    if got != status:
        sys.exit(f"policy_peer: UA {ua!r} contact {contact!r}: got {got}, expected {status}")
    print(f"policy_peer: UA {ua!r} contact {contact!r} -> {got}")


def cmd_flood(user, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((peer.PEER, 0))
    port = s.getsockname()[1]
    n = int(n)
    for i in range(n):
        s.sendto(register(user, "Linphone", f"sip:{user}@{peer.PEER}:{port}", port), (peer.DUT, 5060))
    counts = {"200": 0, "503": 0}
    retry = "-"
    s.settimeout(1.0)
    for _ in range(n):
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            break
        text = data.decode(errors="replace")
        code = text.split("\r\n", 1)[0].split(" ")[1]
        counts[code] = counts.get(code, 0) + 1
        for line in text.split("\r\n"):
            if line.lower().startswith("retry-after:"):
                retry = line.split(":", 1)[1].strip()
    none = n - sum(counts.values())
    print(f"200={counts['200']} 503={counts['503']} none={none} retry_after={retry}")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"expect": cmd_expect, "flood": cmd_flood}[cmd](*args)


if __name__ == "__main__":
    main()
