import Testing
@testable import PicoCore

@Test func rejectsEmpty() {
    #expect(throws: ElfError.self) { try ElfImage.parse(MemoryElfSource([])) }
}
