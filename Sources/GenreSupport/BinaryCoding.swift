/// Little-endian binary encoding of plain values, for model state stored as bytes: floats keep every bit,
/// unlike any decimal rendering.
public struct BinaryWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func write(_ value: Float) { write(value.bitPattern) }
    public mutating func write(_ value: Double) { write(value.bitPattern) }

    /// Length-prefixed UTF-8; nil is length -1.
    public mutating func write(_ value: String?) {
        guard let value else { return write(Int32(-1)) }
        let utf8 = Array(value.utf8)
        write(Int32(utf8.count))
        bytes.append(contentsOf: utf8)
    }
}

public struct BinaryReader {
    public struct Malformed: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else { throw Malformed(description: "truncated: \(size) bytes needed at offset \(offset) of \(bytes.count)") }
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes[offset..<offset + size]) }
        offset += size
        return T(littleEndian: value)
    }

    public mutating func readFloat() throws -> Float { Float(bitPattern: try read(UInt32.self)) }
    public mutating func readDouble() throws -> Double { Double(bitPattern: try read(UInt64.self)) }

    public mutating func readString() throws -> String? {
        let count = Int(try read(Int32.self))
        if count == -1 { return nil }
        guard count >= 0, offset + count <= bytes.count else { throw Malformed(description: "bad string length \(count) at offset \(offset)") }
        defer { offset += count }
        return String(decoding: bytes[offset..<offset + count], as: UTF8.self)
    }

    /// A count that must fit what is left (`minimumSize` bytes per element), so corrupt data cannot make
    /// the reader allocate without bound.
    public mutating func readCount(minimumSize: Int) throws -> Int {
        let count = Int(try read(Int32.self))
        guard count >= 0, count * max(minimumSize, 1) <= bytes.count - offset else {
            throw Malformed(description: "bad element count \(count) at offset \(offset)")
        }
        return count
    }
}
