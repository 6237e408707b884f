#!/usr/bin/env python3
"""Measure the device's random 4 KiB read latency with O_DIRECT.

The direct-vs-buffered comparison multiplies an engine's read I/Os per
lookup by this figure to say how much of a lookup's time is the device.
Writes a scratch file of SIZE_MB (default 1024) under DIR with O_DIRECT (so
none of it sits in the page cache), then times N random aligned 4 KiB
preads of it, one at a time (queue depth 1, as an engine's get makes them),
and prints the median, mean and p99 in microseconds. The file is removed.

usage: scripts/device-latency.py DIR [SIZE_MB] [N]
"""
import mmap
import os
import random
import sys
import time

BLOCK = 4096


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    directory = sys.argv[1]
    size_mb = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    path = os.path.join(directory, ".device-latency.scratch")
    # An anonymous mmap is page-aligned, which O_DIRECT requires of buffers.
    chunk = mmap.mmap(-1, 1 << 20)
    chunk.write(os.urandom(1 << 20))
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY | os.O_DIRECT, 0o600)
    try:
        for i in range(size_mb):
            os.pwritev(fd, [chunk], i << 20)
        os.fsync(fd)
    finally:
        os.close(fd)
    blocks = (size_mb << 20) // BLOCK
    buf = mmap.mmap(-1, BLOCK)
    rng = random.Random(1)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    samples = []
    try:
        for _ in range(n):
            off = rng.randrange(blocks) * BLOCK
            t = time.perf_counter_ns()
            os.preadv(fd, [buf], off)
            samples.append(time.perf_counter_ns() - t)
    finally:
        os.close(fd)
        os.unlink(path)
    samples.sort()
    us = lambda ns: ns / 1000.0
    print(
        f"4 KiB O_DIRECT random reads, {n} samples over {size_mb} MiB in {directory}: "
        f"median {us(samples[n // 2]):.1f} us, mean {us(sum(samples) / n):.1f} us, "
        f"p99 {us(samples[n * 99 // 100]):.1f} us"
    )


if __name__ == "__main__":
    main()
