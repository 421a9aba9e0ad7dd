#!/usr/bin/env python3
"""Writes the 9P seed inputs of Fuzz/corpus/ninep: 9P2000.L message streams
as a client sends them. The harness (Fuzz/ninep.swift) has already sent
Tversion and attached fid 0 as root and fid 1 as uid 1000 to a tree with
etc/passwd, etc/group, owned.txt (600), dir/file, dir/sub, dir/link -> file,
dir/up -> ../../.., dir/fifo and outside -> /etc.
Usage: Fuzz/make-ninep-seeds.py [OUTDIR]"""
import os, struct, sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'ninep')
os.makedirs(out, exist_ok=True)
tag = 0

def m(kind, body):
    global tag
    tag += 1
    return struct.pack('<IBH', 7 + len(body), kind, tag) + body

def s(t):
    b = t.encode() if isinstance(t, str) else t
    return struct.pack('<H', len(b)) + b

u32 = lambda v: struct.pack('<I', v)
u64 = lambda v: struct.pack('<Q', v)
walk = lambda fid, new, *names: m(110, u32(fid) + u32(new) + struct.pack('<H', len(names)) + b''.join(s(n) for n in names))
lopen = lambda fid, flags: m(12, u32(fid) + u32(flags))
read = lambda fid, off, n: m(116, u32(fid) + u64(off) + u32(n))
write = lambda fid, off, data: m(118, u32(fid) + u64(off) + u32(len(data)) + data)
clunk = lambda fid: m(120, u32(fid))
getattr_ = lambda fid: m(24, u32(fid) + u64(0x3fff))
O_RDONLY, O_WRONLY, O_RDWR, O_TRUNC, O_NONBLOCK = 0, 1, 2, 0o1000, 0o4000

seeds = {
    'walk-read': walk(0, 2, 'etc', 'passwd') + lopen(2, O_RDONLY) + read(2, 0, 100) + getattr_(2) + clunk(2),
    'create-write': walk(0, 3, 'dir') + m(14, u32(3) + s('new') + u32(O_RDWR) + u32(0o644) + u32(0))
        + write(3, 0, b'data') + read(3, 0, 10)
        + m(26, u32(3) + u32(0x1 | 0x8 | 0x10 | 0x20 | 0x80 | 0x100) + u32(0o600) + u32(0) + u32(0) + u64(2)
            + u64(1000) + u64(5) + u64(2000) + u64(6)) + clunk(3),
    'readdir': walk(0, 4) + lopen(4, O_RDONLY) + m(40, u32(4) + u64(0) + u32(4096)) + m(40, u32(4) + u64(3) + u32(50))
        + m(8, u32(4)),
    'make-names': walk(0, 5, 'dir') + m(72, u32(5) + s('m') + u32(0o755) + u32(0))
        + m(16, u32(5) + s('s') + s('/etc') + u32(0))
        + m(18, u32(5) + s('n') + u32(0o10644) + u32(0) + u32(0) + u32(0))
        + m(18, u32(5) + s('c') + u32(0o20644) + u32(1) + u32(3) + u32(0))
        + m(74, u32(5) + s('m') + u32(5) + s('m2')) + m(76, u32(5) + s('m2') + u32(0x200))
        + walk(5, 6, 'file') + m(70, u32(5) + u32(6) + s('hard')) + m(20, u32(6) + u32(5) + s('renamed'))
        + walk(5, 7, 'link') + m(22, u32(7)) + m(122, u32(7)),
    'user': walk(1, 2, 'owned.txt') + lopen(2, O_RDONLY) + m(14, u32(1) + s('mine') + u32(O_WRONLY) + u32(0o644) + u32(1000))
        + walk(1, 3, 'dir', 'file') + m(26, u32(3) + u32(0x2 | 0x4) + u32(0) + u32(0) + u32(100) + u64(0) + u64(0) + u64(0) + u64(0) + u64(0))
        + lopen(3, O_WRONLY | O_TRUNC),
    'fifo': walk(0, 8, 'dir', 'fifo') + lopen(8, O_RDONLY | O_NONBLOCK) + walk(0, 9, 'dir', 'fifo') + lopen(9, O_WRONLY)
        + write(9, 0, b'through the fifo') + read(8, 0, 64) + read(8, 0, 64) + clunk(9) + read(8, 0, 64),
    'xattr': walk(0, 10, 'dir', 'file') + m(32, u32(10) + s('user.x') + u64(5) + u32(0)) + write(10, 0, b'hello') + clunk(10)
        + walk(0, 11, 'dir', 'file') + m(30, u32(11) + u32(12) + s('user.x')) + read(12, 0, 64)
        + m(30, u32(11) + u32(13) + s('')) + read(13, 0, 256),
    'escape': walk(0, 14, 'dir', 'up', 'etc') + walk(0, 15, '..', '..', 'etc') + walk(0, 16, 'outside', 'passwd')
        + walk(0, 17, '/', 'etc') + walk(0, 18, 'dir', 'sub', '..', '..', '..') + getattr_(18),
    'locks-and-version': walk(0, 2, 'dir', 'file') + lopen(2, O_RDWR)
        + m(52, u32(2) + bytes([1]) + u32(0) + u64(0) + u64(10) + u32(42) + s('client'))
        + m(54, u32(2) + bytes([1]) + u64(0) + u64(10) + u32(42) + s('client')) + m(50, u32(2) + u32(0))
        + m(108, struct.pack('<H', 1)) + m(100, u32(8192) + s('9P2000.L'))
        + m(104, u32(0) + u32(0xffffffff) + s('user') + s('') + u32(1000)) + walk(0, 1, 'dir'),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
print(f'{len(seeds)} seeds in {out}')
