#!/usr/bin/env python3
"""Fuzzes a 9P2000.L server: random and mutated messages (truncated sizes,
huge counts, bad fids, 17-name walks, '..' and '/' in names) for a bounded
time, reconnecting whenever the server drops the connection. Exits 0 when
the server still answers a clean session afterwards.
Usage: fuzz9p.py HOST PORT SECONDS SEED"""
import random, socket, struct, sys, time

host, port, seconds, seed = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)

def s(text):
    b = text.encode() if isinstance(text, str) else text
    return struct.pack('<H', len(b)) + b

def msg(kind, tag, body):
    return struct.pack('<IBH', 7 + len(body), kind, tag) + body

def connect():
    c = socket.create_connection((host, port), timeout=5)
    c.sendall(msg(100, 0xffff, struct.pack('<I', 65536) + s('9P2000.L')))
    recv(c)
    c.sendall(msg(104, 1, struct.pack('<II', 0, 0xffffffff) + s('root') + s('') + struct.pack('<I', 0)))
    recv(c)
    return c

def recv(c):
    head = b''
    while len(head) < 4:
        chunk = c.recv(4 - len(head))
        if not chunk:
            raise ConnectionError('closed')
        head += chunk
    size = struct.unpack('<I', head)[0]
    body = b''
    while len(body) < size - 4:
        chunk = c.recv(size - 4 - len(body))
        if not chunk:
            raise ConnectionError('closed')
        body += chunk
    return head + body

names = ['etc', '..', '.', '/', 'tmp', 'x' * 300, '../../..', 'a/b', '', '\x00', 'passwd', 'bin', 'usr']

def template():
    fid = rng.choice([0, 1, 2, 7, 0xffffffff, rng.randrange(1 << 32)])
    new = rng.choice([1, 2, 3, fid, rng.randrange(1 << 32)])
    kind = rng.choice(['walk', 'walk17', 'read', 'write', 'lopen', 'lcreate', 'getattr', 'setattr', 'readdir',
                       'clunk', 'mkdir', 'unlinkat', 'renameat', 'xattrwalk', 'version', 'flush', 'lock', 'statfs', 'junk'])
    if kind == 'walk':
        n = rng.randrange(0, 5)
        return msg(110, 5, struct.pack('<IIH', fid, new, n) + b''.join(s(rng.choice(names)) for _ in range(n)))
    if kind == 'walk17':
        return msg(110, 5, struct.pack('<IIH', fid, new, 17) + b''.join(s('etc') for _ in range(17)))
    if kind == 'read':
        return msg(116, 6, struct.pack('<IQI', fid, rng.randrange(1 << 64), rng.choice([0, 1, 1 << 31, 0xffffffff])))
    if kind == 'write':
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        return msg(118, 7, struct.pack('<IQI', fid, rng.randrange(1 << 20), rng.choice([len(data), 0xffffffff])) + data)
    if kind == 'lopen':
        return msg(12, 8, struct.pack('<II', fid, rng.randrange(1 << 32)))
    if kind == 'lcreate':
        return msg(14, 9, struct.pack('<I', fid) + s(rng.choice(['escape', '../escape', '/escape', 'ok'])) + struct.pack('<III', 0o101, 0o644, 0))
    if kind == 'getattr':
        return msg(24, 10, struct.pack('<IQ', fid, 0x3fff))
    if kind == 'setattr':
        return msg(26, 11, struct.pack('<IIIIIQQQQQ', fid, rng.randrange(512), 0o7777, 0, 0, rng.randrange(1 << 40), 0, 0, 0, 0))
    if kind == 'readdir':
        return msg(40, 12, struct.pack('<IQI', fid, rng.randrange(100), rng.choice([0, 20, 8192, 0xffffffff])))
    if kind == 'clunk':
        return msg(120, 13, struct.pack('<I', fid))
    if kind == 'mkdir':
        return msg(72, 14, struct.pack('<I', fid) + s(rng.choice(['escape-dir', '..', '/', 'a/b'])) + struct.pack('<II', 0o755, 0))
    if kind == 'unlinkat':
        return msg(76, 15, struct.pack('<I', fid) + s(rng.choice(['escape', 'ok', '..', 'etc'])) + struct.pack('<I', rng.choice([0, 0x200])))
    if kind == 'renameat':
        return msg(74, 16, struct.pack('<I', fid) + s('ok') + struct.pack('<I', new) + s(rng.choice(['../escape', 'ok2', '/'])))
    if kind == 'xattrwalk':
        return msg(30, 17, struct.pack('<II', fid, new) + s(rng.choice(['', 'user.x'])))
    if kind == 'version':
        return msg(100, 0xffff, struct.pack('<I', rng.choice([0, 7, 1 << 30])) + s(rng.choice(['9P2000.L', '9P2000', 'nonsense'])))
    if kind == 'flush':
        return msg(108, 18, struct.pack('<H', rng.randrange(1 << 16)))
    if kind == 'lock':
        return msg(52, 19, struct.pack('<IBIQQI', fid, 1, 0, 0, 0, 1) + s('fuzz'))
    if kind == 'statfs':
        return msg(8, 20, struct.pack('<I', fid))
    return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))

def mutate(m):
    m = bytearray(m)
    what = rng.randrange(6)
    if what == 0 and len(m) > 4:
        m[rng.randrange(len(m))] = rng.randrange(256)
    elif what == 1 and len(m) > 7:
        del m[rng.randrange(7, len(m)):]
        m[0:4] = struct.pack('<I', len(m))
    elif what == 2:
        m[0:4] = struct.pack('<I', rng.choice([0, 3, 7, len(m) + 1000, 0xffffffff]))
    return bytes(m)

deadline = time.time() + seconds
sent = reconnects = 0
c = connect()
while time.time() < deadline:
    m = template()
    if rng.random() < 0.5:
        m = mutate(m)
    try:
        c.sendall(m)
        size = struct.unpack('<I', m[:4])[0] if len(m) >= 4 else 0
        if size == len(m):
            recv(c)  # a well-framed message gets exactly one answer
        sent += 1
    except (ConnectionError, socket.timeout, OSError):
        c.close()
        c = connect()
        reconnects += 1
c.close()
# A clean session still works.
c = connect()
c.sendall(msg(110, 2, struct.pack('<IIH', 0, 5, 0)))
r = recv(c)
assert r[4] == 111, f'walk after fuzzing answered type {r[4]}'
c.sendall(msg(120, 3, struct.pack('<I', 5)))
assert recv(c)[4] == 121
print(f'{sent} messages, {reconnects} reconnects, server healthy')
