#!/usr/bin/env python3
"""What an fdatasync costs after an append, against the same write over blocks already written.

This is the measurement behind the WAL written ahead (src/storage/prewritten_wal.h): runnel's strict
commits wait for the WAL's fdatasync, and an append also makes the file system write the grown
inode (and allocate blocks), which an overwrite of written blocks does not.

Modes, each a loop of pwrite(record) + fdatasync at increasing offsets of a fresh file:
  append     the file grows with every record (what RocksDB's own WAL file does)
  overwrite  the file was written with zeros and fdatasynced first (what runnel's WAL does)
  fallocate  the blocks were fallocate()d first (unwritten extents: converted on first write)

Usage: python3 bench/fdatasync_modes.py [--dir /var/tmp] [--records 1500] [--sizes 500,20000] [--rounds 2]
The modes alternate within each round, so a drift of the disk's latency hits all of them alike.
"""
import argparse
import os
import statistics
import tempfile
import time


def run(directory: str, mode: str, records: int, size: int) -> list[float]:
    fd, path = tempfile.mkstemp(dir=directory, prefix="fdatasync-modes-")
    try:
        total = records * size + (1 << 20)
        if mode == "overwrite":
            chunk = b"\0" * (1 << 20)
            for offset in range(0, total, len(chunk)):
                os.pwrite(fd, chunk, offset)
            os.fdatasync(fd)
        elif mode == "fallocate":
            os.posix_fallocate(fd, 0, total)
            os.fdatasync(fd)
        record = b"x" * size
        latencies = []
        for i in range(records):
            start = time.perf_counter()
            os.pwrite(fd, record, i * size)
            os.fdatasync(fd)
            latencies.append((time.perf_counter() - start) * 1e6)
        return latencies
    finally:
        os.close(fd)
        os.unlink(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default="/var/tmp", help="a directory on the disk under test (not tmpfs)")
    ap.add_argument("--records", type=int, default=1500)
    ap.add_argument("--sizes", default="500,20000", help="record sizes in bytes")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--modes", default="append,overwrite,fallocate")
    args = ap.parse_args()
    print("| round | record | mode | p50 µs | p90 µs | p99 µs |")
    print("|---:|---:|---|---:|---:|---:|")
    for round_no in range(1, args.rounds + 1):
        for size in (int(s) for s in args.sizes.split(",")):
            for mode in args.modes.split(","):
                lat = sorted(run(args.dir, mode, args.records, size))
                q = statistics.quantiles(lat, n=100)
                print(f"| {round_no} | {size:,} B | {mode} | {q[49]:.0f} | {q[89]:.0f} | {q[98]:.0f} |", flush=True)


if __name__ == "__main__":
    main()
