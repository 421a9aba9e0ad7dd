/// How much of a syscall picorun provides.
public enum SupportLevel: String, Sendable, CaseIterable, Codable {
    /// The host runs it untouched; the tracee never stops for it.
    case passthrough
    /// Arguments or results are rewritten, the host runs it.
    case translated
    /// picorun computes the result; the host never sees the call.
    case emulated
    /// Supported for the common cases named in the note.
    case partial
    /// Refused with the entry's errno, and counted.
    case unsupported

    public var isSupported: Bool { self != .unsupported }
}
