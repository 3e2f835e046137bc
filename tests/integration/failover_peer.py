#!/usr/bin/env python3
"""failover_peer.py - the client side of test_devnet_failover.sh, run inside netns sr-peer.

  failover_peer.py register N RATE ACKED [FIRST]
                                           REGISTER fo<i>@example.com (FIRST <= i < FIRST + N, FIRST
                                           default 0) at about RATE/s, each with
                                           Contact <sip:fo<i>@198.51.100.2:5070>, retransmitting what is
                                           unanswered; writes the acknowledged i to ACKED, prints their count;
                                           writes the other answers to ACKED.status, one line per status:
                                           "STATUS COUNT WITH_RETRY_AFTER", after a line saying how
                                           long the first pass took to send its N requests
  failover_peer.py fetch ACKED             REGISTER without Contact for every i in ACKED; prints
                                           "FOUND MISSING": how many 200s list the AoR's own contact
  failover_peer.py answer SINCE TIMEOUT    a fetch every 10 ms until one is answered 200; prints the
                                           milliseconds from SINCE (Unix time, float) to that answer
  failover_peer.py arp IFACE               one ARP request for 198.51.100.1 on IFACE; prints each MAC
                                           that answers within a second, one a line

Requests are pipelined over one UDP socket and matched to answers by Call-ID; every wait is bounded.
SR_FO_PORT in the environment changes the local port (default 5070), so that a probe (answer) can run
beside a load (register).
"""
import os
import socket
import struct
import sys
import time

DUT = "198.51.100.1"
PEER = "198.51.100.2"
PORT = int(os.environ.get("SR_FO_PORT", "5070"))


def request(i, contact, cseq=1, tag="f"):
    user = "fo%d" % i
    lines = [
        "REGISTER sip:example.com SIP/2.0",
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-%s-%d-%d;rport" % (PEER, PORT, tag, i, cseq),
        "Max-Forwards: 70",
        "From: <sip:%s@example.com>;tag=%s%d" % (user, tag, i),
        "To: <sip:%s@example.com>" % user,
        "Call-ID: %s-%d@failover" % (tag, i),
        "CSeq: %d REGISTER" % cseq,
    ]
    if contact:
        lines.append("Contact: <sip:%s@%s:%d>;expires=600" % (user, PEER, PORT))
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def call_index(data):
    """(index, status, body) of an answer, or None."""
    try:
        text = data.decode(errors="replace")
        status = int(text.split(" ", 2)[1])
        for line in text.split("\r\n"):
            if line.lower().startswith("call-id:"):
                cid = line.split(":", 1)[1].strip()
                return int(cid.split("@")[0].split("-")[1]), status, text
    except (ValueError, IndexError):
        pass
    return None


def run(indices, contact, rate, tag, check=None, others=None, pace=None):
    """Sends one request per index (retransmitting up to 4 times), returns the indices answered 200
    (and passing check(i, text) when given); others (a dict), when given, counts the other answers
    by status: [answers, of them with Retry-After]; pace (a list), when given, gets the seconds the
    first pass took to send its requests (the rate actually offered)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((PEER, PORT))
    s.setblocking(False)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    todo = list(indices)
    ok, bad = set(), set()
    for attempt in range(5):
        sent_at = {}
        gap = 1.0 / rate
        t0 = time.time()
        for k, i in enumerate(todo):
            while time.time() < t0 + k * gap:
                drain(s, ok, bad, check, others)
            s.sendto(request(i, contact, cseq=attempt + 1, tag=tag), (DUT, 5060))
            sent_at[i] = time.time()
        if attempt == 0 and pace is not None:
            pace.append(time.time() - t0)
        deadline = time.time() + 1.0
        while time.time() < deadline and len(ok) + len(bad) < len(indices):
            drain(s, ok, bad, check, others)
            time.sleep(0.001)
        todo = [i for i in todo if i not in ok and i not in bad]
        if not todo:
            break
    s.close()
    return ok


def drain(s, ok, bad, check, others=None):
    while True:
        try:
            data = s.recv(65535)
        except BlockingIOError:
            return
        r = call_index(data)
        if r is None:
            continue
        i, status, text = r
        if status != 200:
            if others is not None:
                c = others.setdefault(status, [0, 0])
                c[0] += 1
                c[1] += "\r\nRetry-After:" in text
            continue
        if check is None or check(i, text):
            ok.add(i)
        else:
            bad.add(i)


def cmd_register(n, rate, acked_path, first="0"):
    others, pace = {}, []
    ok = run(range(int(first), int(first) + int(n)), True, float(rate), "r", others=others, pace=pace)
    with open(acked_path, "w") as f:
        for i in sorted(ok):
            f.write("%d\n" % i)
    with open(acked_path + ".status", "w") as f:
        f.write("first pass: %s requests sent in %.1f s\n" % (n, pace[0] if pace else 0.0))
        for status in sorted(others):
            f.write("%d %d %d\n" % (status, others[status][0], others[status][1]))
    print(len(ok))


def cmd_fetch(acked_path):
    with open(acked_path) as f:
        acked = [int(x) for x in f.read().split()]

    def has_own_contact(i, text):
        return ("sip:fo%d@%s:%d" % (i, PEER, PORT)) in text

    ok = run(acked, False, 2000.0, "q", has_own_contact)
    print(len(ok), len(acked) - len(ok))


def cmd_answer(since, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((PEER, PORT))
    s.settimeout(0.01)
    end = time.time() + float(timeout)
    k = 0
    while time.time() < end:
        s.sendto(request(0, False, cseq=k + 1, tag="a"), (DUT, 5060))
        k += 1
        try:
            data = s.recv(65535)
        except socket.timeout:
            continue
        r = call_index(data)
        if r and r[1] == 200:
            print(int((time.time() - float(since)) * 1000))
            return 0
    print("no answer")
    return 1


def cmd_arp(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((iface, 0))
    mac = s.getsockname()[4]
    ours = socket.inet_aton(PEER)
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac, ours, b"\0" * 6, socket.inet_aton(DUT))
    s.send(b"\xff" * 6 + mac + b"\x08\x06" + arp)
    s.settimeout(0.05)
    seen = []
    end = time.time() + 1.0
    while time.time() < end:
        try:
            f = s.recv(2048)
        except socket.timeout:
            continue
        if len(f) >= 42 and f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02" and f[28:32] == socket.inet_aton(DUT):
            m = ":".join("%02x" % b for b in f[22:28])
            if m not in seen:
                seen.append(m)
    for m in seen:
        print(m)
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "register":
        cmd_register(*args)
    elif cmd == "fetch":
        cmd_fetch(*args)
    elif cmd == "answer":
        return cmd_answer(*args)
    elif cmd == "arp":
        return cmd_arp(*args)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
