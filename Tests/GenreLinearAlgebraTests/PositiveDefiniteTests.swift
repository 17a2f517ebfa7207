import Testing
import GenreSupport
@testable import GenreLinearAlgebra

/// A random symmetric positive-definite matrix: Mᵀ·M + n·I.
func randomPositiveDefinite(_ n: Int, _ rng: inout SplitMix64) -> [Float] {
    let m = (0..<n * n).map { _ in Float.random(in: -1...1, using: &rng) }
    var a = [Float](repeating: 0, count: n * n)
    for i in 0..<n {
        for j in 0..<n {
            var sum: Float = 0
            for k in 0..<n { sum += m[k * n + i] * m[k * n + j] }
            a[i * n + j] = sum + (i == j ? Float(n) : 0)
        }
    }
    return a
}

/// The naive reference: Gauss–Jordan elimination with partial pivoting, in Double.
func naiveInverse(_ a: [Float], _ n: Int) -> [Double] {
    var m = a.map(Double.init), inv = [Double](repeating: 0, count: n * n)
    for i in 0..<n { inv[i * n + i] = 1 }
    for column in 0..<n {
        let pivot = (column..<n).max { abs(m[$0 * n + column]) < abs(m[$1 * n + column]) }!
        for k in 0..<n {
            m.swapAt(column * n + k, pivot * n + k)
            inv.swapAt(column * n + k, pivot * n + k)
        }
        let scale = m[column * n + column]
        for k in 0..<n {
            m[column * n + k] /= scale
            inv[column * n + k] /= scale
        }
        for row in 0..<n where row != column {
            let factor = m[row * n + column]
            for k in 0..<n {
                m[row * n + k] -= factor * m[column * n + k]
                inv[row * n + k] -= factor * inv[column * n + k]
            }
        }
    }
    return inv
}

@Suite struct PositiveDefiniteTests {
    @Test(arguments: [1, 3, 17, 64])
    func inverseMatchesGaussJordan(n: Int) throws {
        var rng = SplitMix64(seed: UInt64(n))
        let a = randomPositiveDefinite(n, &rng)
        var inverse = a
        try PositiveDefinite.invert(&inverse, order: n)
        let reference = naiveInverse(a, n)
        for i in 0..<n * n { #expect(abs(Double(inverse[i]) - reference[i]) < 1e-5, "element \(i)") }
        // Both triangles are filled: the result is symmetric.
        for i in 0..<n { for j in 0..<n { #expect(inverse[i * n + j] == inverse[j * n + i]) } }
    }

    @Test func solveMatchesInverseTimesB() throws {
        var rng = SplitMix64(seed: 5)
        let n = 12
        let a = randomPositiveDefinite(n, &rng)
        let b = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
        let x = try PositiveDefinite.solve(a, b, order: n)
        let inverse = naiveInverse(a, n)
        for i in 0..<n {
            let expected = (0..<n).reduce(0.0) { $0 + inverse[i * n + $1] * Double(b[$1]) }
            #expect(abs(Double(x[i]) - expected) < 1e-5)
        }
    }

    @Test func indefiniteMatrixIsATypedError() {
        var a: [Float] = [1, 2, 2, 1]   // eigenvalues 3 and -1
        #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 2, minor: 2)) { try PositiveDefinite.invert(&a, order: 2) }
        #expect(throws: LinearAlgebraError.self) { try PositiveDefinite.solve([0, 0, 0, 0], [1, 1], order: 2) }
    }
}

@Suite struct VectorKernelTests {
    @Test(arguments: [0, 1, 7, 8, 9, 64, 100])
    func dotAndAxpyMatchLoops(n: Int) {
        var rng = SplitMix64(seed: UInt64(n + 1))
        let a = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
        var b = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
        let expectedDot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let expectedAxpy = zip(a, b).map { 0.5 * $0 + $1 }
        let dot = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
            VectorKernels.dot(pa.baseAddress ?? UnsafePointer(bitPattern: 8)!, pb.baseAddress ?? UnsafePointer(bitPattern: 8)!, count: n) } }
        #expect(abs(Double(dot) - expectedDot) < 1e-4)
        a.withUnsafeBufferPointer { pa in b.withUnsafeMutableBufferPointer { pb in
            if n > 0 { VectorKernels.axpy(0.5, pa.baseAddress!, pb.baseAddress!, count: n) } } }
        for i in 0..<n { #expect(abs(b[i] - expectedAxpy[i]) < 1e-6) }
    }

    @Test func gramIsATransposeAPlusRidge() {
        var rng = SplitMix64(seed: 9)
        let rows = 13, n = 6
        let a = (0..<rows * n).map { _ in Float.random(in: -1...1, using: &rng) }
        let c = VectorKernels.gram(a, rows: rows, columns: n, ridge: 0.25)
        for i in 0..<n {
            for j in 0..<n {
                var sum = 0.0
                for r in 0..<rows { sum += Double(a[r * n + i]) * Double(a[r * n + j]) }
                if i == j { sum += 0.25 }
                #expect(abs(Double(c[i * n + j]) - sum) < 1e-5)
            }
        }
    }
}
