/// Auxiliary-vector keys (include/uapi/linux/auxvec.h and the x86 additions).
public enum AT {
    public static let null: UInt64 = 0
    public static let phdr: UInt64 = 3
    public static let phent: UInt64 = 4
    public static let phnum: UInt64 = 5
    public static let pagesz: UInt64 = 6
    public static let base: UInt64 = 7
    public static let flags: UInt64 = 8
    public static let entry: UInt64 = 9
    public static let uid: UInt64 = 11
    public static let euid: UInt64 = 12
    public static let gid: UInt64 = 13
    public static let egid: UInt64 = 14
    public static let platform: UInt64 = 15
    public static let hwcap: UInt64 = 16
    public static let clktck: UInt64 = 17
    public static let secure: UInt64 = 23
    public static let basePlatform: UInt64 = 24
    public static let random: UInt64 = 25
    public static let hwcap2: UInt64 = 26
    public static let execfn: UInt64 = 31
    public static let sysinfoEhdr: UInt64 = 33
    public static let minsigstksz: UInt64 = 51
}
