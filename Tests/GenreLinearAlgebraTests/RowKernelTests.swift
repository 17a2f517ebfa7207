import Foundation
import Testing
import GenreSupport
@testable import GenreLinearAlgebra

@Suite("row kernels against naive references")
struct RowKernelTests {
    @Test("residual add + LayerNorm matches the textbook formula in Double")
    func layerNorm() {
        var rng = SplitMix64(seed: 11)
        let rows = 7, width = 384
        let x = (0..<rows * width).map { _ in Float.random(in: -3...3, using: &rng) }
        let residual = (0..<rows * width).map { _ in Float.random(in: -1...1, using: &rng) }
        let gamma = (0..<width).map { _ in Float.random(in: 0.5...1.5, using: &rng) }
        let beta = (0..<width).map { _ in Float.random(in: -0.2...0.2, using: &rng) }
        var fast = x
        RowKernels.addLayerNorm(&fast, residual: residual, rows: rows, width: width, gamma: gamma, beta: beta, eps: 1e-12)
        for r in 0..<rows {
            let row = (0..<width).map { Double(x[r * width + $0]) + Double(residual[r * width + $0]) }
            let mean = row.reduce(0, +) / Double(width)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            for c in 0..<width {
                let expected = (row[c] - mean) / (variance + 1e-12).squareRoot() * Double(gamma[c]) + Double(beta[c])
                #expect(abs(Double(fast[r * width + c]) - expected) < 2e-5)
            }
        }
    }

    @Test("the vectorised erf is within 5e-7 (a few float ulps) of libm's erff over [-6, 6]")
    func fastErf() {
        var worst: Float = 0
        var x: Float = -6
        while x <= 6 {
            worst = max(worst, abs(RowKernels.erfScalar(x) - erff(x)))
            x += 0.0007
        }
        #expect(worst < 5e-7, "max |erf - erff| = \(worst)")
    }

    @Test("fast GELU matches the libm GELU on every lane and the scalar tail", arguments: [1, 8, 13, 1536 * 3 + 5])
    func gelu(count: Int) {
        var rng = SplitMix64(seed: UInt64(count))
        let x = (0..<count).map { _ in Float.random(in: -8...8, using: &rng) }
        var fast = x, reference = x
        RowKernels.geluErf(&fast, count: count)
        RowKernels.geluReference(&reference, count: count)
        let worst = zip(fast, reference).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 2e-6, "max |diff| \(worst)")
        // Known values: GELU(0) = 0, GELU(1) = 0.8413447, GELU(-1) = -0.1586553.
        var probes: [Float] = [0, 1, -1]
        RowKernels.geluErf(&probes, count: 3)
        #expect(abs(probes[0]) < 1e-7 && abs(probes[1] - 0.8413447) < 1e-6 && abs(probes[2] + 0.1586553) < 1e-6)
    }

    @Test("softmax rows sum to 1 and match exp(s·x)/Σ")
    func softmax() {
        var rng = SplitMix64(seed: 5)
        let rows = 4, width = 9
        let x = (0..<rows * width).map { _ in Float.random(in: -20...20, using: &rng) }
        var fast = x
        RowKernels.softmaxRows(&fast, rows: rows, width: width, scale: 0.125)
        for r in 0..<rows {
            let row = (0..<width).map { Double(x[r * width + $0]) * 0.125 }
            let top = row.max()!
            let total = row.map { exp($0 - top) }.reduce(0, +)
            for c in 0..<width { #expect(abs(Double(fast[r * width + c]) - exp(row[c] - top) / total) < 1e-6) }
            #expect(abs(fast[r * width..<(r + 1) * width].reduce(0, +) - 1) < 1e-5)
        }
    }
}
