#!/usr/bin/env python3
"""The permission and attribute rules, asked over 9P2000.L: the same
operations, in the same order and words, as Fixtures/elf/src/rules.c asks
of the syscalls, so the answers can be compared line for line.
Usage: rules9p.py HOST PORT DIR UID GID   (DIR: a guest path laid out by rules --setup)"""
import socket, struct, sys

host, port, root, uid, gid = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
USERS, MODES = (0, 1, 65534), (0o600, 0o640, 0o604, 0o644, 0o4755, 0o2755, 0o2745)
O_RDONLY, O_WRONLY, O_RDWR, O_TRUNC = 0, 1, 2, 0o1000
NOCHANGE = 0xffffffff

def s(t):
    b = t.encode()
    return struct.pack('<H', len(b)) + b

class Error(Exception):
    pass

class Conn:
    def __init__(self):
        self.c = socket.create_connection((host, port), timeout=10)
        self.tag = 0
        self.next_fid = 1

    def rpc(self, kind, body):
        self.tag = (self.tag + 1) % 0xfffe
        self.c.sendall(struct.pack('<IBH', 7 + len(body), kind, self.tag) + body)
        size = struct.unpack('<I', self.recvn(4))[0]
        rest = self.recvn(size - 4)
        rkind = rest[0]
        if rkind == 7:
            raise Error(struct.unpack('<I', rest[3:7])[0])
        assert rkind == kind + 1, f'reply {rkind} to {kind}'
        return rest[3:]

    def recvn(self, n):
        out = b''
        while len(out) < n:
            chunk = self.c.recv(n - len(out))
            if not chunk:
                raise ConnectionError('server closed the connection')
            out += chunk
        return out

    def fid(self):
        self.next_fid += 1
        return self.next_fid

    def walk(self, names):
        f = self.fid()
        body = struct.pack('<IIH', 0, f, len(names)) + b''.join(s(n) for n in names)
        got = struct.unpack('<H', self.rpc(110, body)[:2])[0]
        if got != len(names):
            self.clunk(f)
            raise Error(2)
        return f

    def clunk(self, f):
        self.rpc(120, struct.pack('<I', f))

    def getattr(self, f):
        b = self.rpc(24, struct.pack('<IQ', f, 0x3fff))
        mode, u, g = struct.unpack('<III', b[8 + 13:8 + 13 + 12])
        return mode, u, g

    def setattr(self, f, valid, mode=0, u=0, g=0):
        self.rpc(26, struct.pack('<IIIIIQQQQQ', f, valid, mode, u, g, 0, 0, 0, 0, 0))

def answer(op, name, call):
    try:
        call()
        print(op, name, 0)
    except Error as e:
        print(op, name, e.args[0])

c = Conn()
c.rpc(100, struct.pack('<I', 65536) + s('9P2000.L'))
c.rpc(104, struct.pack('<II', 0, 0xffffffff) + s('') + s('') + struct.pack('<I', uid))
base = [p for p in root.split('/') if p]

def opened(path, flags):
    f = c.walk(path)
    try:
        c.rpc(12, struct.pack('<II', f, flags))
    finally:
        c.clunk(f)

def xattr(path, key):
    f = c.walk(path)
    try:
        c.rpc(32, struct.pack('<I', f) + s(key) + struct.pack('<QI', 1, 0))
        c.rpc(118, struct.pack('<IQI', f, 0, 1) + b'1')
    except Error:
        c.clunk(f)
        raise
    c.clunk(f)  # the value is set here

def attributes(path, valid, mode=0, u=0, g=0):
    f = c.walk(path)
    try:
        c.setattr(f, valid, mode, u, g)
    finally:
        c.clunk(f)

def stat(path):
    f = c.walk(path)
    try:
        return c.getattr(f)
    finally:
        c.clunk(f)

for owner in USERS:
    for m in MODES:
        name = 'f-%d-%o' % (owner, m)
        path = base + ['u-%d' % uid, name]
        for op, flags in (('open-r', O_RDONLY), ('open-w', O_WRONLY), ('open-rw', O_RDWR), ('open-trunc', O_RDONLY | O_TRUNC)):
            answer(op, name, lambda: opened(path, flags))
        answer('xattr-user', name, lambda: xattr(path, 'user.rule'))
        answer('xattr-trusted', name, lambda: xattr(path, 'trusted.rule'))
        mode = stat(path)[0]
        answer('chmod-sgid', name, lambda: attributes(path, 0x1, mode=(mode & 0o7777) | 0o2000))
        print('mode', name, '%o' % (stat(path)[0] & 0o7777))
        answer('chown-self', name, lambda: attributes(path, 0x2, u=uid))
        answer('chgrp-own', name, lambda: attributes(path, 0x4, g=gid))
        answer('chgrp-other', name, lambda: attributes(path, 0x4, g=4321))
        answer('chown-other', name, lambda: attributes(path, 0x2, u=4321))
        mode, u, g = stat(path)
        print('owner', name, u, g, '%o' % (mode & 0o7777))
    name = 'dd-%d' % owner
    answer('open-dir-w', name, lambda: opened(base + ['u-%d' % uid, name], O_WRONLY))
    name = 'v-%d' % owner
    def unlink():
        d = c.walk(base + ['s-%d' % uid])
        try:
            c.rpc(76, struct.pack('<I', d) + s(name) + struct.pack('<I', 0))
        finally:
            c.clunk(d)
    answer('unlink-sticky', name, unlink)
