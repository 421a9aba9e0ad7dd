import Foundation
import Testing
@testable import PicoCore

/// Inputs the libFuzzer harness (scripts/fuzz.sh elf) found crashing the
/// load planner, kept in Fuzz/crashes: each must now be refused or placed,
/// never trap. Placing them as a program and as an interpreter is what the
/// supervisor does for every exec.
@Suite struct FuzzRegressionTests {
    static let crashes = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fuzz/crashes").standardized.path

    static var elfInputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: crashes)) ?? []).filter { $0.hasPrefix("elf-") }.sorted()
    }

    @Test func crashInputsArePresent() {
        #expect(Self.elfInputs.count >= 4, "Fuzz/crashes should hold the ELF reproducers")
    }

    @Test(arguments: elfInputs)
    func planningNeverTraps(_ name: String) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.crashes + "/" + name)))
        guard let image = try? ElfImage.parse(MemoryElfSource(bytes)) else { return }  // refused: fine
        let occupied = [(StubImage.base, StubImage.base + 0x10000), (UInt64(0x7ffd_0000_0000), UInt64(0x7ffe_0000_0000))]
        for randomize in [false, true] {
            if let bias = try? Loader.chooseProgramBias(image, occupied: occupied, randomize: randomize) {
                #expect(Loader.fits(image, bias), "\(name): program placed outside the address space")
            }
            if let bias = try? Loader.chooseInterpreterBias(image, occupied: occupied, randomize: randomize) {
                #expect(Loader.fits(image, bias), "\(name): interpreter placed outside the address space")
            }
        }
    }
}
