#!/usr/bin/env python3
"""Lists, reads, writes, creates, renames and removes through a 9P server
with the PyPI client p9fs; prints what it saw. Usage: p9fs-client.py HOST PORT"""
import sys
import p9fs

fs = p9fs.P9FileSystem(host=sys.argv[1], port=int(sys.argv[2]), username='root', version='9P2000.L', aname='/')
print('ls:', sorted(fs.ls('/', detail=False))[:4])
print('read:', fs.cat('/owned.txt'))
fs.pipe('/written', b'hello over 9p')
print('write+read:', fs.cat('/written'))
fs.mv('/written', '/moved')
print('renamed:', fs.exists('/written'), fs.exists('/moved'))
fs.makedirs('/made/sub', exist_ok=True)
print('mkdir:', fs.isdir('/made/sub'))
fs.rm('/moved')
fs.rm('/made', recursive=True)
print('removed:', fs.exists('/moved'), fs.exists('/made'))
# p9fs turns modes into Plan 9 bits; the raw Rgetattr keeps setuid and device types.
for n, path in enumerate(['owned.txt', 'suid', 'null']):
    fid = 100 + n
    fs.client._walk(fs.client.ROOT, fid, [path])
    attr = fs.client._getattr(fid)
    fs.client._clunk(fid)
    st = attr.stat[0] if isinstance(attr.stat, list) else attr.stat
    print('mode:', path, oct(st.mode), st.uid, st.gid)
