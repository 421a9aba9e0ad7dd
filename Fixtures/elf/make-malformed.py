#!/usr/bin/env python3
"""Writes a corpus of malformed executables, and manifest.tsv saying how
picorun must reject each: `name<TAB>exit status<TAB>text the one-line error
must contain`. Every file starts from one valid minimal ELF64 (which exits
0) with one defect put in. Usage: make-malformed.py OUTDIR"""
import os
import struct
import sys

BASE = 0x400000
CODE = bytes([0xB8, 0xE7, 0, 0, 0, 0x31, 0xFF, 0x0F, 0x05])  # exit_group(0)


def ehdr(e_type=2, machine=62, entry=BASE + 0x78, phoff=64, phnum=1, phentsize=56,
         ident=b"\x7fELF\x02\x01\x01"):
    ident = ident.ljust(16, b"\0")
    return ident + struct.pack("<HHIQQQIHHHHHH", e_type, machine, 1, entry, phoff, 0, 0, 64,
                               phentsize, phnum, 64, 0, 0)


def phdr(p_type=1, flags=5, offset=0, vaddr=BASE, filesz=None, memsz=None, align=0x1000):
    return struct.pack("<IIQQQQQQ", p_type, flags, offset, vaddr, vaddr, filesz, memsz, align)


def valid(**kw):
    size = 64 + 56 + len(CODE)
    return ehdr(**kw) + phdr(filesz=size, memsz=size) + CODE


def with_phdrs(phdrs, entry=BASE + 64 + 56 * 3):
    """An image with up to three program headers (padded with PT_NULL)."""
    table = b"".join(phdrs).ljust(56 * 3, b"\0")
    return ehdr(phnum=3, entry=entry) + table + CODE


def cases():
    size = 64 + 56 + len(CODE)
    yield "valid-control", valid(), 0, ""
    yield "empty", b"", 126, "not an ELF executable"
    yield "text-file", b"just some text\n", 126, "not an ELF executable"
    yield "magic-only", b"\x7fELF", 126, "truncated ELF header"
    yield "truncated-header", valid()[:40], 126, "truncated ELF header"
    yield "elf32", b"\x7fELF\x01\x01\x01".ljust(52, b"\0"), 126, "ELF32"
    yield "big-endian", valid(ident=b"\x7fELF\x02\x02\x01"), 126, "big-endian"
    yield "machine-aarch64", valid(machine=183), 126, "wrong machine AArch64"
    yield "machine-i386", valid(machine=3), 126, "wrong machine i386"
    yield "relocatable", valid(e_type=1), 126, "relocatable object"
    yield "core-dump", valid(e_type=4), 126, "core dump"
    yield "phnum-zero", valid(phnum=0), 126, "e_phnum 0 out of range"
    yield "phnum-huge", valid(phnum=0xFFFF), 126, "e_phnum 65535 out of range"
    yield "phentsize-wrong", valid(phentsize=32), 126, "e_phentsize"
    yield "phoff-past-eof", valid(phoff=1 << 40), 126, "program headers past end of file"
    yield "phoff-overflow", valid(phoff=(1 << 64) - 8), 126, "program headers past end of file"
    yield "phdrs-truncated", valid(phnum=3)[:64 + 56 + 10], 126, "program headers past end of file"
    yield "no-load", with_phdrs([phdr(p_type=4, filesz=0, memsz=0)]), 126, "no PT_LOAD"
    yield "filesz-gt-memsz", ehdr() + phdr(filesz=size, memsz=size - 1) + CODE, 126, "p_filesz"
    yield "offset-past-eof", ehdr() + phdr(offset=0x10000, vaddr=BASE + 0x10000, filesz=16, memsz=16) + CODE, 126, "past end of file"
    yield "filesz-past-eof", ehdr() + phdr(filesz=size + 4096, memsz=size + 4096) + CODE, 126, "past end of file"
    yield "memsz-huge", ehdr() + phdr(filesz=size, memsz=0x7FFF_FFFF_0000_0000) + CODE, 126, "outside the user address space"
    yield "memsz-wraps", ehdr() + phdr(filesz=size, memsz=(1 << 64) - 0x1000) + CODE, 126, "outside the user address space"
    yield "vaddr-kernel", ehdr(entry=0xFFFF_FFFF_8100_0078) + phdr(vaddr=0xFFFF_FFFF_8100_0000, filesz=size, memsz=size) + CODE, 126, "outside the user address space"
    yield "misaligned", ehdr() + phdr(vaddr=BASE + 0x10, filesz=size, memsz=size) + CODE, 126, "modulo the page size"
    yield "align-not-power-of-two", ehdr() + phdr(filesz=size, memsz=size, align=0x3000) + CODE, 126, "power of two"
    yield "load-at-zero", ehdr(entry=0x78) + phdr(vaddr=0, filesz=size, memsz=size) + CODE, 126, "below the lowest mappable address"
    yield "overlapping-loads", with_phdrs([
        phdr(filesz=size + 112, memsz=0x3000),
        phdr(offset=0x1000, vaddr=BASE + 0x2000, filesz=0, memsz=0x1000, flags=6),
    ]), 126, "overlaps"
    yield "loads-out-of-order", with_phdrs([
        phdr(offset=0, vaddr=BASE + 0x10000, filesz=0, memsz=0x1000, flags=6),
        phdr(filesz=size + 112, memsz=size + 112),
    ]), 126, "overlaps or precedes"
    yield "entry-outside", valid(entry=0x12345678), 126, "entry point"
    yield "interp-unterminated", with_phdrs([
        phdr(p_type=3, offset=64 + 56 * 3, vaddr=0, filesz=len(CODE), memsz=len(CODE)),
        phdr(filesz=size + 112, memsz=size + 112),
    ]), 126, "PT_INTERP is not a NUL-terminated path"
    interp = b"/nonexistent/ld-picorun.so\0"
    body = ehdr(phnum=3, entry=BASE + 64 + 56 * 3) + b"".join([
        phdr(p_type=3, offset=64 + 56 * 3 + len(CODE), vaddr=0, filesz=len(interp), memsz=len(interp)),
        phdr(filesz=64 + 56 * 3 + len(CODE) + len(interp), memsz=64 + 56 * 3 + len(CODE) + len(interp)),
    ]).ljust(56 * 3, b"\0") + CODE + interp
    yield "interp-missing", body, 127, "interpreter /nonexistent/ld-picorun.so"
    twice = phdr(p_type=3, offset=64 + 56 * 3 + len(CODE), vaddr=0, filesz=len(interp), memsz=len(interp))
    yield "two-interps", ehdr(phnum=3, entry=BASE + 64 + 56 * 3) + twice + twice + phdr(
        filesz=64 + 56 * 3 + len(CODE) + len(interp), memsz=64 + 56 * 3 + len(CODE) + len(interp)) + CODE + interp, \
        126, "more than one PT_INTERP"
    yield "collides-with-loader", ehdr(entry=0x6000_0000_0078) + phdr(vaddr=0x6000_0000_0000, filesz=size, memsz=size) + CODE, 126, "collide with picorun's loader"
    yield "script-no-interpreter", b"#!   \necho hi\n", 126, "#! line names no interpreter"
    yield "script-missing-interpreter", b"#!/nonexistent/sh -e\necho hi\n", 127, "No such file or directory"


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "manifest.tsv"), "w") as manifest:
        for name, data, status, text in cases():
            path = os.path.join(out, name)
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, 0o755)
            manifest.write(f"{name}\t{status}\t{text}\n")


if __name__ == "__main__":
    main()
