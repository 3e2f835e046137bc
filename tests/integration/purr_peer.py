#!/usr/bin/env python3
"""purr_peer.py - the caller of test_devnet_purr.sh (RFC 8599 PURR, issue 14); the UA is sipp (purr_ua.xml).

  purr_peer.py caller USER UA_PORT CALLER_PORT DIR SKIP CALL_ID
      (in sr-peer, every wait bounded) USER's push-only UA (sipp, on UA_PORT, Call-ID CALL_ID) has just
      registered. On CALLER_PORT: INVITE sip:USER@example.com (within push.skip_interval of the REGISTER,
      so it is forked at once) with the UA's Call-ID (sipp maps everything of its one call by Call-ID);
      the ACK with the 200's Record-Route as Route and its Contact (carrying pn-purr) as Request-URI.
      Then INFO and BYE in the dialog, each SKIP seconds after the UA's last REGISTER (past
      skip_interval: the UA counts as asleep), each waiting for its final response. Meanwhile a thread plays the OS's push delivery:
      whenever the push gateway creates DIR/wake.tok-USER it sends the UA a wake-up MESSAGE (sipp then
      re-registers after the first and ignores the second).
      Prints "200 INVITE", "ruri <in-dialog Request-URI>", and per in-dialog request
      "<METHOD> final=<status> after=<ms to the final> woken=<ms to the wake-up or ->".
"""
import os
import random
import re
import socket
import sys
import threading
import time

from peer import DUT, PEER

TIMEOUT = 3.0


def rand(bits=32):
    return f"{random.getrandbits(bits):x}"


def headers(text):
    out = []
    for line in text.split("\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(":")
        out.append((k.strip().lower(), v.strip()))
    return out


def header(text, name):
    for k, v in headers(text):
        if k == name:
            return v
    return None


class Waker:
    """Stands in for the OS delivering a push to the UA (sipp, purr_ua.xml): each time the push gateway
    creates DIR/wake.<prid>, removes it and sends the UA one MESSAGE datagram of its call (no answer)."""

    def __init__(self, prid, ua_port, wake_dir, call_id):
        self.wake = os.path.join(wake_dir, "wake." + prid)
        self.ua = (PEER, ua_port)
        self.call_id = call_id
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((PEER, 0))
        self.woken = []  # times of the wake-ups sent
        self.stop = False

    def run(self):
        n = 0
        while not self.stop:
            if not os.path.exists(self.wake):
                time.sleep(0.005)
                continue
            os.unlink(self.wake)
            n += 1
            port = self.sock.getsockname()[1]
            msg = (
                f"MESSAGE sip:pat@{PEER}:{self.ua[1]} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {PEER}:{port};branch=z9hG4bKwake{n}{rand()};rport\r\n"
                f"Max-Forwards: 70\r\n"
                f"From: <sip:push@example.com>;tag=wake{n}\r\n"
                f"To: <sip:pat@example.com>\r\n"
                f"Call-ID: {self.call_id}\r\n"
                f"CSeq: {n} MESSAGE\r\n"
                f"Content-Length: 0\r\n\r\n"
            )
            self.sock.sendto(msg.encode(), self.ua)
            self.woken.append(time.time())


class Caller:
    def __init__(self, port, call_id):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((PEER, port))
        self.call_id = call_id
        self.tag = rand()
        self.cseq = 0

    def request(self, method, ruri, to, route=None, cseq=None):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        branch = "z9hG4bK" + rand()
        lines = [
            f"{method} {ruri} SIP/2.0",
            f"Via: SIP/2.0/UDP {PEER}:{self.port};branch={branch};rport",
            "Max-Forwards: 70",
        ]
        if route:
            lines.append(f"Route: {route}")
        lines += [
            f"From: <sip:caller@example.com>;tag={self.tag}",
            f"To: {to}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:caller@{PEER}:{self.port}>",
            "Content-Length: 0",
        ]
        self.sock.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(), (DUT, 5060))

    def final(self, timeout):
        """The first final response within timeout (provisionals skipped), or None."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                break
            text = data.decode(errors="replace")
            if text.startswith("SIP/2.0 ") and not text.startswith("SIP/2.0 1"):
                return text
        return None


def cmd_caller(user, ua_port, caller_port, wake_dir, skip, call_id):
    waker = Waker("tok-" + user, int(ua_port), wake_dir, call_id)
    t = threading.Thread(target=waker.run, daemon=True)
    t.start()
    caller = Caller(int(caller_port), call_id)
    caller.request("INVITE", f"sip:{user}@example.com", f"<sip:{user}@example.com>")
    ok = caller.final(TIMEOUT)
    if not ok or not ok.startswith("SIP/2.0 200"):
        sys.exit("purr_peer: INVITE answered %r" % (ok.split("\r\n", 1)[0] if ok else None))
    rr = header(ok, "record-route")
    to = header(ok, "to")
    target = re.search(r"<([^>]+)>", header(ok, "contact") or "").group(1)
    if not rr:
        sys.exit("purr_peer: no Record-Route in the 200")
    caller.request("ACK", target, to, rr, cseq=caller.cseq)
    print("200 INVITE", flush=True)
    print("ruri", target, flush=True)
    for method in ("INFO", "BYE"):
        # past push.skip_interval since the UA's last REGISTER (the initial one, then the re-registration
        # the INFO's push woke): it counts as asleep again
        time.sleep(float(skip))
        woken = len(waker.woken)
        sent = time.time()
        caller.request(method, target, to, rr)
        final = caller.final(TIMEOUT + 4)
        after = int((time.time() - sent) * 1000)
        wake = int((waker.woken[woken] - sent) * 1000) if len(waker.woken) > woken else "-"
        status = final.split("\r\n", 1)[0][8:11] if final else "none"
        print(f"{method} final={status} after={after} woken={wake}", flush=True)
    waker.stop = True
    t.join(1)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    {"caller": cmd_caller}[cmd](*args)


if __name__ == "__main__":
    main()
