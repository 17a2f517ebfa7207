import Testing
import GenreSupport
@testable import GenreLinearAlgebra

func randomMatrix(_ rows: Int, _ columns: Int, _ rng: inout SplitMix64) -> Matrix {
    Matrix(rows: rows, columns: columns, values: (0..<rows * columns).map { _ in Float.random(in: -1...1, using: &rng) })
}

/// The naive reference: C[i][j] = Σ_k A[i][k] · op(B)[k][j], accumulated in Double.
func naiveProduct(_ a: Matrix, _ b: Matrix, transposeB: Bool) -> Matrix {
    let n = transposeB ? b.rows : b.columns
    var c = Matrix(zeros: a.rows, n)
    for i in 0..<a.rows {
        for j in 0..<n {
            var sum = 0.0
            for k in 0..<a.columns { sum += Double(a[i, k]) * Double(transposeB ? b[j, k] : b[k, j]) }
            c[i, j] = Float(sum)
        }
    }
    return c
}

@Suite("sgemm against the naive product")
struct GemmTests {
    @Test("shapes from 1×1 to transformer-sized, with and without a transposed B",
          arguments: [(1, 1, 1), (3, 5, 7), (17, 33, 9), (64, 384, 96), (11, 1536, 384)], [false, true])
    func agreesWithNaive(shape: (Int, Int, Int), transposeB: Bool) {
        var rng = SplitMix64(seed: UInt64(shape.0 * 1000 + shape.1 * 10 + shape.2))
        let (m, n, k) = shape
        let a = randomMatrix(m, k, &rng)
        let b = transposeB ? randomMatrix(n, k, &rng) : randomMatrix(k, n, &rng)
        let fast = BLAS.multiply(a, b, transposeB: transposeB)
        let slow = naiveProduct(a, b, transposeB: transposeB)
        let worst = zip(fast.values, slow.values).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-4 * Float(k).squareRoot(), "max |diff| \(worst)")
    }

    @Test("leading dimensions select a column block in place (how attention reads one head)")
    func columnBlocks() {
        var rng = SplitMix64(seed: 7)
        let wide = randomMatrix(5, 12, &rng)          // three 4-column blocks
        let other = randomMatrix(5, 12, &rng)
        var scores = [Float](repeating: 0, count: 25)
        wide.values.withUnsafeBufferPointer { w in
            other.values.withUnsafeBufferPointer { o in
                BLAS.gemm(m: 5, n: 5, k: 4, a: w.baseAddress! + 4, lda: 12, b: o.baseAddress! + 8, ldb: 12, transposeB: true,
                          c: &scores, ldc: 5)
            }
        }
        for i in 0..<5 {
            for j in 0..<5 {
                let expected = (0..<4).reduce(Float(0)) { $0 + wide[i, 4 + $1] * other[j, 8 + $1] }
                #expect(abs(scores[i * 5 + j] - expected) < 1e-5)
            }
        }
    }

    @Test("beta = 1 adds the product to what C holds (bias broadcast first)")
    func betaAccumulates() {
        var rng = SplitMix64(seed: 3)
        let a = randomMatrix(4, 6, &rng), w = randomMatrix(3, 6, &rng)
        let bias: [Float] = [0.5, -1, 2]
        var c = [Float](repeating: 0, count: 12)
        RowKernels.broadcastRows(bias, width: 3, rows: 4, into: &c)
        a.values.withUnsafeBufferPointer { pa in
            w.values.withUnsafeBufferPointer { pw in
                BLAS.gemm(m: 4, n: 3, k: 6, a: pa.baseAddress!, lda: 6, b: pw.baseAddress!, ldb: 6, transposeB: true, beta: 1, c: &c, ldc: 3)
            }
        }
        let product = naiveProduct(a, w, transposeB: true)
        for i in 0..<4 { for j in 0..<3 { #expect(abs(c[i * 3 + j] - (product[i, j] + bias[j])) < 1e-5) } }
    }
}
