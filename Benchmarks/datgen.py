#!/usr/bin/env python3
"""Makes a large trace-cmd .dat (v6, uncompressed) from a small real one by repeating its per-CPU ring-buffer
pages: copy k of every page has its page timestamp moved by k times the trace's span, so the result is the same
workload played N times in a row, in time order, with every record, event format, saved comm and kallsyms entry of
the original. Only `.dat` v6 files written on little- or big-endian machines with 4- or 8-byte longs are handled.

usage: datgen.py INPUT.dat OUTPUT.dat COPIES
"""
import struct
import sys


def main():
    src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
    d = open(src, 'rb').read()
    if d[:10] != b'\x17\x08Dtracing' or d[10:12] != b'6\x00':
        sys.exit('datgen: %s is not a trace-cmd v6 .dat' % src)
    endian = '>' if d[12] else '<'
    long_size = d[13]
    page_size = struct.unpack(endian + 'I', d[14:18])[0]
    fly = d.find(b'flyrecord\x00')
    if fly < 0:
        sys.exit('datgen: no flyrecord section')
    table = fly + 10
    # The table has one (offset, size) entry per CPU; the CPUs' data follow it back to back, page-aligned.
    cpus = []
    k = table
    expected = None
    while k + 16 <= len(d):
        off, size = struct.unpack(endian + 'QQ', d[k:k + 16])
        if off % page_size or off < table or off + size > len(d) or (expected is not None and off != expected):
            break
        cpus.append((off, size))
        expected = off + size
        k += 16
    if not cpus:
        sys.exit('datgen: cannot find the CPU table')
    # The span of the trace: the largest page timestamp minus the smallest, plus a second of margin.
    stamps = []
    for off, size in cpus:
        for p in range(off, off + size, page_size):
            stamps.append(struct.unpack(endian + 'Q', d[p:p + 8])[0])
    stamps = [s for s in stamps if s]
    span = max(stamps) - min(stamps) + 1_000_000_000
    head = d[:table]
    header_end = table + 16 * len(cpus)
    data_start = (header_end + page_size - 1) // page_size * page_size
    with open(dst, 'wb') as out:
        out.write(head)
        offset = data_start
        entries = []
        for off, size in cpus:
            entries.append((offset, size * copies))
            offset += size * copies
        for off, size in entries:
            out.write(struct.pack(endian + 'QQ', off, size))
        out.write(b'\x00' * (data_start - header_end))
        for off, size in cpus:
            pages = [bytearray(d[p:p + page_size]) for p in range(off, off + size, page_size)]
            for c in range(copies):
                for page in pages:
                    ts = struct.unpack(endian + 'Q', page[:8])[0]
                    out.write(struct.pack(endian + 'Q', ts + c * span) + bytes(page[8:]))
    _ = long_size


if __name__ == '__main__':
    main()
