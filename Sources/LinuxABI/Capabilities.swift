/// One Linux capability (include/uapi/linux/capability.h): a bit number.
public struct Capability: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let chown = Capability(rawValue: 0)
    public static let dacOverride = Capability(rawValue: 1)
    public static let dacReadSearch = Capability(rawValue: 2)
    public static let fowner = Capability(rawValue: 3)
    public static let fsetid = Capability(rawValue: 4)
    public static let kill = Capability(rawValue: 5)
    public static let setgid = Capability(rawValue: 6)
    public static let setuid = Capability(rawValue: 7)
    public static let setpcap = Capability(rawValue: 8)
    public static let linuxImmutable = Capability(rawValue: 9)
    public static let sysChroot = Capability(rawValue: 18)
    public static let sysPtrace = Capability(rawValue: 19)
    public static let sysAdmin = Capability(rawValue: 21)
    public static let sysNice = Capability(rawValue: 23)
    public static let sysResource = Capability(rawValue: 24)
    public static let mknod = Capability(rawValue: 27)
    public static let setfcap = Capability(rawValue: 31)

    /// CAP_LAST_CAP of the kernels picorun knows (CAP_CHECKPOINT_RESTORE).
    public static let last = 40
}

/// A set of capabilities, as the kernel's kernel_cap_t: one bit each.
public struct CapabilitySet: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let none = CapabilitySet(rawValue: 0)
    public static let all = CapabilitySet(rawValue: (1 << UInt64(Capability.last + 1)) - 1)
    /// CAP_FS_MASK: what a change of the fs uid to or from 0 drops or raises.
    public static let fileSystem = CapabilitySet([.chown, .dacOverride, .dacReadSearch, .fowner, .fsetid, .linuxImmutable,
                                                  Capability(rawValue: 32) /* CAP_MAC_OVERRIDE */, .mknod])

    public init(_ caps: [Capability]) {
        rawValue = caps.reduce(0) { $0 | 1 << UInt64($1.rawValue) }
    }

    public func contains(_ c: Capability) -> Bool { c.rawValue <= 63 && rawValue & (1 << UInt64(c.rawValue)) != 0 }
    public func isSubset(of other: CapabilitySet) -> Bool { rawValue & ~other.rawValue == 0 }
    public func isSuperset(of other: CapabilitySet) -> Bool { other.isSubset(of: self) }
    public static func | (a: CapabilitySet, b: CapabilitySet) -> CapabilitySet { CapabilitySet(rawValue: a.rawValue | b.rawValue) }
    public static func & (a: CapabilitySet, b: CapabilitySet) -> CapabilitySet { CapabilitySet(rawValue: a.rawValue & b.rawValue) }
    public func removing(_ b: CapabilitySet) -> CapabilitySet { CapabilitySet(rawValue: rawValue & ~b.rawValue) }
    public mutating func insert(_ c: Capability) { rawValue |= 1 << UInt64(c.rawValue) }
    public mutating func remove(_ c: Capability) { rawValue &= ~(1 << UInt64(c.rawValue)) }
}
