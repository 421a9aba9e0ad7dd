import Glibc
import LinuxABI
import PicoCore

/// Turns raw syscall arguments into strace-like text, reading the tracee's
/// memory for strings and structures. Never fails: unreadable memory prints
/// as the pointer value.
struct ArgumentDecoder {
    let tracee: Tracee
    let args: [UInt64]
    let kinds: [ArgKind]

    static let maxString = 256
    static let maxBuffer = 32
    static let maxArray = 32

    /// Kinds whose value is only meaningful after the call returns.
    static func isOutput(_ k: ArgKind) -> Bool {
        switch k {
        case .bufferOut, .statPointer, .statxPointer, .pipeFds, .dirents, .sockaddrOut: return true
        default: return false
        }
    }

    /// Kinds shown at entry and again, with what the call wrote, at exit.
    static func isInOut(_ k: ArgKind) -> Bool { k == .socklenInOut }

    /// The text of argument `i` ("" for one not worth showing); for output
    /// kinds, `result` is the return value.
    func decode(_ i: Int, result: Int64? = nil) -> String {
        let v = args[i]
        switch kinds[i] {
        case .fd, .int, .pid, .uid, .gid: return String(Int32(truncatingIfNeeded: v))
        case .dirfd: return Int32(truncatingIfNeeded: v) == -100 ? "AT_FDCWD" : String(Int32(truncatingIfNeeded: v))
        case .uint, .size, .offset: return String(v)
        case .hex, .address, .pointer: return pointer(v)
        case .path, .string: return string(v)
        case .bufferIn: return buffer(v, count: lengthArg(after: i))
        case .bufferOut:
            guard let r = result, r >= 0 else { return pointer(v) }
            return buffer(v, count: min(UInt64(r), lengthArg(after: i)))
        case .openFlags: return FlagNames.openFlags(v)
        case .mode:
            // As strace: open's mode only means something when creating.
            if i > 0, kinds[i - 1] == .openFlags, args[i - 1] & (UInt64(O_CREAT) | UInt64(O_TMPFILE & ~O_DIRECTORY)) == 0 { return "" }
            return Self.octalMode(v & 0o7777)
        case .atFlags: return FlagNames.bits(v, FlagNames.atFlags)
        case .prot: return FlagNames.bits(v, FlagNames.prot, zero: "PROT_NONE")
        case .mmapFlags: return FlagNames.mmapFlags(v)
        case .signal: return FlagNames.signal(v)
        case .cloneFlags: return FlagNames.cloneFlags(v)
        case .whence: return FlagNames.value(v, FlagNames.whence)
        case .fcntlCommand: return FlagNames.value(v, FlagNames.fcntl)
        case .futexOp: return FlagNames.futexOp(v)
        case .ioctlCommand: return FlagNames.ioctl[v] ?? pointer(v)
        case .prctlOption: return FlagNames.value(v, FlagNames.prctl)
        case .timespecPointer: return timespec(v)
        case .sigsetPointer: return sigset(v)
        case .statPointer: return result == 0 ? stat(v) : pointer(v)
        case .statxPointer: return result == 0 ? statx(v) : pointer(v)
        case .sockaddrPointer: return sockaddr(v, length: lengthArg(after: i))
        case .iovecPointer: return iovec(v, count: lengthArg(after: i))
        case .argv: return stringArray(v)
        case .envp: return environment(v)
        case .accessMode: return v == 0 ? "F_OK" : FlagNames.bits(v, FlagNames.accessModes)
        case .fdFlags: return FlagNames.bits(v, FlagNames.openFlagBits)
        case .pipeFds:
            guard result == 0, let b = try? tracee.readBytes(at: v, count: 8) else { return pointer(v) }
            return "[\(Self.int32(b, 0)), \(Self.int32(b, 4))]"
        case .dirents: return dirents(v, result: result)
        case .sockaddrOut:
            guard let r = result, r >= 0, v != 0, i + 1 < args.count, let n = socklen(args[i + 1]) else { return pointer(v) }
            return sockaddr(v, length: UInt64(n))
        case .socklenInOut: return socklen(v).map { "[\($0)]" } ?? pointer(v)
        case .statxMask: return FlagNames.bits(v, FlagNames.statxMask)
        case .statxFlags: return FlagNames.statxFlags(v)
        case .accessAtFlags: return FlagNames.bits(v, FlagNames.accessAtFlags)
        }
    }

    /// An in/out argument at exit, given its text at entry: strace's
    /// "[in => out]", or "[out]" when the call left it as it was.
    func decodeInOut(_ i: Int, entry: String?, result: Int64) -> String? {
        guard result >= 0, kinds[i] == .socklenInOut, let out = socklen(args[i]) else { return entry }
        let given = entry.map { String($0.dropFirst().dropLast()) }
        return given == String(out) || given == nil ? "[\(out)]" : "[\(given!) => \(out)]"
    }

    func socklen(_ v: UInt64) -> UInt32? {
        guard v != 0, let b = try? tracee.readBytes(at: v, count: 4) else { return nil }
        return UInt32(bitPattern: Self.int32(b, 0))
    }

    static func int32(_ b: [UInt8], _ at: Int) -> Int32 {
        Int32(bitPattern: UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24)
    }

    /// As strace's %#03o: 0640, 000.
    static func octalMode(_ v: UInt64) -> String {
        let digits = String(v, radix: 8)
        return "0" + String(repeating: "0", count: max(0, 2 - digits.count)) + digits
    }

    /// A getdents buffer as strace abbreviates it: the pointer and how many
    /// entries the call wrote (each record's length is at byte 16).
    func dirents(_ v: UInt64, result: Int64?) -> String {
        guard let r = result, r >= 0, r <= 1 << 20, let b = try? tracee.readBytes(at: v, count: Int(r)) else { return pointer(v) }
        var count = 0, at = 0
        while at + 18 <= b.count {
            let length = Int(b[at + 16]) | Int(b[at + 17]) << 8
            guard length > 0 else { break }
            count += 1
            at += length
        }
        return pointer(v) + " /* \(count) entries */"
    }

    func lengthArg(after i: Int) -> UInt64 {
        i + 1 < args.count ? args[i + 1] : 0
    }

    func pointer(_ v: UInt64) -> String { v == 0 ? "NULL" : "0x" + String(v, radix: 16) }

    func string(_ v: UInt64) -> String {
        guard v != 0 else { return "NULL" }
        var bytes: [UInt8]
        var truncated = false
        do {
            bytes = try tracee.readCString(at: v, limit: 4096)
        } catch {
            return pointer(v)
        }
        if bytes.count > Self.maxString { bytes = Array(bytes.prefix(Self.maxString)); truncated = true }
        return quote(bytes) + (truncated ? "..." : "")
    }

    func buffer(_ v: UInt64, count: UInt64) -> String {
        guard v != 0 else { return "NULL" }
        let n = Int(min(count, UInt64(Self.maxBuffer)))
        guard let bytes = try? tracee.readBytes(at: v, count: n) else { return pointer(v) }
        return quote(bytes) + (count > UInt64(n) ? "..." : "")
    }

    func quote(_ bytes: [UInt8]) -> String {
        var s = "\""
        for b in bytes {
            switch b {
            case 0x22: s += "\\\""
            case 0x5c: s += "\\\\"
            case 0x0a: s += "\\n"
            case 0x09: s += "\\t"
            case 0x20..<0x7f: s.unicodeScalars.append(UnicodeScalar(b))
            default: s += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16)
            }
        }
        return s + "\""
    }

    func words(_ v: UInt64, _ n: Int) -> [UInt64]? {
        guard v != 0, let b = try? tracee.readBytes(at: v, count: n * 8) else { return nil }
        return (0..<n).map { i in (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[i * 8 + $1]) << (8 * UInt64($1)) } }
    }

    func timespec(_ v: UInt64) -> String {
        guard let w = words(v, 2) else { return pointer(v) }
        return "{tv_sec=\(Int64(bitPattern: w[0])), tv_nsec=\(Int64(bitPattern: w[1]))}"
    }

    func sigset(_ v: UInt64) -> String {
        guard let w = words(v, 1) else { return pointer(v) }
        let names = (1...64).filter { w[0] & (1 << UInt64($0 - 1)) != 0 }.map { FlagNames.signal(UInt64($0)) }
        return "[" + names.map { $0.hasPrefix("SIG") ? String($0.dropFirst(3)) : $0 }.joined(separator: " ") + "]"
    }

    func stat(_ v: UInt64) -> String {
        // struct stat: st_mode at 24, st_size at 48.
        guard let w = words(v, 7) else { return pointer(v) }
        let mode = w[3] & 0xffff_ffff
        let type = UInt32(mode) & S_IFMT
        // A device has a number, not a size (st_rdev at 40, glibc's encoding).
        let rest = type == S_IFCHR || type == S_IFBLK
            ? "st_rdev=makedev(0x\(String((w[5] >> 8) & 0xfff | (w[5] >> 32) & ~0xfff, radix: 16)), "
                + "0x\(String(w[5] & 0xff | (w[5] >> 12) & ~0xff, radix: 16)))"
            : "st_size=\(w[6])"
        return "{st_mode=\(FlagNames.fileType(mode))|\(Self.octalMode(mode & 0o7777)), \(rest), ...}"
    }

    /// struct statx: stx_mask at 0, stx_attributes at 8, stx_mode at 28, stx_size at 40.
    func statx(_ v: UInt64) -> String {
        guard let w = words(v, 6) else { return pointer(v) }
        let mask = w[0] & 0xffff_ffff, mode = (w[3] >> 32) & 0xffff
        let attributes = FlagNames.bits(w[1], FlagNames.statxAttributes)
        return "{stx_mask=\(FlagNames.bits(mask, FlagNames.statxMask)), stx_attributes=\(attributes), "
            + "stx_mode=\(FlagNames.fileType(mode))|\(Self.octalMode(mode & 0o7777)), stx_size=\(w[5]), ...}"
    }

    func sockaddr(_ v: UInt64, length: UInt64) -> String {
        guard v != 0, length >= 2, let b = try? tracee.readBytes(at: v, count: Int(min(length, 110))) else { return pointer(v) }
        let family = UInt16(b[0]) | UInt16(b[1]) << 8
        switch family {
        case 1:
            let path = b.dropFirst(2)
            if path.first == 0 { return "{sa_family=AF_UNIX, sun_path=@\(quote(Array(path.dropFirst())))}" }
            return "{sa_family=AF_UNIX, sun_path=\(quote(Array(path.prefix { $0 != 0 })))}"
        case 2 where b.count >= 8:
            let port = UInt16(b[2]) << 8 | UInt16(b[3])
            return "{sa_family=AF_INET, sin_port=\(port), sin_addr=\(b[4]).\(b[5]).\(b[6]).\(b[7])}"
        case 10: return "{sa_family=AF_INET6, ...}"
        default: return "{sa_family=\(family), ...}"
        }
    }

    func iovec(_ v: UInt64, count: UInt64) -> String {
        let n = Int(min(count, 4))
        guard n > 0, let w = words(v, n * 2) else { return pointer(v) }
        let items = (0..<n).map { "{iov_base=\(pointer(w[$0 * 2])), iov_len=\(w[$0 * 2 + 1])}" }
        return "[" + items.joined(separator: ", ") + (count > 4 ? ", ..." : "") + "]"
    }

    func pointers(_ v: UInt64) -> [UInt64]? {
        guard v != 0 else { return nil }
        var out: [UInt64] = []
        var a = v
        while out.count <= Self.maxArray, let w = words(a, 1) {
            if w[0] == 0 { return out }
            out.append(w[0])
            a += 8
        }
        return out.count > Self.maxArray ? out : nil
    }

    func stringArray(_ v: UInt64) -> String {
        guard let ptrs = pointers(v) else { return pointer(v) }
        let shown = ptrs.prefix(Self.maxArray).map { string($0) }
        return "[" + shown.joined(separator: ", ") + (ptrs.count > Self.maxArray ? ", ..." : "") + "]"
    }

    func environment(_ v: UInt64) -> String {
        guard let ptrs = pointers(v) else { return pointer(v) }
        return "0x" + String(v, radix: 16) + " /* \(ptrs.count)\(ptrs.count > Self.maxArray ? "+" : "") vars */"
    }
}
