// swift-tools-version:6.0
// picorun: a WSL1-style syscall-translation emulator for Linux x86-64.
// No Swift package dependencies: only the toolchain and Debian's C libraries.
import PackageDescription

let package = Package(
    name: "picorun",
    products: [
        .executable(name: "picorun", targets: ["picorun"]),
    ],
    targets: [
        // What Swift cannot import: fixed-argument ptrace, W* macros, BPF, fork→seize→exec.
        .target(
            name: "CPicoLinux",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // The system's SQLite: the VolFS metadata sidecar.
        .systemLibrary(name: "CSQLite"),
        // Linux's numbers every module speaks: errno values, capabilities.
        .target(name: "LinuxABI"),
        // File names as bytes, held losslessly in Strings.
        .target(name: "FileNames", dependencies: ["CPicoLinux"]),
        // One object per thread: the supervisor's lock-free caches.
        .target(name: "PerThread"),
        .target(name: "VolFS", dependencies: ["CSQLite", "CPicoLinux", "FileNames", "LinuxABI", "PerThread"]),
        .target(name: "DrvFS", dependencies: ["LinuxABI", "VolFS"]),
        .target(name: "PicoCore", dependencies: ["CPicoLinux", "FileNames", "LinuxABI", "PerThread"]),
        // What is reported of calls: strace-like decoding and coverage counts,
        // fed by the dispatcher.
        .target(name: "SyscallTrace", dependencies: ["PicoCore", "CPicoLinux", "LinuxABI"]),
        .target(name: "SyscallTable", dependencies: ["PicoCore", "CPicoLinux", "VolFS", "DrvFS", "FileNames", "LinuxABI", "SyscallTrace"]),
        .target(name: "NinePServer", dependencies: ["VolFS", "CPicoLinux", "FileNames", "LinuxABI"]),
        .executableTarget(
            name: "picorun",
            dependencies: ["PicoCore", "SyscallTable", "SyscallTrace", "VolFS", "DrvFS", "NinePServer"],
            // Every guest run pays picorun's start-up: a static Swift runtime
            // starts in a third of the time of the shared libraries.
            linkerSettings: [.unsafeFlags(["-static-stdlib"]), .linkedLibrary("_FoundationCollections"), .linkedLibrary("_FoundationCShims"), .linkedLibrary("swiftSynchronization")]
        ),
        .testTarget(
            name: "PicoCoreTests",
            dependencies: ["PicoCore", "SyscallTable", "FileNames", "LinuxABI"]
        ),
        .testTarget(
            name: "VolFSTests",
            dependencies: ["VolFS", "LinuxABI"]
        ),
        .testTarget(
            name: "SyscallTableTests",
            dependencies: ["SyscallTable", "SyscallTrace", "PicoCore"]
        ),
        // Runs the built picorun binary (no module dependency: the
        // executable links the Swift runtime statically, a test bundle cannot).
        .testTarget(name: "DifferentialTests"),
    ]
)
