import CBLAS

/// Why a dense solve failed, with what a caller needs to say so.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
    /// Cholesky found a non-positive pivot: the matrix is not positive definite (often: regularisation 0 and
    /// a rank-deficient Gram matrix, or NaN in the input).
    case notPositiveDefinite(order: Int, minor: Int)
    case invalidArgument(routine: String, argument: Int)

    public var description: String {
        switch self {
        case .notPositiveDefinite(let order, let minor):
            return "the \(order)×\(order) matrix is not positive definite (leading minor \(minor) ≤ 0); raise the regularisation"
        case .invalidArgument(let routine, let argument):
            return "LAPACK \(routine) rejected argument \(argument)"
        }
    }
}

/// Dense symmetric positive-definite algebra through OpenBLAS's LAPACK (Cholesky). A symmetric matrix is
/// its own transpose, so row-major callers can pass their storage to column-major LAPACK unchanged.
public enum PositiveDefinite {
    /// Replaces the n×n symmetric positive-definite `a` by its inverse (both triangles filled).
    public static func invert(_ a: inout [Float], order n: Int) throws {
        precondition(a.count == n * n, "an \(n)×\(n) matrix needs \(n * n) values")
        guard n > 0 else { return }
        var size = Int32(n), lda = Int32(n), info: Int32 = 0
        try a.withUnsafeMutableBufferPointer { p in
            spotrf_("L", &size, p.baseAddress!, &lda, &info, 1)
            try check(info, routine: "spotrf", order: n)
            spotri_("L", &size, p.baseAddress!, &lda, &info, 1)
            try check(info, routine: "spotri", order: n)
            // spotri wrote the lower triangle in LAPACK's column-major view, which is the upper triangle in
            // row-major order (index c·n + r with r ≥ c). Mirror it into the other half.
            for column in 0..<n {
                for row in (column + 1)..<n {
                    p[row * n + column] = p[column * n + row]
                }
            }
        }
    }

    /// Solves a · x = b for an n×n symmetric positive-definite `a` (not modified).
    public static func solve(_ a: [Float], _ b: [Float], order n: Int) throws -> [Float] {
        precondition(a.count == n * n && b.count == n)
        guard n > 0 else { return [] }
        var factor = a, x = b
        var size = Int32(n), lda = Int32(n), one: Int32 = 1, info: Int32 = 0
        factor.withUnsafeMutableBufferPointer { f in
            x.withUnsafeMutableBufferPointer { xb in
                sposv_("L", &size, &one, f.baseAddress!, &lda, xb.baseAddress!, &lda, &info, 1)
            }
        }
        try check(info, routine: "sposv", order: n)
        return x
    }

    private static func check(_ info: Int32, routine: String, order: Int) throws {
        if info > 0 { throw LinearAlgebraError.notPositiveDefinite(order: order, minor: Int(info)) }
        if info < 0 { throw LinearAlgebraError.invalidArgument(routine: routine, argument: Int(-info)) }
    }
}
