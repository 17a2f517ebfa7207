import CBLAS

/// Matrix products through OpenBLAS `cblas_sgemm`, row-major.
public enum BLAS {
    /// Restricts OpenBLAS to `count` threads. GENRE parallelises across batches itself (one BLAS thread per
    /// worker), which scales better for the small products of short sentences.
    public static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(count)) }

    /// C = alpha · op(A) · op(B) + beta · C, row-major, with leading dimensions, on raw pointers: the
    /// attention code multiplies column blocks (one head) of wider matrices in place.
    ///
    /// - op(A) is m×k, op(B) is k×n, C is m×n. `transposeB` means B is stored n×k (a torch Linear weight).
    @inline(__always)
    public static func gemm(m: Int, n: Int, k: Int, alpha: Float = 1,
                            a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                            b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y = A · x + beta · y for a row-major m × n matrix A. Use this rather than gemm with one column: gemm packs
    /// (copies) all of A on every call, which made per-user scoring over a catalogue memory-bound.
    @inline(__always)
    public static func gemv(m: Int, n: Int, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                            beta: Float = 0) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), 1, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// A · B for whole matrices (B transposed when `transposeB`), as a new matrix.
    public static func multiply(_ a: Matrix, _ b: Matrix, transposeB: Bool = false) -> Matrix {
        let n = transposeB ? b.rows : b.columns
        let k = a.columns
        precondition(k == (transposeB ? b.columns : b.rows), "inner dimensions differ: \(a.rows)×\(a.columns) · \(b.rows)×\(b.columns)\(transposeB ? "ᵀ" : "")")
        var c = Matrix(zeros: a.rows, n)
        a.values.withUnsafeBufferPointer { pa in
            b.values.withUnsafeBufferPointer { pb in
                c.values.withUnsafeMutableBufferPointer { pc in
                    gemm(m: a.rows, n: n, k: k, a: pa.baseAddress!, lda: a.columns, b: pb.baseAddress!, ldb: b.columns,
                         transposeB: transposeB, c: pc.baseAddress!, ldc: n)
                }
            }
        }
        return c
    }
}
