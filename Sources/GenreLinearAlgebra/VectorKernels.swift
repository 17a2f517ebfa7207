/// Short dense vector kernels (factor vectors of 16–256 floats) on raw pointers. SIMD8 accumulators keep
/// them vectorised without fast-math, and avoid a BLAS call's overhead, which dominates at these lengths.
public enum VectorKernels {
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        var accumulator = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            accumulator += x * y
            i += 8
        }
        var sum = accumulator.sum()
        while i < n {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// y += alpha · x
    @inline(__always)
    /// The same over two equally long slices (item vectors are slices of one table). A plain
    /// `zip` loop is a strict left-to-right float sum, which the compiler may not vectorise: 8 lanes here.
    public static func dot(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        precondition(a.count == b.count, "dot of vectors of different lengths")
        return a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in dot(x.baseAddress!, y.baseAddress!, count: a.count) }
        }
    }

    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        let scale = SIMD8<Float>(repeating: alpha)
        var i = 0
        while i + 8 <= n {
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: yv + scale * xv, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            y[i] += alpha * x[i]
            i += 1
        }
    }

    /// C (n×n, row-major) = Aᵀ·A + lambda·I for a row-major rows×n matrix A: the Gram matrix ALS needs.
    public static func gram(_ a: [Float], rows: Int, columns n: Int, ridge lambda: Float) -> [Float] {
        a.withUnsafeBufferPointer { gram($0.baseAddress ?? UnsafePointer(bitPattern: 8)!, rows: rows, columns: n, ridge: lambda) }
    }

    /// The same for a matrix behind a pointer (a buffer several threads fill, read without copying it).
    public static func gram(_ a: UnsafePointer<Float>, rows: Int, columns n: Int, ridge lambda: Float) -> [Float] {
        var c = [Float](repeating: 0, count: n * n)
        guard rows > 0, n > 0 else { return c }
        c.withUnsafeMutableBufferPointer { pc in
            BLAS.gemm(m: n, n: n, k: rows, a: a, lda: n, transposeA: true, b: a, ldb: n, c: pc.baseAddress!, ldc: n)
        }
        for d in 0..<n { c[d * n + d] += lambda }
        return c
    }
}
