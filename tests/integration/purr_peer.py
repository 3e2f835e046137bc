#!/usr/bin/env python3
"""purr_peer.py - the UAs of test_devnet_purr.sh (RFC 8599 PURR, issue 14).

  purr_peer.py dialog USER UA_PORT CALLER_PORT DIR SKIP
      (in sr-peer) two UAs in one process, every wait bounded:
      - the callee, a push-only UA on UA_PORT: registers <sip:USER@198.51.100.2:UA_PORT;pn-provider=apns;
        pn-prid=tok-USER> and takes the PURR from the 200's Feature-Caps (+sip.pnspurr); it answers every
        request sent to it (INVITE: 200 with a To tag and its Contact carrying pn-purr=<PURR>, RFC 8599
        section 5; others: 200). While "awake" it re-registers (same Call-ID, next CSeq) whenever the push
        gateway wakes it (DIR/wake.tok-USER appears; the file is removed);
      - the caller on CALLER_PORT: INVITE sip:USER@example.com (within push.skip_interval of the REGISTER,
        so it is forked at once), ACK with the Record-Route as Route and the callee's Contact as
        Request-URI; then, SKIP seconds later (past skip_interval, the callee now counts as asleep):
          INFO in the dialog: pushed (reason purr) and held; the gateway wakes the callee, which
          re-registers; the INFO then reaches it;
          BYE in the dialog with the callee no longer re-registering: held, then sent anyway after
          push.refresh_timeout.
      Prints one line per fact: "purr <PURR>", "200 INVITE", "ack-ruri <Request-URI>", and for INFO and BYE
      "<METHOD> final=<status> after=<ms> reached=<ms after sending> reregistered=<ms or ->".
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


class Callee:
    """The push-only UA: one socket, a thread answering requests and following wake-ups."""

    def __init__(self, user, port, wake_dir):
        self.user, self.port = user, port
        self.prid = "tok-" + user
        self.contact = f"sip:{user}@{PEER}:{port};pn-provider=apns;pn-prid={self.prid}"
        self.wake = os.path.join(wake_dir, "wake." + self.prid)
        self.call_id = rand(64) + "@callee"
        self.cseq = 0
        self.purr = None
        self.awake = True  # re-registers when woken
        self.reached = {}  # method -> time the request reached the UA (first copy)
        self.reregistered = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((PEER, port))
        self.stop = False

    def register_msg(self):
        self.cseq += 1
        return (
            f"REGISTER sip:example.com SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {PEER}:{self.port};branch=z9hG4bK{rand()};rport\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <sip:{self.user}@example.com>;tag={rand()}\r\n"
            f"To: <sip:{self.user}@example.com>\r\n"
            f"Call-ID: {self.call_id}\r\n"
            f"CSeq: {self.cseq} REGISTER\r\n"
            f"Contact: <{self.contact}>\r\n"
            f"Expires: 600\r\n"
            f"Content-Length: 0\r\n\r\n"
        ).encode()

    def register(self):
        """The first REGISTER, before the thread runs: returns the PURR of the 200."""
        self.sock.settimeout(TIMEOUT)
        self.sock.sendto(self.register_msg(), (DUT, 5060))
        data, _ = self.sock.recvfrom(65535)
        text = data.decode(errors="replace")
        if not text.startswith("SIP/2.0 200"):
            sys.exit("purr_peer: REGISTER answered %r" % text.split("\r\n", 1)[0])
        m = re.search(r'\+sip\.pnspurr="([0-9a-f]+)"', header(text, "feature-caps") or "")
        if not m:
            sys.exit("purr_peer: no +sip.pnspurr in the 200: %r" % header(text, "feature-caps"))
        self.purr = m.group(1)
        return self.purr

    def answer(self, text, src):
        head = [l for l in text.split("\r\n")
                if l.split(":", 1)[0].strip().lower() in ("via", "from", "to", "call-id", "cseq", "record-route")]
        if text.startswith("INVITE "):
            head = [l + ";tag=callee" if l.lower().startswith("to:") and ";tag=" not in l else l for l in head]
        body = "SIP/2.0 200 OK\r\n" + "\r\n".join(head)
        body += f"\r\nContact: <{self.contact};pn-purr={self.purr}>\r\nContent-Length: 0\r\n\r\n"
        self.sock.sendto(body.encode(), src)

    def run(self):
        self.sock.settimeout(0.02)
        while not self.stop:
            if os.path.exists(self.wake):
                os.unlink(self.wake)
                if self.awake:
                    self.sock.sendto(self.register_msg(), (DUT, 5060))
                    self.reregistered = time.time()
            try:
                data, src = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            text = data.decode(errors="replace")
            if text.startswith("SIP/2.0"):
                continue  # the 200 of a re-registration
            method = text.split(" ", 1)[0]
            self.reached.setdefault(method, time.time())
            if method != "ACK":
                self.answer(text, src)


class Caller:
    def __init__(self, port):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((PEER, port))
        self.call_id = rand(64) + "@caller"
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
            f"CSeq: {cseq} {'INVITE' if method == 'ACK' else method}",
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


def cmd_dialog(user, ua_port, caller_port, wake_dir, skip):
    callee = Callee(user, int(ua_port), wake_dir)
    print("purr", callee.register(), flush=True)
    t = threading.Thread(target=callee.run, daemon=True)
    t.start()
    caller = Caller(int(caller_port))
    caller.request("INVITE", f"sip:{user}@example.com", f"<sip:{user}@example.com>")
    ok = caller.final(TIMEOUT)
    if not ok or not ok.startswith("SIP/2.0 200"):
        sys.exit("purr_peer: INVITE answered %r" % (ok.split("\r\n", 1)[0] if ok else None))
    print("200 INVITE", flush=True)
    rr = header(ok, "record-route")
    to = header(ok, "to")
    target = re.search(r"<([^>]+)>", header(ok, "contact")).group(1)
    if not rr:
        sys.exit("purr_peer: no Record-Route in the 200")
    caller.request("ACK", target, to, rr, cseq=caller.cseq)
    print("ack-ruri", target, flush=True)
    time.sleep(float(skip))  # past push.skip_interval: the callee now counts as asleep

    for method, awake in (("INFO", True), ("BYE", False)):
        callee.awake = awake
        callee.reregistered = None
        sent = time.time()
        caller.request(method, target, to, rr)
        final = caller.final(TIMEOUT + 4)
        after = int((time.time() - sent) * 1000)
        reached = callee.reached.get(method)
        rereg = callee.reregistered
        status = final.split("\r\n", 1)[0][8:11] if final else "none"
        print(f"{method} final={status} after={after} "
              f"reached={int((reached - sent) * 1000) if reached else '-'} "
              f"reregistered={int((rereg - sent) * 1000) if rereg else '-'}", flush=True)
    callee.stop = True
    t.join(1)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    {"dialog": cmd_dialog}[cmd](*args)


if __name__ == "__main__":
    main()
