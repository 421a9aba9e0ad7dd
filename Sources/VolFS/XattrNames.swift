import Glibc

/// Where a guest's extended attributes live on the host file. Only host
/// root may write trusted.* and security.* names; under an ordinary host
/// user a distro's are kept as user.picorun.NAME instead (and a guest's
/// own user.picorun.* names one level further down), so a distro's root can
/// set them as on Linux and nothing a guest names can reach another's.
/// The syscalls and the 9P server both translate through here.
public enum XattrNames {
    static let prefix = "user.picorun."
    /// XATTR_NAME_MAX and XATTR_SIZE_MAX (include/uapi/linux/limits.h):
    /// longer names are ERANGE, bigger values E2BIG, through either door.
    public static let nameMax = 255
    public static let sizeMax = 65536
    /// Whether this supervisor must translate: it cannot write privileged names.
    public static let translates = geteuid() != 0

    /// The host's name for a guest's.
    public static func host(_ guest: String) -> String {
        guard translates, guest.hasPrefix("trusted.") || guest.hasPrefix("security.") || guest.hasPrefix(prefix) else { return guest }
        return prefix + guest
    }

    /// The guest's name for a host's.
    public static func guest(_ host: String) -> String {
        guard translates, host.hasPrefix(prefix) else { return host }
        return String(host.dropFirst(prefix.count))
    }

    /// A listxattr answer in guest names; trusted.* only for a caller with
    /// CAP_SYS_ADMIN, as the kernel lists them.
    public static func guestList(_ host: [UInt8], showTrusted: Bool) -> [UInt8] {
        var out: [UInt8] = []
        for raw in host.split(separator: 0, omittingEmptySubsequences: true) {
            let name = guest(String(decoding: raw, as: UTF8.self))
            if !showTrusted && name.hasPrefix("trusted.") { continue }
            out += Array(name.utf8) + [0]
        }
        return out
    }
}
