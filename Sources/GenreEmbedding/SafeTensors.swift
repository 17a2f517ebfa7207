import Foundation

/// Reads a `.safetensors` file: an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the raw little-endian data. The file is memory-mapped; `floats(_:)`
/// copies one F32 tensor out.
public struct SafeTensors {
    public struct Entry: Sendable, Equatable {
        public var dtype: String
        public var shape: [Int]
        /// Byte range within the data section (after the header).
        public var range: Range<Int>
    }

    public let url: URL
    public let entries: [String: Entry]
    private let data: Data
    private let dataStart: Int

    public init(contentsOf url: URL) throws {
        self.url = url
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw EmbeddingError(.missingModel, "cannot read \(url.path): \(error.localizedDescription). Run `genre model fetch` (or set GENRE_MODEL_DIR to a folder holding config.json, vocab.txt and model.safetensors).")
        }
        func corrupt(_ why: String) -> EmbeddingError {
            EmbeddingError(.corruptModel, "\(url.path) is not a valid safetensors file (\(why)). Delete it and run `genre model fetch` again.")
        }
        guard data.count >= 8 else { throw corrupt("shorter than its 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength > 1, headerLength < 100_000_000, 8 + Int(headerLength) <= data.count else {
            throw corrupt("header length \(headerLength) does not fit a \(data.count)-byte file")
        }
        let header = data.subdata(in: 8..<8 + Int(headerLength))
        guard let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw corrupt("its header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        let dataLength = data.count - 8 - Int(headerLength)
        for (name, value) in object where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = (info["shape"] as? [NSNumber])?.map(\.intValue),
                  let offsets = (info["data_offsets"] as? [NSNumber])?.map(\.intValue), offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength else {
                throw corrupt("tensor \(name) has a malformed entry")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        self.entries = entries
        self.data = data
        self.dataStart = 8 + Int(headerLength)
    }

    /// The F32 tensor `name`, checked against `shape`.
    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard let entry = entries[name] else {
            throw EmbeddingError(.unsupportedModel, "\(url.path) has no tensor \(name); is it a BERT model like all-MiniLM-L6-v2?")
        }
        guard entry.dtype == "F32" else {
            throw EmbeddingError(.unsupportedModel, "tensor \(name) in \(url.path) is \(entry.dtype); only F32 weights are supported")
        }
        guard entry.shape == shape else {
            throw EmbeddingError(.unsupportedModel, "tensor \(name) in \(url.path) has shape \(entry.shape), expected \(shape)")
        }
        let count = shape.reduce(1, *)
        guard entry.range.count == count * 4 else {
            throw EmbeddingError(.corruptModel, "tensor \(name) in \(url.path) holds \(entry.range.count) bytes for \(count) floats; delete the file and run `genre model fetch` again")
        }
        var values = [Float](repeating: 0, count: count)
        let start = dataStart + entry.range.lowerBound
        values.withUnsafeMutableBytes { target in
            data.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<start + count * 4]))
            }
        }
        // The file is little-endian, like every platform Swift runs GENRE on; say so if that ever changes.
        assert(1.littleEndian == 1)
        return values
    }
}
