/// Linux ABI constants Swift's Glibc module hides behind _GNU_SOURCE.
public enum LinuxFlags {
    public static let oPath: Int32 = 0o10000000
    public static let atEmptyPath: Int32 = 0x1000
}
