#!/usr/bin/env python3
"""Writes fuzz seeds (u16-LE length framed envelopes) from the MC-NBFX spec
examples (tests/spec_vectors.rs) and the captured Mono session
(tests/mono_capture.rs)."""
import os, re, struct

here = os.path.dirname(os.path.abspath(__file__))
tests = os.path.join(here, "..", "tests")
out = os.path.join(here, "seeds")
os.makedirs(out, exist_ok=True)

def frame(payloads):
    return b"".join(struct.pack("<H", len(p)) + p for p in payloads)

vectors = open(os.path.join(tests, "spec_vectors", "mod.rs")).read()
for name, body in re.findall(r"\(\s*\"(\w+)\",\s*&\[([^\]]*)\]", vectors):
    doc = bytes(int(x, 16) for x in re.findall(r"0x([0-9A-Fa-f]{2})", body))
    open(os.path.join(out, f"spec-{name}"), "wb").write(frame([b"\x00" + doc]))

capture = open(os.path.join(tests, "mono_capture.rs")).read()
segs = re.findall(r'\((true|false), "([0-9a-f]+)"\)', capture)
for direction in ("true", "false"):
    payloads = []
    for d, h in segs:
        b = bytes.fromhex(h)
        if d != direction or b[0] != 0x06:
            continue
        i, size, shift = 1, 0, 0
        while True:
            size |= (b[i] & 0x7F) << shift
            shift += 7
            i += 1
            if b[i - 1] & 0x80 == 0:
                break
        payloads.append(b[i:])
    name = "client" if direction == "true" else "server"
    open(os.path.join(out, f"mono-{name}-session"), "wb").write(frame(payloads))

nbfse = bytes.fromhex("1106616374696f6e09496e76656e746f7279"
                      "56020b0161060b01730456084 40a1e0082ab0101560e42038101 01".replace(" ", ""))
open(os.path.join(out, "mc-nbfse-example"), "wb").write(frame([nbfse, b"\x00" + nbfse[18:]]))
