/// What `picorun --coverage FILE` writes: every syscall one run made.
public struct CoverageReport: Codable, Sendable {
    public struct Syscall: Codable, Sendable {
        public var number: Int
        public var name: String
        public var level: SupportLevel
        public var count: Int
        /// Calls that returned an error, by errno name.
        public var errors: [String: Int]
        /// Time the supervisor spent in this syscall's stops.
        public var supervisorNanoseconds: UInt64
    }

    public var tool = "picorun"
    public var version: String
    public var program: String
    public var argv: [String]
    /// As a shell reports it (128+N for death by signal N).
    public var exitStatus: Int32
    public var syscalls: [Syscall]
    /// Names of the unsupported syscalls the program called.
    public var unsupported: [String]

    public var totalCalls: Int { syscalls.reduce(0) { $0 + $1.count } }
}
