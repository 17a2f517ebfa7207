import Foundation
import Testing
@testable import GenrePostgres

/// Exact bytes of PostgreSQL's binary COPY format, written out by hand from the protocol documentation.
@Suite struct BinaryCopyEncoderTests {
    static let header: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A,  // "PGCOPY\n"
                                  0xFF, 0x0D, 0x0A, 0x00,                    // \377\r\n\0
                                  0, 0, 0, 0,                                // flags
                                  0, 0, 0, 0]                                // header extension length

    /// The bytes appended after the header.
    func body(_ encoder: BinaryCopyEncoder) -> [UInt8] { Array(encoder.bytes.dropFirst(Self.header.count)) }

    @Test func headerOnly() {
        let encoder = BinaryCopyEncoder(capacity: 16)
        #expect(encoder.bytes == Self.header)
        #expect(encoder.bytes.count == 19)
    }

    @Test func rowOfScalarTypes() {
        var encoder = BinaryCopyEncoder()
        encoder.beginRow(fieldCount: 9)
        encoder.appendInt32(1)
        encoder.appendInt64(-2)
        encoder.appendFloat32(1.5)
        encoder.appendFloat64(-2.0)
        encoder.appendBool(true)
        encoder.appendBool(false)
        encoder.appendText("hé")
        encoder.appendNull()
        encoder.appendJSONB("{}")
        let expected: [UInt8] = [
            0x00, 0x09,                                                  // field count
            0, 0, 0, 4, 0, 0, 0, 1,                                      // int4 1
            0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,  // int8 -2
            0, 0, 0, 4, 0x3F, 0xC0, 0x00, 0x00,                          // float4 1.5
            0, 0, 0, 8, 0xC0, 0, 0, 0, 0, 0, 0, 0,                       // float8 -2.0
            0, 0, 0, 1, 1,                                               // true
            0, 0, 0, 1, 0,                                               // false
            0, 0, 0, 3, 0x68, 0xC3, 0xA9,                                // "hé" in UTF-8
            0xFF, 0xFF, 0xFF, 0xFF,                                      // NULL
            0, 0, 0, 3, 0x01, 0x7B, 0x7D,                                // jsonb version 1, "{}"
        ]
        #expect(body(encoder) == expected)
    }

    @Test func timestampsAreMicrosecondsSince2000() {
        var encoder = BinaryCopyEncoder()
        encoder.appendTimestamp(Date(timeIntervalSince1970: 946_684_800))      // 2000-01-01 00:00:00 UTC
        encoder.appendTimestamp(Date(timeIntervalSince1970: 946_684_801.5))    // +1.5 s = 1_500_000 µs = 0x16E360
        encoder.appendTimestamp(Date(timeIntervalSince1970: 946_684_799))      // -1 s = -1_000_000 µs = ...F0BDC0
        let expected: [UInt8] = [
            0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 8, 0, 0, 0, 0, 0, 0x16, 0xE3, 0x60,
            0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF0, 0xBD, 0xC0,
        ]
        #expect(body(encoder) == expected)
    }

    @Test func textArrayWithTwoElements() {
        var encoder = BinaryCopyEncoder()
        encoder.appendTextArray(["a", "bc"])
        let expected: [UInt8] = [
            0, 0, 0, 31,                 // payload length: 5 int4 header words (20) + (4+1) + (4+2)
            0, 0, 0, 1,                  // ndim
            0, 0, 0, 0,                  // has nulls
            0, 0, 0, 25,                 // element oid: text
            0, 0, 0, 2,                  // dimension size
            0, 0, 0, 1,                  // lower bound
            0, 0, 0, 1, 0x61,            // "a"
            0, 0, 0, 2, 0x62, 0x63,      // "bc"
        ]
        #expect(body(encoder) == expected)
    }

    @Test func emptyTextArray() {
        var encoder = BinaryCopyEncoder()
        encoder.appendTextArray([])
        let expected: [UInt8] = [
            0, 0, 0, 12,   // payload length
            0, 0, 0, 0,    // ndim 0: no dimension words follow
            0, 0, 0, 0,    // has nulls
            0, 0, 0, 25,   // element oid
        ]
        #expect(body(encoder) == expected)
    }

    /// The length patch must land on the array's own slot, not at the start of the buffer.
    @Test func textArrayAfterOtherFieldsPatchesTheRightSlot() {
        var encoder = BinaryCopyEncoder()
        encoder.beginRow(fieldCount: 2)
        encoder.appendInt32(7)
        encoder.appendTextArray(["xyz"])
        let expected: [UInt8] = [
            0, 2,
            0, 0, 0, 4, 0, 0, 0, 7,
            0, 0, 0, 27,   // 20 + 4 + 3
            0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 25, 0, 0, 0, 1, 0, 0, 0, 1,
            0, 0, 0, 3, 0x78, 0x79, 0x7A,
        ]
        #expect(body(encoder) == expected)
        #expect(Array(encoder.bytes.prefix(19)) == Self.header)
    }

    @Test func finishAppendsTrailer() {
        var encoder = BinaryCopyEncoder()
        encoder.finish()
        #expect(encoder.bytes == Self.header + [0xFF, 0xFF])
    }

    @Test func drainHandsOverBytesAndKeepsEncoding() {
        var encoder = BinaryCopyEncoder()
        encoder.beginRow(fieldCount: 1)
        encoder.appendBool(true)
        var chunks: [[UInt8]] = []
        encoder.drain { chunks.append($0) }
        #expect(chunks == [Self.header + [0, 1, 0, 0, 0, 1, 1]])
        #expect(encoder.bytes.isEmpty)

        // Nothing pending: the sink is not called.
        encoder.drain { chunks.append($0) }
        #expect(chunks.count == 1)

        // Later rows continue the same stream: no second header.
        encoder.beginRow(fieldCount: 1)
        encoder.appendNull()
        encoder.finish()
        encoder.drain { chunks.append($0) }
        #expect(chunks.count == 2)
        #expect(chunks[1] == [0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(encoder.bytes.isEmpty)
    }

    @Test func drainPropagatesSinkErrorsAndKeepsBytes() {
        struct SinkFailed: Error {}
        var encoder = BinaryCopyEncoder()
        #expect(throws: SinkFailed.self) { try encoder.drain { _ in throw SinkFailed() } }
        #expect(encoder.bytes == Self.header)
    }
}

@Suite("BinaryCopyEncoder without header")
struct BinaryCopyEncoderChunkTests {
    @Test("a rows-only encoder writes no header, so its bytes can follow another encoder's")
    func rowsOnly() {
        var chunk = BinaryCopyEncoder(capacity: 64, header: false)
        #expect(chunk.bytes.isEmpty)
        chunk.beginRow(fieldCount: 1)
        chunk.appendInt32(7)
        #expect(chunk.bytes == [0, 1, 0, 0, 0, 4, 0, 0, 0, 7])
        var full = BinaryCopyEncoder(capacity: 64)
        full.beginRow(fieldCount: 1)
        full.appendInt32(7)
        #expect(Array(full.bytes.suffix(10)) == chunk.bytes)
    }
}
