/// A Linux errno value as the guest sees it. Guest-visible errors are always
/// Linux numbers, named here in one place (the host is Linux too, but the
/// names keep handlers readable and traces exact).
public struct LinuxErrno: RawRepresentable, Hashable, Sendable, CustomStringConvertible, Error {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ value: Int32) { self.rawValue = value }

    public static let EPERM = LinuxErrno(1)
    public static let ENOENT = LinuxErrno(2)
    public static let ESRCH = LinuxErrno(3)
    public static let ENOTEMPTY = LinuxErrno(39)
    public static let EINTR = LinuxErrno(4)
    public static let EIO = LinuxErrno(5)
    public static let E2BIG = LinuxErrno(7)
    public static let ENOEXEC = LinuxErrno(8)
    public static let EBADF = LinuxErrno(9)
    public static let ECHILD = LinuxErrno(10)
    public static let EAGAIN = LinuxErrno(11)
    public static let EXDEV = LinuxErrno(18)
    public static let ENOMEM = LinuxErrno(12)
    public static let EACCES = LinuxErrno(13)
    public static let EFAULT = LinuxErrno(14)
    public static let EBUSY = LinuxErrno(16)
    public static let EEXIST = LinuxErrno(17)
    public static let ENOTDIR = LinuxErrno(20)
    public static let EISDIR = LinuxErrno(21)
    public static let EINVAL = LinuxErrno(22)
    public static let ENFILE = LinuxErrno(23)
    public static let EMFILE = LinuxErrno(24)
    public static let ETXTBSY = LinuxErrno(26)
    public static let EFBIG = LinuxErrno(27)
    public static let ENOSPC = LinuxErrno(28)
    public static let EROFS = LinuxErrno(30)
    public static let ERANGE = LinuxErrno(34)
    public static let ENAMETOOLONG = LinuxErrno(36)
    public static let ENOSYS = LinuxErrno(38)
    public static let ELOOP = LinuxErrno(40)
    public static let ELIBBAD = LinuxErrno(80)
    public static let ENOTSOCK = LinuxErrno(88)
    public static let EMSGSIZE = LinuxErrno(90)
    public static let EOPNOTSUPP = LinuxErrno(95)
    public static let EADDRINUSE = LinuxErrno(98)
    public static let ENOBUFS = LinuxErrno(105)
    public static let ENXIO = LinuxErrno(6)
    public static let ENOTTY = LinuxErrno(25)
    public static let ESPIPE = LinuxErrno(29)
    public static let EMLINK = LinuxErrno(31)
    public static let EPIPE = LinuxErrno(32)
    public static let ENODATA = LinuxErrno(61)
    public static let EOVERFLOW = LinuxErrno(75)

    /// The kernel's symbolic name (EACCES), or "E?N" for numbers without one.
    public var name: String {
        let i = Int(rawValue)
        if i > 0 && i < LinuxErrno.names.count, let n = LinuxErrno.names[i] { return n }
        return "E?\(rawValue)"
    }

    public var description: String { name }

    public init?(name: String) {
        guard let i = LinuxErrno.names.firstIndex(of: name) else { return nil }
        self.rawValue = Int32(i)
    }

    /// Index = errno number, from the kernel's include/uapi/asm-generic/errno*.h.
    static let names: [String?] = [
        nil, "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF",
        "ECHILD", "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV",
        "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG",
        "ENOSPC", "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK",
        "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP", nil, "ENOMSG", "EIDRM",
        "ECHRNG", "EL2NSYNC", "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH", "ENOCSI", "EL2HLT",
        "EBADE", "EBADR", "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", nil, "EBFONT", "ENOSTR",
        "ENODATA", "ETIME", "ENOSR", "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT",
        "ECOMM", "EPROTO", "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD",
        "EREMCHG", "ELIBACC", "ELIBBAD", "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART",
        "ESTRPIPE", "EUSERS", "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT",
        "EPROTONOSUPPORT", "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT",
        "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN", "ENETUNREACH", "ENETRESET", "ECONNABORTED",
        "ECONNRESET", "ENOBUFS", "EISCONN", "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT",
        "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH", "EALREADY", "EINPROGRESS", "ESTALE",
        "EUCLEAN", "ENOTNAM", "ENAVAIL", "EISNAM", "EREMOTEIO", "EDQUOT", "ENOMEDIUM",
        "EMEDIUMTYPE", "ECANCELED", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED",
        "EOWNERDEAD", "ENOTRECOVERABLE", "ERFKILL", "EHWPOISON",
    ]
}
