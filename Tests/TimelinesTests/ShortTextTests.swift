import XCTest
@testable import Timelines

/// `ShortText` replaces the Strings an action carries; it must give back exactly the text it was made from, and
/// compare and hash like that text, whether the text is kept inline (≤ 15 bytes) or not.
final class ShortTextTests: XCTestCase {
    func testRoundTripAndEqualityAcrossTheInlineLimit() {
        // Real details: a comm, a dentry name at the limit, a long d_splice_alias name, a console line, UTF-8.
        let texts = ["", "kworker/u4:2", "lw_waiter", "123456789012345", "1234567890123456",
                     "systemd-journald.service", "LAB: scenario lostwake-buggy_wq end", "données-été.txt", "é"]
        for t in texts {
            let s = ShortText(t)
            XCTAssertEqual(s.string, t)
            XCTAssertEqual(s.isEmpty, t.isEmpty)
            XCTAssertEqual(s.firstByte, t.utf8.first)
            XCTAssertEqual(s, ShortText(String(t)))                     // a different String, same text
            XCTAssertEqual(s.hashValue, ShortText(String(t)).hashValue)
            t.utf8.withContiguousStorageIfAvailable { b in
                XCTAssertEqual(ShortText(decoding: UnsafeRawBufferPointer(b)), s)
            }
        }
        for (i, a) in texts.enumerated() {
            for (j, b) in texts.enumerated() where i != j { XCTAssertNotEqual(ShortText(a), ShortText(b)) }
        }
        XCTAssertEqual(Set(texts.map(ShortText.init)).count, texts.count)
    }

    func testNoneDiffersFromEveryText() {
        XCTAssertEqual(ShortText.none.string, "")
        XCTAssertNil(ShortText.none.firstByte)
        XCTAssertNotEqual(ShortText.none, ShortText(""))
        XCTAssertNotEqual(ShortText.none, ShortText("x"))
    }

    func testInvalidUTF8IsRepairedLikeStringDecoding() {
        let bytes: [UInt8] = [0x61, 0xff, 0x62]
        let s = bytes.withUnsafeBytes { ShortText(decoding: $0) }
        XCTAssertEqual(s.string, String(decoding: bytes, as: UTF8.self))
    }
}

/// The long-text pool is a bounded ring: memory stays flat whatever number of distinct names a trace holds, and a
/// reference to a text that was overwritten never reads as another text.
final class TextPoolTests: XCTestCase {
    func testRingKeepsEachTextOnceAndNeverAliasesAnOverwrittenOne() {
        let pool = TextPool(capacity: 3)
        let names = (0..<5).map { "/usr/share/locale/\($0)/LC_MESSAGES/coreutils.mo" }
        let a = pool.intern(names[0]), b = pool.intern(names[1])
        XCTAssertEqual(pool.intern(names[0]), a)          // deduplicated while kept
        XCTAssertEqual(pool[a], names[0])
        XCTAssertEqual(pool[b], names[1])
        let c = pool.intern(names[2])
        let d = pool.intern(names[3])                      // ring full: takes the oldest slot, names[0]'s
        XCTAssertEqual(pool[d], names[3])
        XCTAssertEqual(pool[a], TextPool.evicted)          // same slot, older generation: not names[3]
        XCTAssertEqual(pool[b], names[1])
        XCTAssertEqual(pool[c], names[2])
        let a2 = pool.intern(names[0])                     // comes back in a new slot
        XCTAssertNotEqual(a2, a)
        XCTAssertEqual(pool[a2], names[0])
        XCTAssertEqual(pool[b], TextPool.evicted)
        XCTAssertEqual(pool[d], names[3])
    }
}
