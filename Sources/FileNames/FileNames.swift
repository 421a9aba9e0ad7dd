import CPicoLinux

/// File names are bytes, and not every byte string is UTF-8 (a Latin-1 name
/// from an old tarball is not); Swift Strings hold Unicode. Paths become
/// Strings and back through these two, which lose nothing (see
/// pico_fsname_escape): a name read from the guest or the host is a String
/// whose `fileSystemBytes` are exactly the bytes it came from.
public enum FileNames {
    public static func string<C: Collection<UInt8>>(_ bytes: C) -> String {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        let raw = Array(bytes)
        return String(unsafeUninitializedCapacity: raw.count * 3) { out in
            raw.withUnsafeBufferPointer { pico_fsname_escape($0.baseAddress, $0.count, out.baseAddress) }
        }
    }

    public static func bytes(_ s: String) -> [UInt8] {
        var utf8 = Array(s.utf8)
        guard utf8.contains(0xef) else { return utf8 }
        let n = utf8.withUnsafeMutableBufferPointer { pico_fsname_unescape($0.baseAddress, $0.count, $0.baseAddress) }
        utf8.removeSubrange(n...)
        return utf8
    }

    /// The bytes with a terminating NUL, for a syscall's path argument.
    public static func cString(_ s: String) -> [CChar] {
        bytes(s).map { CChar(bitPattern: $0) } + [0]
    }
}
