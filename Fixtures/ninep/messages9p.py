#!/usr/bin/env python3
"""Every 9P2000.L message against a server exporting the tiny test distro
(bin/, owned.txt uid 1234 mode 600, suid, null, link -> /owned.txt).
Prints one line per check; exits 1 if any failed. Usage: messages9p.py HOST PORT"""
import socket, struct, sys

host, port = sys.argv[1], int(sys.argv[2])
failures = 0
ENOENT, EBADF, EACCES, EEXIST, ENOTDIR, EINVAL, EPERM, ENOTEMPTY, ENODATA, EOPNOTSUPP, EROFS = 2, 9, 13, 17, 20, 22, 1, 39, 61, 95, 30

def s(t):
    b = t.encode()
    return struct.pack('<H', len(b)) + b

class Conn:
    def __init__(self):
        self.c = socket.create_connection((host, port), timeout=5)
        self.tag = 0

    def rpc(self, kind, body, tag=None):
        self.tag = (self.tag + 1) % 0xfffe
        t = self.tag if tag is None else tag
        self.c.sendall(struct.pack('<IBH', 7 + len(body), kind, t) + body)
        head = self.recvn(4)
        size = struct.unpack('<I', head)[0]
        rest = self.recvn(size - 4)
        rkind, rtag = struct.unpack('<BH', rest[:3])
        assert rtag == t, f'tag {rtag} for request tag {t}'
        return rkind, rest[3:]

    def send(self, kind, body, tag):
        self.c.sendall(struct.pack('<IBH', 7 + len(body), kind, tag) + body)

    def recv(self):
        size = struct.unpack('<I', self.recvn(4))[0]
        rest = self.recvn(size - 4)
        rkind, rtag = struct.unpack('<BH', rest[:3])
        return rkind, rtag, rest[3:]

    def recvn(self, n):
        out = b''
        while len(out) < n:
            chunk = self.c.recv(n - len(out))
            if not chunk:
                raise ConnectionError('server closed the connection')
            out += chunk
        return out

def check(name, ok, detail=''):
    global failures
    print(('OK   ' if ok else 'FAIL ') + name + ('' if ok else f': {detail}'))
    if not ok:
        failures += 1

def expect(name, reply, kind):
    rk, body = reply
    if rk == 7:
        check(name, kind == 7, f'Rlerror {struct.unpack("<I", body)[0]}')
    else:
        check(name, rk == kind, f'got type {rk}')
    return body

def expect_error(name, reply, errno):
    rk, body = reply
    got = struct.unpack('<I', body)[0] if rk == 7 else None
    check(name, rk == 7 and got == errno, f'type {rk} errno {got}, wanted {errno}')

c = Conn()
b = expect('Tversion unknown dialect', c.rpc(100, struct.pack('<I', 65536) + s('9P3000.X'), tag=0xffff), 101)
check('  answers "unknown"', b[4:] == s('unknown'), b)
expect_error('Tversion with an msize below 4096 is refused', c.rpc(100, struct.pack('<I', 512) + s('9P2000.L'), tag=0xffff), EINVAL)
b = expect('Tversion 9P2000.L, msize 8192 is kept', c.rpc(100, struct.pack('<I', 8192) + s('9P2000.L'), tag=0xffff), 101)
check('  msize', struct.unpack('<I', b[:4])[0] == 8192, b[:4])
b = expect('Tversion 9P2000.L, msize capped at 1 MiB', c.rpc(100, struct.pack('<I', 1 << 24) + s('9P2000.L'), tag=0xffff), 101)
check('  msize', struct.unpack('<I', b[:4])[0] == 1 << 20, b[:4])
expect_error('Tauth is not required', c.rpc(102, struct.pack('<I', 9) + s('root') + s('') + struct.pack('<I', 0)), ENOENT)
b = expect('Tattach as root', c.rpc(104, struct.pack('<II', 0, 0xffffffff) + s('root') + s('') + struct.pack('<I', 0)), 105)
check('  root qid is a directory', b[0] == 0x80, b)
expect_error('Tattach with a fid in use', c.rpc(104, struct.pack('<II', 0, 0xffffffff) + s('root') + s('') + struct.pack('<I', 0)), EBADF)

def walk(fid, new, *names):
    return c.rpc(110, struct.pack('<IIH', fid, new, len(names)) + b''.join(s(n) for n in names))

b = expect('Twalk owned.txt', walk(0, 1, 'owned.txt'), 111)
check('  one qid', struct.unpack('<H', b[:2])[0] == 1, b)
expect_error('Twalk 17 names', walk(0, 2, *(['bin'] * 17)), EINVAL)
expect_error('Twalk a missing name', walk(0, 2, 'nothere'), ENOENT)
b = expect('Twalk partly (bin, nothere)', walk(0, 2, 'bin', 'nothere'), 111)
check('  one qid, newfid not made', struct.unpack('<H', b[:2])[0] == 1, b)
expect_error('  newfid 2 does not exist', c.rpc(120, struct.pack('<I', 2)), EBADF)
expect_error('Twalk a name with /', walk(0, 2, 'bin/x'), ENOENT)
b = expect('Twalk .. at the root stays there', walk(0, 3, '..', '..', 'owned.txt'), 111)
check('  three qids', struct.unpack('<H', b[:2])[0] == 3, b)
expect('  clunk', c.rpc(120, struct.pack('<I', 3)), 121)
expect_error('Twalk through a file', walk(1, 4, 'x'), ENOTDIR)
expect_error('Twalk . of a file', walk(1, 4, '.'), ENOTDIR)
expect_error('Twalk .. of a file', walk(1, 4, '..'), ENOTDIR)
b = expect('Twalk with no names clones the fid', walk(1, 4), 111)
expect('  the clone reads the file', (c.rpc(12, struct.pack('<II', 4, 0)), c.rpc(116, struct.pack('<IQI', 4, 0, 100)))[1], 117)
expect('  clunk the clone', c.rpc(120, struct.pack('<I', 4)), 121)
expect_error('Twalk with a bad fid', walk(99, 4, 'bin'), EBADF)

b = expect('Tgetattr owned.txt', c.rpc(24, struct.pack('<IQ', 1, 0x3fff)), 25)
mode, uid, gid = struct.unpack('<III', b[8 + 13:8 + 13 + 12])
check('  mode, uid, gid from the sidecar', (mode, uid, gid) == (0o100600, 1234, 99), (oct(mode), uid, gid))
b = expect('Tgetattr null (a device node)', (walk(0, 5, 'null'), c.rpc(24, struct.pack('<IQ', 5, 0x3fff)))[1], 25)
mode = struct.unpack('<I', b[21:25])[0]
rdev = struct.unpack('<Q', b[41:49])[0]
check('  a character device 1,3', mode & 0o170000 == 0o020000 and rdev == (1 << 8 | 3), (oct(mode), rdev))

b = expect('Tlopen read-only', c.rpc(12, struct.pack('<II', 1, 0)), 13)
b = expect('Tread', c.rpc(116, struct.pack('<IQI', 1, 0, 100)), 117)
check('  data', b[4:] == b'mine', b)
b = expect('Tread past the end', c.rpc(116, struct.pack('<IQI', 1, 100, 100)), 117)
check('  nothing', struct.unpack('<I', b[:4])[0] == 0, b)
expect_error('Tlopen twice', c.rpc(12, struct.pack('<II', 1, 0)), EBADF)
expect_error('Twrite to a read-only open', c.rpc(118, struct.pack('<IQI', 1, 0, 1) + b'x'), EBADF)

expect('Twalk to bin for creating', walk(0, 6, 'bin'), 111)
b = expect('Tlcreate bin/new', c.rpc(14, struct.pack('<I', 6) + s('new') + struct.pack('<III', 0o102, 0o640, 42)), 15)
b = expect('Twrite', c.rpc(118, struct.pack('<IQI', 6, 0, 5) + b'hello'), 119)
check('  five bytes', struct.unpack('<I', b[:4])[0] == 5, b)
expect('Tfsync', c.rpc(50, struct.pack('<II', 6, 0)), 51)
b = expect('Tgetattr of the created file', c.rpc(24, struct.pack('<IQ', 6, 0x3fff)), 25)
mode, uid, gid = struct.unpack('<III', b[21:33])
check('  owner root, group from Tlcreate, mode', (mode, uid, gid) == (0o100640, 0, 42), (oct(mode), uid, gid))
import time as _time
ctime_s, btime_s = struct.unpack('<Q', b[105:113])[0], struct.unpack('<Q', b[121:129])[0]
check('  btime is the birth time (or 0 where the filesystem keeps none)',
      btime_s == 0 or (btime_s <= ctime_s and abs(btime_s - _time.time()) < 600), (btime_s, ctime_s))
expect_error('Tlcreate an existing name', (walk(0, 7, 'bin'), c.rpc(14, struct.pack('<I', 7) + s('new') + struct.pack('<III', 0o102, 0o644, 0)))[1], EEXIST)
expect_error('Tlcreate ..', c.rpc(14, struct.pack('<I', 7) + s('..') + struct.pack('<III', 0o102, 0o644, 0)), EEXIST)
expect_error('Tlcreate a name with /', c.rpc(14, struct.pack('<I', 7) + s('a/b') + struct.pack('<III', 0o102, 0o644, 0)), EINVAL)

expect('Tmkdir bin/d', c.rpc(72, struct.pack('<I', 7) + s('d') + struct.pack('<II', 0o2750, 7)), 73)
expect('Tsymlink bin/s -> new', c.rpc(16, struct.pack('<I', 7) + s('s') + s('new') + struct.pack('<I', 0)), 17)
b = expect('Treadlink', (walk(7, 8, 's'), c.rpc(22, struct.pack('<I', 8)))[1], 23)
check('  target', b == s('new'), b)
expect('Tmknod bin/fifo', c.rpc(18, struct.pack('<I', 7) + s('fifo') + struct.pack('<IIII', 0o010644, 0, 0, 0)), 19)

# A FIFO read waits on a worker: later tags are answered meanwhile, data
# written through another fid arrives, and a Tflush cancels a waiting read.
expect('Twalk to bin/fifo (reader)', walk(7, 30, 'fifo'), 111)
expect('  Tlopen it for reading', c.rpc(12, struct.pack('<II', 30, 0)), 13)
c.send(116, struct.pack('<IQI', 30, 0, 100), 500)
c.send(24, struct.pack('<IQ', 0, 0x3fff), 501)
rk, rtag, _ = c.recv()
check('  a Tgetattr sent after a waiting FIFO Tread is answered first', (rk, rtag) == (25, 501), (rk, rtag))
expect('Twalk to bin/fifo (writer)', walk(7, 31, 'fifo'), 111)
expect('  Tlopen it for writing', c.rpc(12, struct.pack('<II', 31, 1)), 13)
c.send(118, struct.pack('<IQI', 31, 0, 2) + b'hi', 506)
# The Rwrite and the waiting Tread's Rread may come in either order.
got = {}
for _ in range(2):
    rk, rtag, body = c.recv()
    got[rtag] = (rk, body)
check('  Twrite to the FIFO', got.get(506, (None,))[0] == 119, got)
check('  the waiting Tread gets the bytes', got.get(500) == (117, struct.pack('<I', 2) + b'hi'), got)
c.send(116, struct.pack('<IQI', 30, 0, 100), 502)
c.send(108, struct.pack('<H', 502), 503)
rk, rtag, _ = c.recv()
check('Tflush of a waiting Tread: only Rflush comes back', (rk, rtag) == (109, 503), (rk, rtag))
expect('  Tclunk the writer', c.rpc(120, struct.pack('<I', 31)), 121)
expect('  Tclunk the reader', c.rpc(120, struct.pack('<I', 30)), 121)
expect('Twalk to bin/fifo (a writer with no reader)', walk(7, 32, 'fifo'), 111)
c.send(12, struct.pack('<II', 32, 1), 504)
c.send(108, struct.pack('<H', 504), 505)
rk, rtag, _ = c.recv()
check('Tflush of a Tlopen waiting for a reader', (rk, rtag) == (109, 505), (rk, rtag))
expect_error('  O_NONBLOCK instead: ENXIO', c.rpc(12, struct.pack('<II', 32, 1 | 0o4000)), 6)
expect('  Tclunk it', c.rpc(120, struct.pack('<I', 32)), 121)

expect('Tmknod bin/tty (char 5,0)', c.rpc(18, struct.pack('<I', 7) + s('tty') + struct.pack('<IIII', 0o020620, 5, 0, 5)), 19)
expect('Tlink bin/hard2 -> bin/new', (walk(7, 9, 'new'), c.rpc(70, struct.pack('<II', 7, 9) + s('hard2')))[1], 71)
b = expect('  nlink 2', c.rpc(24, struct.pack('<IQ', 9, 0x3fff)), 25)
check('  nlink', struct.unpack('<Q', b[33:41])[0] == 2, b[33:41])

before = c.rpc(24, struct.pack('<IQ', 9, 0x3fff))[1]
_time.sleep(0.02)
expect('Tsetattr chown bin/new to 4321 (kept in the sidecar)', c.rpc(26, struct.pack('<IIIIIQQQQQ', 9, 0x2, 0, 4321, 0, 0, 0, 0, 0, 0)), 27)
after = c.rpc(24, struct.pack('<IQ', 9, 0x3fff))[1]
check('  the uid is 4321', struct.unpack('<I', after[25:29])[0] == 4321, after[25:29])
check('  the change time moved, as a kernel chown moves it', after[105:121] != before[105:121], (before[105:121], after[105:121]))
check('  so did the qid version', after[9:13] != before[9:13], (before[9:13], after[9:13]))
expect('  and back to root', c.rpc(26, struct.pack('<IIIIIQQQQQ', 9, 0x2, 0, 0, 0, 0, 0, 0, 0, 0)), 27)

b = expect('Tsetattr mode, uid, gid, size, times', c.rpc(26, struct.pack('<IIIIIQQQQQ', 9, 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x80 | 0x100, 0o4711, 77, 88, 2, 1000, 0, 2000, 0)), 27)
b = expect('  getattr after', c.rpc(24, struct.pack('<IQ', 9, 0x3fff)), 25)
mode, uid, gid = struct.unpack('<III', b[21:33])
size = struct.unpack('<Q', b[49:57])[0]
mtime = struct.unpack('<Q', b[89:97])[0]
check('  mode, uid, gid, size, mtime', (mode, uid, gid, size, mtime) == (0o104711, 77, 88, 2, 2000), (oct(mode), uid, gid, size, mtime))
expect_error('Tsetattr with nanoseconds out of range', c.rpc(26, struct.pack('<IIIIIQQQQQ', 9, 0x20 | 0x100, 0, 0, 0, 0, 0, 0, 1 << 63, 1 << 62)), EINVAL)
expect('Tsetattr mtime to now', c.rpc(26, struct.pack('<IIIIIQQQQQ', 9, 0x20, 0, 0, 0, 0, 0, 0, 0, 0)), 27)

walk(7, 13)
expect_error('Tlopen a directory for writing: EISDIR, as open(2)', c.rpc(12, struct.pack('<II', 13, 1)), 21)
expect_error('Tlopen a directory O_RDONLY|O_TRUNC: EISDIR', c.rpc(12, struct.pack('<II', 13, 0o1000)), 21)
c.rpc(120, struct.pack('<I', 13))
b = expect('Tlopen a directory', (walk(7, 10), c.rpc(12, struct.pack('<II', 10, 0)))[1], 13)
names = []
offset = 0
while True:
    rk, body = c.rpc(40, struct.pack('<IQI', 10, offset, 60))
    if rk != 41:
        check('Treaddir paging', False, f'type {rk}')
        break
    count = struct.unpack('<I', body[:4])[0]
    if count == 0:
        break
    at = 4
    while at < 4 + count:
        offset = struct.unpack('<Q', body[at + 13:at + 21])[0]
        n = struct.unpack('<H', body[at + 22:at + 24])[0]
        names.append(body[at + 24:at + 24 + n].decode())
        at += 24 + n
check('Treaddir paging with small counts', sorted(names) == ['.', '..', 'd', 'fifo', 'hard2', 'new', 's', 'sh', 'tty'], names)

expect('Trenameat bin/new -> bin/renamed', c.rpc(74, struct.pack('<I', 7) + s('new') + struct.pack('<I', 7) + s('renamed')), 75)
expect_error('  the old name is gone', walk(7, 11, 'new'), ENOENT)
expect('Trename fid 9 (bin/new, renamed since) into the root as moved', c.rpc(20, struct.pack('<II', 9, 0) + s('moved')), 21)
expect('  walk to moved', walk(0, 12, 'moved'), 111)
expect_error('Tunlinkat a non-empty directory... (bin)', c.rpc(76, struct.pack('<I', 0) + s('bin') + struct.pack('<I', 0x200)), ENOTEMPTY)
expect('Tunlinkat bin/fifo', c.rpc(76, struct.pack('<I', 7) + s('fifo') + struct.pack('<I', 0)), 77)
expect('Tunlinkat bin/d (AT_REMOVEDIR)', c.rpc(76, struct.pack('<I', 7) + s('d') + struct.pack('<I', 0x200)), 77)
expect('Tremove moved', c.rpc(122, struct.pack('<I', 12)), 123)
expect_error('  the fid is clunked', c.rpc(120, struct.pack('<I', 12)), EBADF)

b = expect('Tstatfs', c.rpc(8, struct.pack('<I', 0)), 9)
check('  V9FS magic', struct.unpack('<I', b[:4])[0] == 0x01021997, b[:4])
b = expect('Tlock', c.rpc(52, struct.pack('<IBIQQI', 1, 0, 0, 0, 0, 1) + s('me')), 53)
check('  granted', b[0] == 0, b)
b = expect('Tgetlock', c.rpc(54, struct.pack('<IBQQI', 1, 1, 0, 10, 1) + s('me')), 55)
check('  unlocked', b[0] == 2, b)
def tlock(fid, kind, start=0, length=0):
    return c.rpc(52, struct.pack('<IBIQQI', fid, kind, 0, start, length, 1) + s('me'))
def tgetlock(fid, kind, start=0, length=0):
    return c.rpc(54, struct.pack('<IBQQI', fid, kind, start, length, 1) + s('me'))
expect('Twalk to owned.txt for a second open', walk(0, 40, 'owned.txt'), 111)
expect('  Tlopen it read-write', c.rpc(12, struct.pack('<II', 40, 2)), 13)
b = expect('Tlock a write lock through the second open', tlock(40, 1), 53)
check('  blocked by the first open\'s read lock', b[0] == 1, b)
b = expect('Tgetlock a write lock through the second open', tgetlock(40, 1, 5, 10), 55)
check('  names the read lock in the way', b[0] == 0 and struct.unpack('<QQ', b[1:17]) == (0, 0), b)
b = expect('Tlock a read lock through the second open', tlock(40, 0, 0, 4), 53)
check('  granted: read locks share', b[0] == 0, b)
expect('Tlock unlock the first open', tlock(1, 2), 53)
expect('Tlock unlock the second open\'s read lock', tlock(40, 2), 53)
b = expect('Tlock the write lock again', tlock(40, 1, 2, 2), 53)
check('  granted', b[0] == 0, b)
b = expect('Tlock a read lock through the first open', tlock(1, 0, 3, 1), 53)
check('  blocked by the write lock on bytes 2-3', b[0] == 1, b)
b = expect('Tlock a read lock on bytes past it', tlock(1, 0, 4, 1), 53)
check('  granted', b[0] == 0, b)
expect('Tclunk the second open', c.rpc(120, struct.pack('<I', 40)), 121)
b = expect('Tlock after the clunk', tlock(1, 0, 3, 1), 53)
check('  granted: the clunk released its lock', b[0] == 0, b)
expect_error('Tlock of an unknown type', tlock(1, 7), EINVAL)
expect_error('Tlock of a range past 2^63', tlock(1, 0, 1 << 63, 1), EINVAL)
expect_error('Tlock of a fid not open', tlock(0, 0), EBADF)
expect('Tlock unlock the first open', tlock(1, 2), 53)
expect_error('Txattrwalk a missing name', c.rpc(30, struct.pack('<II', 1, 14) + s('user.x')), ENODATA)
expect('Twalk to owned.txt for an xattr', walk(0, 20, 'owned.txt'), 111)
expect('Txattrcreate user.color, 4 bytes', c.rpc(32, struct.pack('<I', 20) + s('user.color') + struct.pack('<QI', 4, 0)), 33)
expect('  Twrite the value', c.rpc(118, struct.pack('<IQI', 20, 0, 4) + b'blue'), 119)
expect('  Tclunk sets it', c.rpc(120, struct.pack('<I', 20)), 121)
b = expect('Txattrwalk the list', c.rpc(30, struct.pack('<II', 1, 13) + s('')), 31)
size = struct.unpack('<Q', b[:8])[0]
b = expect('  Tread it', c.rpc(116, struct.pack('<IQI', 13, 0, 4096)), 117)
check('  lists user.color', b'user.color\0' in b[4:] and len(b[4:]) == size, b)
b = expect('Txattrwalk user.color', c.rpc(30, struct.pack('<II', 1, 14) + s('user.color')), 31)
check('  4 bytes', struct.unpack('<Q', b[:8])[0] == 4, b)
b = expect('  Tread the value', c.rpc(116, struct.pack('<IQI', 14, 0, 100)), 117)
check('  blue', b[4:] == b'blue', b)
expect('Twalk again', walk(0, 21, 'owned.txt'), 111)
expect('Txattrcreate 5 bytes, write 2', c.rpc(32, struct.pack('<I', 21) + s('user.short') + struct.pack('<QI', 5, 0)), 33)
expect('  Twrite 2', c.rpc(118, struct.pack('<IQI', 21, 0, 2) + b'ab'), 119)
expect_error('  Tclunk of a short value', c.rpc(120, struct.pack('<I', 21)), EINVAL)
expect('Twalk again', walk(0, 22, 'owned.txt'), 111)
expect('Txattrcreate size 0 with XATTR_REPLACE removes', c.rpc(32, struct.pack('<I', 22) + s('user.color') + struct.pack('<QI', 0, 2)), 33)
expect('  Tclunk', c.rpc(120, struct.pack('<I', 22)), 121)
expect_error('  gone', c.rpc(30, struct.pack('<II', 1, 23) + s('user.color')), ENODATA)
expect('Tflush an answered tag', c.rpc(108, struct.pack('<H', 3)), 109)
expect_error('an unknown message type', c.rpc(200, b''), EOPNOTSUPP)
expect_error('a truncated Twalk', c.rpc(110, struct.pack('<I', 0)), EINVAL)

# Other users: the distro's passwd, and permissions from the sidecar.
def session(uname, number):
    global c
    c = Conn()
    c.rpc(100, struct.pack('<I', 8192) + s('9P2000.L'), tag=0xffff)
    return c.rpc(104, struct.pack('<II', 0, 0xffffffff) + s(uname) + s('') + struct.pack('<I', number))

expect('Tattach as nobody by name', session('nobody', 0xffffffff), 105)
expect('  walk to owned.txt (mode 600, uid 1234)', walk(0, 1, 'owned.txt'), 111)
expect_error('  reading it is denied', c.rpc(12, struct.pack('<II', 1, 0)), EACCES)
expect('  walk to bin', walk(0, 2, 'bin'), 111)
expect_error('  creating in root-owned bin is denied', c.rpc(14, struct.pack('<I', 2) + s('x') + struct.pack('<III', 0o102, 0o644, 0)), EACCES)
expect_error('  chown is denied', c.rpc(26, struct.pack('<IIIIIQQQQQ', 1, 0x2, 0, 65534, 0, 0, 0, 0, 0, 0)), EPERM)
expect_error('  Txattrcreate trusted.x is denied', c.rpc(32, struct.pack('<I', 1) + s('trusted.x') + struct.pack('<QI', 1, 0)), EPERM)
expect_error('  Txattrcreate user.x on a file it cannot write', c.rpc(32, struct.pack('<I', 1) + s('user.x') + struct.pack('<QI', 1, 0)), EACCES)
expect('Tattach as uid 1234 (user)', session('', 1234), 105)
expect('  walk to owned.txt', walk(0, 1, 'owned.txt'), 111)
expect('  its owner reads it', c.rpc(12, struct.pack('<II', 1, 0)), 13)
expect_error('  Twalk through a file (not root)', walk(1, 2, 'x'), ENOTDIR)
expect_error('Tattach as an unknown user', session('nosuchuser', 0xffffffff), EACCES)

# The kernel's rules a 9P client must not get around: groups of new files,
# O_TRUNC, the sticky bit, times. Root makes the stage, others try.
O_TRUNC, SET_MODE, SET_ATIME, SET_MTIME, SET_ATIME_SET, SET_MTIME_SET = 0o1000, 0x1, 0x10, 0x20, 0x80, 0x100
def setattr(fid, valid, mode=0, uid=0, gid=0, atime=0, mtime=0):
    return c.rpc(26, struct.pack('<IIIIIQQQQQ', fid, valid, mode, uid, gid, 0, atime, 0, mtime, 0))
def getattr_mode_gid(fid):
    b = c.rpc(24, struct.pack('<IQ', fid, 0x3fff))[1]
    mode, uid, gid = struct.unpack('<III', b[21:33])
    return mode, gid

expect('Tattach as root (stage)', session('root', 0xffffffff), 105)
expect('  Tmkdir pub 0777', c.rpc(72, struct.pack('<I', 0) + s('pub') + struct.pack('<II', 0o777, 0)), 73)
expect('  Tmkdir stk 01777 (sticky)', c.rpc(72, struct.pack('<I', 0) + s('stk') + struct.pack('<II', 0o1777, 0)), 73)
expect('  Tmkdir sg 02777 group 50 (setgid)', c.rpc(72, struct.pack('<I', 0) + s('sg') + struct.pack('<II', 0o2777, 50)), 73)
expect('  walk to sg', walk(0, 1, 'sg'), 111)
setattr(1, SET_MODE, mode=0o2777)
expect('Tattach as uid 1234 (in group staff only)', session('', 1234), 105)
expect('  walk to pub', walk(0, 1, 'pub'), 111)
expect_error('  Tlcreate with group root is refused', c.rpc(14, struct.pack('<I', 1) + s('g0') + struct.pack('<III', 0o102, 0o2755, 0)), EPERM)
expect('  walk to pub again', walk(0, 5, 'pub'), 111)
expect_error('  Tmkdir with group root is refused', c.rpc(72, struct.pack('<I', 5) + s('d0') + struct.pack('<II', 0o2755, 0)), EPERM)
expect_error('  Tsymlink with group root is refused', c.rpc(16, struct.pack('<I', 5) + s('l0') + s('x') + struct.pack('<I', 0)), EPERM)
expect_error('  Tmknod with group root is refused', c.rpc(18, struct.pack('<I', 5) + s('n0') + struct.pack('<IIII', 0o10644, 0, 0, 0)), EPERM)
expect('  Tlcreate with its own group staff, setgid', c.rpc(14, struct.pack('<I', 1) + s('g99') + struct.pack('<III', 0o102, 0o2755, 99)), 15)
check('  keeps setgid and group staff', getattr_mode_gid(1) == (0o102755, 99), oct(getattr_mode_gid(1)[0]))
expect('  walk to pub/g99', walk(0, 2, 'pub', 'g99'), 111)
expect('  Tsetattr chmod 02755 by the owner, in the group', setattr(2, SET_MODE, mode=0o2755), 27)
expect('  walk to sg', walk(0, 3, 'sg'), 111)
expect('  Tlcreate in setgid sg asking for its own gid 99', c.rpc(14, struct.pack('<I', 3) + s('f') + struct.pack('<III', 0o102, 0o644, 99)), 15)
check('  the group is sg\'s (50), not the one asked for', getattr_mode_gid(3)[1] == 50, getattr_mode_gid(3))
expect('  walk to stk', walk(0, 4, 'stk'), 111)
expect('  Tlcreate stk/mine', c.rpc(14, struct.pack('<I', 4) + s('mine') + struct.pack('<III', 0o102, 0o666, 99)), 15)

expect('Tattach as nobody', session('nobody', 0xffffffff), 105)
expect('  walk to etc/passwd (root, 0644)', walk(0, 1, 'etc', 'passwd'), 111)
expect_error('  Tlopen O_RDONLY|O_TRUNC without write permission', c.rpc(12, struct.pack('<II', 1, O_TRUNC)), EACCES)
expect_error('  Tsetattr times to now without write permission', setattr(1, SET_ATIME | SET_MTIME), EACCES)
expect_error('  Tsetattr explicit times, not the owner', setattr(1, SET_ATIME | SET_MTIME | SET_ATIME_SET | SET_MTIME_SET, atime=1, mtime=1), EPERM)
expect('  walk to stk', walk(0, 2, 'stk'), 111)
expect_error('  Tunlinkat stk/mine (uid 1234\'s, sticky directory)', c.rpc(76, struct.pack('<I', 2) + s('mine') + struct.pack('<I', 0)), EPERM)
expect_error('  Trenameat stk/mine away', c.rpc(74, struct.pack('<I', 2) + s('mine') + struct.pack('<I', 2) + s('taken')), EPERM)
expect('  walk to pub/g99 (uid 1234, group staff, 02755)', walk(0, 3, 'pub', 'g99'), 111)
expect_error('  Tsetattr chmod by one who is not the owner', setattr(3, SET_MODE, mode=0o777), EPERM)

# Symlinks to host files: 9P hands out the link, never what it points at.
import os
secret = f'/tmp/picorun-9p-secret-{os.getpid()}'
with open(secret, 'w') as f:
    f.write('NINEP-HOST-SECRET')
replies = []
def keep(reply):
    replies.append(reply[1])
    return reply
expect('Tattach as root (symlinks)', session('root', 0xffffffff), 105)
expect('  Tsymlink hostabs -> the host secret', keep(c.rpc(16, struct.pack('<I', 0) + s('hostabs') + s(secret) + struct.pack('<I', 0))), 17)
expect('  Tsymlink hostup -> ../../../../..' + secret, keep(c.rpc(16, struct.pack('<I', 0) + s('hostup') + s('../../../../../..' + secret) + struct.pack('<I', 0))), 17)
expect('  Tsymlink hosttmp -> /tmp', keep(c.rpc(16, struct.pack('<I', 0) + s('hosttmp') + s('/tmp') + struct.pack('<I', 0))), 17)
for name in ('hostabs', 'hostup'):
    expect(f'  walk to {name} (the link itself)', keep(walk(0, 1, name)), 111)
    r = keep(c.rpc(12, struct.pack('<II', 1, 0)))
    check(f'  Tlopen {name} does not open its target', r[0] == 7, r)
    if r[0] == 13:
        keep(c.rpc(116, struct.pack('<IQI', 1, 0, 4096)))
    c.rpc(120, struct.pack('<I', 1))
r = keep(walk(0, 1, 'hosttmp', os.path.basename(secret)))
check('  Twalk through hosttmp reaches nothing beyond it', r[0] == 7 or struct.unpack('<H', r[1][:2])[0] < 2, r)
check('  no reply carried the secret', not any(b'NINEP-HOST-SECRET' in x for x in replies))
os.unlink(secret)

# Framing: messages are taken however their bytes arrive: many in one
# segment, one split into single bytes, one bigger than any read buffer;
# a size that cannot be right ends the connection.
c = Conn()
c.rpc(100, struct.pack('<I', 1 << 20) + s('9P2000.L'), tag=0xffff)
c.rpc(104, struct.pack('<II', 0, 0xffffffff) + s('root') + s('') + struct.pack('<I', 0))
many = b''.join(struct.pack('<IBHIQ', 19, 24, 100 + i, 0, 0x3fff) for i in range(20))
c.c.sendall(many)
got = [c.recv() for _ in range(20)]
check('20 Tgetattr in one segment: 20 replies in order', [(k, t) for k, t, _ in got] == [(25, 100 + i) for i in range(20)], got[:2])
import time
one = struct.pack('<IBHIQ', 19, 24, 7, 0, 0x3fff)
for byte in one:
    c.c.sendall(bytes([byte]))
    time.sleep(0.002)
k, t, _ = c.recv()
check('A Tgetattr sent a byte at a time', (k, t) == (25, 7), (k, t))
expect('Twalk to bin (framing)', walk(0, 1, 'bin'), 111)
expect('Tlcreate bin/large', c.rpc(14, struct.pack('<I', 1) + s('large') + struct.pack('<III', 0o102, 0o644, 0)), 15)
data = bytes((i * 7) & 0xff for i in range(900 * 1024))
msg = struct.pack('<IBHIQI', 23 + len(data), 118, 9, 1, 0, len(data)) + data
for at in range(0, len(msg), 100000):
    c.c.sendall(msg[at:at + 100000])
k, t, body = c.recv()
check('A 900 KiB Twrite in pieces', (k, t) == (119, 9) and struct.unpack('<I', body[:4])[0] == len(data), (k, t, body[:4]))
expect('Twalk to bin/large', walk(0, 2, 'bin', 'large'), 111)
expect('Tlopen it', c.rpc(12, struct.pack('<II', 2, 0)), 13)
b = expect('Tread 900 KiB back', c.rpc(116, struct.pack('<IQI', 2, 0, len(data))), 117)
check('  the same bytes', b[4:] == data, len(b))
expect('Tremove bin/large', c.rpc(122, struct.pack('<I', 2)), 123)
# Names are bytes: one that is not UTF-8 comes back as it went in.
raw = b'lat\xe9-\xef\x9e\x80'
def sb(b):
    return struct.pack('<H', len(b)) + b
expect('Twalk to bin (raw names)', walk(0, 3, 'bin'), 111)
expect('Tlcreate a name that is not UTF-8', c.rpc(14, struct.pack('<I', 3) + sb(raw) + struct.pack('<III', 0o102, 0o644, 0)), 15)
expect('Twalk to bin again', walk(0, 4, 'bin'), 111)
expect('  Tlopen it', c.rpc(12, struct.pack('<II', 4, 0)), 13)
rk, body = c.rpc(40, struct.pack('<IQI', 4, 0, 8192))
names = []
at = 4
while rk == 41 and at < len(body):
    n = struct.unpack('<H', body[at + 22:at + 24])[0]
    names.append(body[at + 24:at + 24 + n])
    at += 24 + n
check('  Treaddir lists the very bytes', raw in names, names)
b = expect('  Twalk to it by them', c.rpc(110, struct.pack('<IIH', 0, 5, 2) + s('bin') + sb(raw)), 111)
expect('  Tremove it', c.rpc(122, struct.pack('<I', 5)), 123)
for name, head in (('bigger than msize', struct.pack('<I', (1 << 20) + 4096)), ('below 7', struct.pack('<I', 6)), ('zero', struct.pack('<I', 0))):
    c = Conn()
    c.rpc(100, struct.pack('<I', 1 << 20) + s('9P2000.L'), tag=0xffff)
    c.c.sendall(head + b'\x78\x01\x00')
    try:
        closed = c.c.recv(1) == b''
    except OSError:
        closed = True
    check(f'A size {name} ends the connection', closed)

print(f'{failures} failed')
sys.exit(1 if failures else 0)
