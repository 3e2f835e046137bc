#!/usr/bin/env python3
"""Writes to stdout the RESP command stream a replication writer sends for
one phase of bench/replication/redis_callgrind.sh, so that redis-server's
instructions per binding change can be counted under callgrind.

  redis_stream.py MODE PHASE [--aors N] [--batch B] [--rec BYTES]

PHASE: add (one new binding per AoR), refresh (the same bindings again,
same expiry bucket), or mix (bench_repl's sequence: change i is on AoR
i % N, binding (i / N) % 4 + 1, added for i < 4N, refreshed after, 10N
changes; v2's writer writes the expiry of an AoR's first binding only).
MODE:
  v1         FCALL sr1_apply per batch (layout 1: HSET + EXPIREAT GT/NX in a function)
  v2         layout 2: pipelined native commands; an add is HSET + PEXPIREAT NX +
             PEXPIREAT GT, a refresh in the same bucket a bare HSET
  v2tx       v2 with each add's three commands inside MULTI/EXEC (a new key is never
             without its expiry); refreshes as v2
  v2multi    v2 with each batch's key writes inside MULTI/EXEC
  hset       bare HSET per change (the floor)
Every mode appends one XADD per batch (the stream entry, ~40 bytes per change).
"""
import argparse
import sys

def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["v1", "v2", "v2tx", "v2multi", "hset"])
    ap.add_argument("phase", choices=["add", "refresh", "mix"])
    ap.add_argument("--aors", type=int, default=20480)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--rec", type=int, default=200)
    a = ap.parse_args()
    expires = 2000000000          # one bucket for every change of the run
    bucket_ms = (expires // 3600 + 2) * 3600 * 1000
    env = b"\x02" + expires.to_bytes(4, "little") + bytes(a.rec)
    out = sys.stdout.buffer
    layout = 1 if a.mode == "v1" else 2
    passes = 10 if a.phase == "mix" else 1
    for n0 in range(0, passes * a.aors, a.batch):
        changes = range(n0, min(passes * a.aors, n0 + a.batch))
        # (key, field, first write of the key) per change
        ops = [("bench:%d:aor:{sip:user%07d@example.com}" % (layout, i % a.aors),
                "%016x" % ((i // a.aors) % 4 + 1), i < a.aors and a.phase != "refresh") for i in changes]
        buf = []
        if a.mode == "v1":
            args = ["FCALL", "sr1_apply", str(len(ops))] + [k for k, _, _ in ops]
            for _, f, _ in ops:
                args += ["p", f, str(expires), env]
            buf.append(resp(*args))
        else:
            if a.mode == "v2multi":
                buf.append(resp("MULTI"))
            for k, f, new_key in ops:
                tx = a.mode == "v2tx" and new_key
                if tx:
                    buf.append(resp("MULTI"))
                buf.append(resp("HSET", k, f, env))
                if a.mode != "hset" and new_key:
                    buf.append(resp("PEXPIREAT", k, bucket_ms, "NX"))
                    buf.append(resp("PEXPIREAT", k, bucket_ms, "GT"))
                if tx:
                    buf.append(resp("EXEC"))
            if a.mode == "v2multi":
                buf.append(resp("EXEC"))
        buf.append(resp("XADD", "bench:%d:stream:{n}" % layout, "MAXLEN", "~", "1000", "*", "v", str(layout),
                        "ep", "1", "kind", "changes", "first", "1", "last", "2", "c", bytes(40 * len(ops))))
        out.write(b"".join(buf))

if __name__ == "__main__":
    main()
