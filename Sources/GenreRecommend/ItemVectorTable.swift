import GenreLinearAlgebra

/// Unit-length item embeddings in the models' index space: row i is item i's vector, zero where the item
/// has none (`present[i] == false`).
public struct ItemVectorTable: Sendable {
    public var values: [Float]
    public var present: [Bool]
    public var dims: Int

    public init(values: [Float], present: [Bool], dims: Int) {
        precondition(values.count == present.count * dims)
        self.values = values
        self.present = present
        self.dims = dims
    }

    public var count: Int { present.count }
    public var isEmpty: Bool { !present.contains(true) }

    public func vector(_ item: Int32) -> ArraySlice<Float>? {
        let i = Int(item)
        guard i < count, present[i] else { return nil }
        return values[i * dims..<(i + 1) * dims]
    }

    /// Cosine of `query` (unit length) with every item: one matrix-vector product.
    public func scores(_ query: [Float]) -> [Float] {
        precondition(query.count == dims)
        var out = [Float](repeating: 0, count: count)
        guard count > 0, dims > 0 else { return out }
        values.withUnsafeBufferPointer { v in
            query.withUnsafeBufferPointer { q in
                out.withUnsafeMutableBufferPointer { o in
                    BLAS.gemm(m: count, n: 1, k: dims, a: v.baseAddress!, lda: dims, b: q.baseAddress!, ldb: 1,
                              c: o.baseAddress!, ldc: 1)
                }
            }
        }
        return out
    }
}

/// Parses PostgreSQL's text form of a real[] ("{0.1,-2e-05,...}") without going through JSON.
public func parseFloatArray(_ text: String, expecting count: Int) -> [Float]? {
    guard text.hasPrefix("{"), text.hasSuffix("}") else { return nil }
    let values = text.dropFirst().dropLast().split(separator: ",").compactMap { Float($0) }
    return values.count == count ? values : nil
}
