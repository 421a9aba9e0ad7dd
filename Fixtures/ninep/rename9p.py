#!/usr/bin/env python3
"""Renames one name to another over 9P2000.L (Trenameat), as root, and
prints "renamed" or the errno: a change a session's guests must see at
once. Usage: rename9p.py HOST PORT FROM TO   (absolute paths in the export)"""
import socket, struct, sys

host, port, old, new = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def s(t):
    b = t.encode()
    return struct.pack('<H', len(b)) + b

c = socket.create_connection((host, port), timeout=10)
tag = 0

def rpc(kind, body):
    global tag
    tag += 1
    c.sendall(struct.pack('<IBH', 7 + len(body), kind, tag) + body)
    head = b''
    while len(head) < 4:
        head += c.recv(4 - len(head))
    size = struct.unpack('<I', head)[0]
    rest = b''
    while len(rest) < size - 4:
        rest += c.recv(size - 4 - len(rest))
    if rest[0] == 7:
        raise OSError(struct.unpack('<I', rest[3:7])[0], 'Rlerror')
    return rest[3:]

def walk(fid, names):
    body = struct.pack('<IIH', 0, fid, len(names)) + b''.join(s(n) for n in names)
    got = struct.unpack('<H', rpc(110, body)[:2])[0]
    if got != len(names):
        raise OSError(2, 'walk')

rpc(100, struct.pack('<I', 65536) + s('9P2000.L'))
rpc(104, struct.pack('<II', 0, 0xffffffff) + s('') + s('') + struct.pack('<I', 0))
try:
    a, b = old.strip('/').split('/'), new.strip('/').split('/')
    walk(1, a[:-1])
    walk(2, b[:-1])
    rpc(74, struct.pack('<I', 1) + s(a[-1]) + struct.pack('<I', 2) + s(b[-1]))
    print('renamed')
except OSError as e:
    print('errno', e.errno)
