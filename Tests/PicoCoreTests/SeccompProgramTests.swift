import CPicoLinux
import Foundation
import Testing
@testable import PicoCore

/// picorun's interpreter of guests' seccomp programs against the kernel:
/// the bpf-ops fixture prints programs using every instruction seccomp
/// allows and the errno the kernel's run of each gave a child, and
/// SeccompProgram must give the same verdict for the same data.
@Suite struct SeccompProgramTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The fixture's output: built by Fixtures/elf/build.sh, else compiled here.
    static func kernelVerdicts() throws -> String {
        var binary = repo.appendingPathComponent("Fixtures/elf/out/bpf-ops").path
        if !FileManager.default.isExecutableFile(atPath: binary) {
            binary = NSTemporaryDirectory() + "picorun-bpf-ops-\(getpid())"
            try run("/usr/bin/cc", ["-O1", "-static", "-o", binary, repo.appendingPathComponent("Fixtures/elf/src/bpf-ops.c").path])
        }
        return try run(binary, [])
    }

    @discardableResult
    static func run(_ path: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "\(path) exited \(p.terminationStatus)")
        return String(decoding: data, as: UTF8.self)
    }

    @Test func verdictsAreTheKernels() throws {
        let text = try Self.kernelVerdicts()
        var program: SeccompProgram?
        var name = "", checked = 0
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.first == "program" {
                name = String(words[1])
                program = SeccompProgram(code: words.dropFirst(2).map { insn in
                    let f = insn.split(separator: ":").map { UInt32($0, radix: 16)! }
                    return sock_filter(code: UInt16(f[0]), jt: UInt8(f[1]), jf: UInt8(f[2]), k: f[3])
                })
                continue
            }
            guard words.count == 5, let program, let a0 = UInt64(words[1], radix: 16), let a1 = UInt64(words[2], radix: 16) else {
                Issue.record("unexpected line \(line)")
                continue
            }
            let verdict = program.run(SeccompProgram.Data(nr: 110, ip: 0, args: [a0, a1, 0, 0, 0, 0]))
            let ours: String
            switch verdict & SeccompProgram.actionMask {
            case 0x0005_0000: ours = verdict & 0xffff == 0 ? "errno -1" : "errno \(verdict & 0xffff)"  // RET_ERRNO; 0 is success
            case 0: ours = "killed \(SIGSYS)"  // RET_KILL_THREAD
            default: ours = String(format: "verdict %x", verdict)
            }
            #expect(ours == "\(words[3]) \(words[4])", "\(name) with args \(words[1]) \(words[2])")
            checked += 1
        }
        #expect(checked >= 60, "the fixture printed \(checked) verdicts:\n\(text)")
    }

    /// The most restrictive verdict wins, the newer filter on a tie.
    @Test func stricterKeepsTheKernelsOrder() {
        let trace7 = SeccompProgram.retTrace | 7, trace9 = SeccompProgram.retTrace | 9
        #expect(SeccompProgram.stricter(trace7, trace9) == trace7)
        #expect(SeccompProgram.stricter(SeccompProgram.retAllow, trace9) == trace9)
        #expect(SeccompProgram.stricter(trace7, 0x7fc0_0000) == 0x7fc0_0000, "USER_NOTIF is stricter than TRACE")
        #expect(SeccompProgram.stricter(0x0005_000d, SeccompProgram.retKillProcess) == SeccompProgram.retKillProcess)
    }
}
