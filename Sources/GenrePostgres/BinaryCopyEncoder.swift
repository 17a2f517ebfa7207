import Foundation

/// Encodes rows in PostgreSQL's binary COPY format into one reusable byte buffer.
///
/// Binary COPY avoids formatting and parsing floats as text, which is what makes bulk writes of scores
/// 5-10x faster, but only if encoding does not allocate per value: everything here appends big-endian
/// bytes to a buffer whose capacity is kept between flushes.
public struct BinaryCopyEncoder: Sendable {
    public private(set) var bytes: [UInt8] = []

    /// Microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01 UTC.
    static let postgresEpochOffsetMicros: Int64 = 946_684_800_000_000

    /// - Parameter header: false for an encoder of rows only, whose bytes are appended to a stream that
    ///   already sent the header (chunks encoded in parallel).
    public init(capacity: Int = 1 << 20, header: Bool = true) {
        bytes.reserveCapacity(capacity)
        guard header else { return }
        bytes.append(contentsOf: Array("PGCOPY\n".utf8))
        bytes.append(contentsOf: [0xFF, 0x0D, 0x0A, 0x00])
        appendInteger(Int32(0))  // flags: no OIDs
        appendInteger(Int32(0))  // header extension length
    }

    /// Starts a row of `fieldCount` columns; each column then needs exactly one `append...` call.
    public mutating func beginRow(fieldCount: Int) { appendInteger(Int16(fieldCount)) }

    public mutating func appendNull() { appendInteger(Int32(-1)) }

    public mutating func appendText(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            appendInteger(Int32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func appendInt32(_ value: Int32) {
        appendInteger(Int32(4))
        appendInteger(value)
    }

    public mutating func appendInt64(_ value: Int64) {
        appendInteger(Int32(8))
        appendInteger(value)
    }

    /// A `real` column.
    public mutating func appendFloat32(_ value: Float) {
        appendInteger(Int32(4))
        appendInteger(value.bitPattern)
    }

    /// A `double precision` column.
    public mutating func appendFloat64(_ value: Double) {
        appendInteger(Int32(8))
        appendInteger(value.bitPattern)
    }

    /// A bytea value: the bytes as they are.
    public mutating func appendBytes(_ value: [UInt8]) {
        appendInteger(Int32(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func appendBool(_ value: Bool) {
        appendInteger(Int32(1))
        bytes.append(value ? 1 : 0)
    }

    /// A `jsonb` column: format version 1 followed by the JSON text.
    public mutating func appendJSONB(_ json: String) {
        var json = json
        json.withUTF8 { utf8 in
            appendInteger(Int32(utf8.count + 1))
            bytes.append(1)
            bytes.append(contentsOf: utf8)
        }
    }

    /// A `real[]` column (one dimension, no NULL elements): the embedding vectors.
    public mutating func appendFloatArray(_ values: [Float]) {
        // Length: 12 header bytes, then (when non-empty) dimension and lower bound, then 4 + 4 per element.
        appendInteger(Int32(values.isEmpty ? 12 : 20 + 8 * values.count))
        appendInteger(Int32(values.isEmpty ? 0 : 1))  // dimensions
        appendInteger(Int32(0))                       // no NULLs
        appendInteger(Int32(700))                     // element type: float4
        guard !values.isEmpty else { return }
        appendInteger(Int32(values.count))
        appendInteger(Int32(1))                       // lower bound
        for value in values {
            appendInteger(Int32(4))
            appendInteger(value.bitPattern)
        }
    }

    /// A `text[]` column (one dimension, no NULL elements).
    public mutating func appendTextArray(_ values: [String]) {
        let lengthSlot = bytes.count
        appendInteger(Int32(0))  // patched below, once the payload size is known
        let payloadStart = bytes.count
        appendInteger(Int32(values.isEmpty ? 0 : 1))  // dimensions
        appendInteger(Int32(0))                       // no NULLs
        appendInteger(Int32(25))                      // element type: text
        if !values.isEmpty {
            appendInteger(Int32(values.count))
            appendInteger(Int32(1))                   // lower bound
            for value in values { appendText(value) }
        }
        let length = Int32(bytes.count - payloadStart).bigEndian
        withUnsafeBytes(of: length) { raw in
            for offset in 0..<4 { bytes[lengthSlot + offset] = raw[offset] }
        }
    }

    /// A `timestamptz` column: microseconds since 2000-01-01 UTC.
    public mutating func appendTimestamp(_ date: Date) {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) - Self.postgresEpochOffsetMicros
        appendInt64(micros)
    }

    /// Appends the end-of-data marker; call once, after the last row.
    public mutating func finish() { appendInteger(Int16(-1)) }

    /// Hands the encoded bytes to `sink` and empties the buffer, keeping its capacity.
    public mutating func drain(_ sink: ([UInt8]) throws -> Void) rethrows {
        guard !bytes.isEmpty else { return }
        try sink(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    private mutating func appendInteger<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
