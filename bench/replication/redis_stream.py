#!/usr/bin/env python3
"""Writes to stdout the RESP command stream a replication writer sends for
one phase of bench/replication/redis_callgrind.sh, so that redis-server's
instructions per binding change can be counted under callgrind.

  redis_stream.py MODE PHASE [--aors N] [--batch B] [--rec BYTES]

PHASE: add (one new binding per AoR) or refresh (the same bindings again,
same expiry bucket). MODE:
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
    ap.add_argument("phase", choices=["add", "refresh"])
    ap.add_argument("--aors", type=int, default=20480)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--rec", type=int, default=200)
    a = ap.parse_args()
    expires = 2000000000          # one bucket for every change of the run
    bucket_ms = (expires // 3600 + 2) * 3600 * 1000
    env = b"\x02" + expires.to_bytes(4, "little") + bytes(a.rec)
    field = "%016x" % 1
    out = sys.stdout.buffer
    for b0 in range(0, a.aors, a.batch):
        keys = ["bench:%d:aor:{sip:user%07d@example.com}" % (1 if a.mode == "v1" else 2, i)
                for i in range(b0, min(a.aors, b0 + a.batch))]
        buf = []
        if a.mode == "v1":
            args = ["FCALL", "sr1_apply", str(len(keys))] + keys
            for _ in keys:
                args += ["p", field, str(expires), env]
            buf.append(resp(*args))
        else:
            if a.mode == "v2multi":
                buf.append(resp("MULTI"))
            for k in keys:
                tx = a.mode == "v2tx" and a.phase == "add"
                if tx:
                    buf.append(resp("MULTI"))
                buf.append(resp("HSET", k, field, env))
                if a.mode != "hset" and a.phase == "add":
                    buf.append(resp("PEXPIREAT", k, bucket_ms, "NX"))
                    buf.append(resp("PEXPIREAT", k, bucket_ms, "GT"))
                if tx:
                    buf.append(resp("EXEC"))
            if a.mode == "v2multi":
                buf.append(resp("EXEC"))
        buf.append(resp("XADD", "bench:2:stream:{n}", "MAXLEN", "~", "1000", "*", "v", "2", "ep", "1",
                        "kind", "changes", "first", "1", "last", "2", "c", bytes(40 * len(keys))))
        out.write(b"".join(buf))

if __name__ == "__main__":
    main()
