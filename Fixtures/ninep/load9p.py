#!/usr/bin/env python3
"""Load on the 9P server: CLIENTS connections at once, each attaching as
root and doing ROUNDS of create, write (WRITE bytes in 8 KiB chunks), clunk,
walk, open, read back, compare, unlink under /tmp of the export. Prints
"CLIENTS clients, N files written and read back, L lost" and exits 1 on
any lost or corrupted write or protocol error.
Usage: load9p.py HOST PORT [CLIENTS [ROUNDS [WRITE]]]"""
import os, socket, struct, sys, threading

host, port = sys.argv[1], int(sys.argv[2])
clients = int(sys.argv[3]) if len(sys.argv) > 3 else 64
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
size = int(sys.argv[5]) if len(sys.argv) > 5 else 65536

def s(t):
    b = t.encode()
    return struct.pack('<H', len(b)) + b

class Conn:
    def __init__(self):
        self.c = socket.create_connection((host, port), timeout=120)
        self.tag = 0

    def recvn(self, n):
        out = b''
        while len(out) < n:
            chunk = self.c.recv(n - len(out))
            if not chunk:
                raise ConnectionError('server closed the connection')
            out += chunk
        return out

    def rpc(self, kind, body):
        self.tag = (self.tag + 1) % 0xfff0
        self.c.sendall(struct.pack('<IBH', 7 + len(body), kind, self.tag) + body)
        size = struct.unpack('<I', self.recvn(4))[0]
        rest = self.recvn(size - 4)
        rkind, rtag = struct.unpack('<BH', rest[:3])
        if rtag != self.tag:
            raise RuntimeError(f'tag {rtag} for {self.tag}')
        if rkind == 7:
            raise OSError(struct.unpack('<I', rest[3:7])[0], f'Rlerror for type {kind}')
        return rest[3:]

done = [0] * clients
lost = [0] * clients
errors = []

def client(i):
    try:
        c = Conn()
        c.c.sendall(struct.pack('<IBHI', 7 + 4 + 2 + 8, 100, 0xffff, 65536) + s('9P2000.L'))
        c.recvn(struct.unpack('<I', c.recvn(4))[0] - 4)
        c.rpc(104, struct.pack('<II', 0, 0xffffffff) + s('root') + s('') + struct.pack('<I', 0))
        for k in range(rounds):
            name = f'load9p-{os.getpid()}-{i}-{k}'
            data = bytes((i * 31 + k * 7 + j) % 251 for j in range(size))
            c.rpc(110, struct.pack('<IIH', 0, 1, 1) + s('tmp'))
            c.rpc(14, struct.pack('<I', 1) + s(name) + struct.pack('<III', 0o2 | 0o100, 0o644, 0))
            for off in range(0, size, 8192):
                chunk = data[off:off + 8192]
                r = c.rpc(118, struct.pack('<IQI', 1, off, len(chunk)) + chunk)
                if struct.unpack('<I', r[:4])[0] != len(chunk):
                    raise RuntimeError('short write')
            c.rpc(120, struct.pack('<I', 1))
            c.rpc(110, struct.pack('<IIH', 0, 2, 2) + s('tmp') + s(name))
            c.rpc(12, struct.pack('<II', 2, 0))
            back = b''
            while len(back) < size:
                r = c.rpc(116, struct.pack('<IQI', 2, len(back), 32768))
                n = struct.unpack('<I', r[:4])[0]
                if n == 0:
                    break
                back += r[4:4 + n]
            c.rpc(120, struct.pack('<I', 2))
            if back != data:
                lost[i] += 1
            c.rpc(110, struct.pack('<IIH', 0, 3, 1) + s('tmp'))
            c.rpc(76, struct.pack('<I', 3) + s(name) + struct.pack('<I', 0))
            c.rpc(120, struct.pack('<I', 3))
            done[i] += 1
        c.c.close()
    except Exception as e:
        errors.append(f'client {i}: {e!r}')

threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for e in errors[:5]:
    print(e)
print(f'{clients} clients, {sum(done)} files written and read back, {sum(lost)} lost, {len(errors)} errors')
sys.exit(1 if errors or sum(lost) or sum(done) != clients * rounds else 0)
