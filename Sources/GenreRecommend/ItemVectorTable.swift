import GenreLinearAlgebra

/// Unit-length item embeddings in the models' index space: row i is item i's vector, zero where the item
/// has none (`present[i] == false`).
public struct ItemVectorTable: Sendable {
    public var values: [Float]
    public var present: [Bool]
    public var dims: Int
    /// The model that made them (provenance: users' texts and profiles are read from the same model).
    public var model = ""

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
                    BLAS.gemv(m: count, n: dims, a: v.baseAddress!, lda: dims, x: q.baseAddress!, y: o.baseAddress!)
                }
            }
        }
        return out
    }

    /// Cosines of many queries at once (one matrix product, so the catalogue is read once per batch
    /// rather than once per query): result[q] = scores(queries[q]).
    public func scores(batch queries: [[Float]]) -> [[Float]] {
        guard !queries.isEmpty, count > 0, dims > 0 else { return queries.map { _ in [Float](repeating: 0, count: count) } }
        let stacked = queries.flatMap { $0 }
        precondition(stacked.count == queries.count * dims)
        var out = [Float](repeating: 0, count: queries.count * count)
        stacked.withUnsafeBufferPointer { q in
            values.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer { o in
                    BLAS.gemm(m: queries.count, n: count, k: dims, a: q.baseAddress!, lda: dims, b: v.baseAddress!, ldb: dims,
                              transposeB: true, c: o.baseAddress!, ldc: count)
                }
            }
        }
        return (0..<queries.count).map { Array(out[$0 * count..<($0 + 1) * count]) }
    }
}
