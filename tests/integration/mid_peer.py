#!/usr/bin/env python3
"""mid_peer.py - one UA REGISTER through sipreg in registrar.role = mid (test_devnet_mid_rules.sh).

Runs inside netns sr-peer (198.51.100.2); sipreg is 198.51.100.1:5060.

  mid_peer.py reg USER PORT EXPIRES CALL_ID CSEQ WAIT_S
      REGISTER USER@example.com from PORT with Contact <sip:USER@198.51.100.2:PORT> and Expires
      EXPIRES, on Call-ID CALL_ID and CSeq CSEQ (so a later call refreshes the same binding).
      Retransmits as a UA does over UDP (RFC 3261 17.1.2.2: 0.5 s doubling to 4 s) until a final
      response or WAIT_S seconds; provisional responses are skipped. Prints "STATUS RETRY-AFTER"
      (RETRY-AFTER "-" when absent; "timeout -" when nothing final came). Always exits 0.
"""
import socket
import sys
import time

from peer import DUT, PEER, sip_request


def cmd_reg(user, port, expires, call_id, cseq, wait_s):
    port, wait_s = int(port), float(wait_s)
    msg = sip_request("REGISTER", user, port, f"Contact: <sip:{user}@{PEER}:{port}>\r\nExpires: {expires}\r\n",
                      int(cseq), call_id=call_id)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((PEER, port))
    end = time.monotonic() + wait_s
    interval, next_send = 0.5, 0.0
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_send:
            s.sendto(msg, (DUT, 5060))
            next_send = now + interval
            interval = min(interval * 2, 4.0)
        s.settimeout(max(0.01, min(next_send, end) - time.monotonic()))
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            continue
        text = data.decode(errors="replace")
        first = text.split("\r\n", 1)[0].split()
        if len(first) < 2 or not first[1].isdigit() or int(first[1]) < 200:
            continue
        retry = "-"
        for line in text.split("\r\n"):
            if line.lower().startswith("retry-after:"):
                retry = line.split(":", 1)[1].strip()
        print(first[1], retry)
        return
    print("timeout -")


def main():
    if len(sys.argv) < 2 or sys.argv[1] != "reg" or len(sys.argv) != 8:
        sys.exit(__doc__)
    cmd_reg(*sys.argv[2:])


if __name__ == "__main__":
    main()
