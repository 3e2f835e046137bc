#!/usr/bin/env python3
"""push_peer.py - the push side of test_devnet_push.sh (RFC 8599, issue 14).

  push_peer.py gateway PORT DIR     (in sr-dut, where sipreg's control core is: 127.0.0.1:PORT) an HTTP
                                    push gateway: each POST's JSON body is appended to DIR/events.jsonl
                                    and wakes the device it names by creating DIR/wake.<pn-prid>; answers
                                    204. Runs until killed.
  push_peer.py register USER PORT URI_PARAMS [CONTACT_PARAMS]
                                    (in sr-peer) REGISTER USER@example.com from PORT with Contact
                                    <sip:USER@198.51.100.2:PORT;URI_PARAMS>[;CONTACT_PARAMS]; prints the
                                    status line and the Feature-Caps value ("-" when absent)
  push_peer.py sleeper USER PORT PRID DIR ANSWER
                                    (in sr-peer) a sleeping push UA: registers its push contact
                                    (pn-provider=apns;pn-prid=PRID) from PORT, then waits (up to 20 s) for
                                    DIR/wake.PRID, re-registers (same Call-ID, next CSeq) and answers the
                                    INVITE that follows with ANSWER (e.g. 200); prints "woken", then the
                                    INVITE's request line, or "no INVITE"
Every wait is bounded.
"""
import http.server
import json
import os
import random
import socket
import sys
import time

from peer import DUT, PEER, transact

TIMEOUT = 3.0


def register_msg(user, port, contact, call_id, cseq, headers=()):
    extra = "".join(h + "\r\n" for h in headers)
    return (
        f"REGISTER sip:example.com SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {PEER}:{port};branch=z9hG4bK{random.getrandbits(32):08x};rport\r\n"
        f"Max-Forwards: 70\r\n"
        f"From: <sip:{user}@example.com>;tag={random.getrandbits(32):x}\r\n"
        f"To: <sip:{user}@example.com>\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} REGISTER\r\n"
        f"Contact: {contact}\r\n"
        f"{extra}"
        f"Expires: 600\r\n"
        f"Content-Length: 0\r\n\r\n"
    ).encode()


def header(text, name):
    for line in text.split("\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(":")
        if k.strip().lower() == name:
            return v.strip()
    return "-"


def cmd_register(user, port, params, ct_params=""):
    port = int(port)
    contact = f"<sip:{user}@{PEER}:{port};{params}>" + (";" + ct_params if ct_params else "")
    text, _ = transact(register_msg(user, port, contact, f"{random.getrandbits(64):x}@peer", 1), port)
    print(text.split("\r\n", 1)[0])
    print(header(text, "feature-caps"))


def answer(sock, text, src, status):
    head = [l for l in text.split("\r\n") if l.startswith(("Via:", "From:", "To:", "Call-ID:", "CSeq:", "Record-Route:"))]
    head = [l + ";tag=woken" if l.startswith("To:") else l for l in head]
    reason = {200: "OK", 486: "Busy Here"}.get(status, "Status")
    body = f"SIP/2.0 {status} {reason}\r\n" + "\r\n".join(head)
    body += f"\r\nContact: <sip:woken@{PEER}:{sock.getsockname()[1]}>\r\nContent-Length: 0\r\n\r\n"
    sock.sendto(body.encode(), src)


def cmd_sleeper(user, port, prid, wake_dir, status):
    port = int(port)
    contact = f"<sip:{user}@{PEER}:{port};pn-provider=apns;pn-prid={prid};pn-param=TEAM.com.example.voip>"
    call_id = f"{random.getrandbits(64):x}@peer"
    text, _ = transact(register_msg(user, port, contact, call_id, 1), port)
    if not text.startswith("SIP/2.0 200"):
        sys.exit("push_peer: REGISTER answered %r" % text.split("\r\n", 1)[0])
    print("registered", flush=True)
    wake = os.path.join(wake_dir, "wake." + prid)
    deadline = time.time() + 20
    while not os.path.exists(wake) and time.time() < deadline:
        time.sleep(0.02)
    if not os.path.exists(wake):
        sys.exit("push_peer: never woken")
    print("woken", flush=True)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((PEER, port))
    s.sendto(register_msg(user, port, contact, call_id, 2), (DUT, 5060))
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            data, src = s.recvfrom(65535)
        except socket.timeout:
            break
        text = data.decode(errors="replace")
        if text.startswith("INVITE "):
            print(text.split("\r\n", 1)[0], flush=True)
            answer(s, text, src, int(status))
            time.sleep(0.3)  # absorb the ACK or a retransmission
            return
    print("no INVITE")


def cmd_gateway(port, out_dir):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with open(os.path.join(out_dir, "events.jsonl"), "ab") as f:
                f.write(body + b"\n")
            try:
                ev = json.loads(body)
                prid = ev.get("pn-prid", "")
                if prid:
                    open(os.path.join(out_dir, "wake." + prid), "w").close()
            except ValueError:
                pass
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    http.server.HTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    {"gateway": cmd_gateway, "register": cmd_register, "sleeper": cmd_sleeper}[cmd](*args)


if __name__ == "__main__":
    main()
