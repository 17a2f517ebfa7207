#if canImport(Glibc)
import Glibc
#endif

/// Row-wise kernels of a transformer layer, on raw row-major buffers. Each has a naive twin in the tests.
public enum RowKernels {
    /// Copies `bias` into every row of `out` (rows × bias.count), so a following gemm with beta = 1 adds
    /// the product on top: y = x·Wᵀ + b in one pass over y.
    @inline(__always)
    public static func broadcastRows(_ bias: UnsafePointer<Float>, width: Int, rows: Int, into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            (out + r * width).update(from: bias, count: width)
        }
    }

    /// In place: x[r] = LayerNorm(x[r] + residual[r]) · gamma + beta, over `width` columns, eps as given.
    /// Mean and variance are accumulated in Double: rows of 384 floats lose ~1e-6 otherwise.
    public static func addLayerNorm(_ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, rows: Int, width: Int,
                                    gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float) {
        for r in 0..<rows {
            let row = x + r * width
            if let residual {
                let add = residual + r * width
                for c in 0..<width { row[c] += add[c] }
            }
            var sum = 0.0
            for c in 0..<width { sum += Double(row[c]) }
            let mean = sum / Double(width)
            var squares = 0.0
            for c in 0..<width {
                let d = Double(row[c]) - mean
                squares += d * d
            }
            let inverse = Float(1 / (squares / Double(width) + Double(eps)).squareRoot())
            let m = Float(mean)
            for c in 0..<width { row[c] = (row[c] - m) * inverse * gamma[c] + beta[c] }
        }
    }

    /// In place: x = x · Φ(x) with the exact error function (BERT's "gelu"), 0.5·x·(1 + erf(x/√2)).
    public static func geluErf(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let invSqrt2: Float = 0.70710678118654752
        for i in 0..<count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + erff(v * invSqrt2))
        }
    }

    /// In place, per row of `width`: softmax(scale · x), skipping nothing (callers pass only real tokens).
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, scale: Float) {
        for r in 0..<rows {
            let row = x + r * width
            var maximum = -Float.infinity
            for c in 0..<width { maximum = max(maximum, row[c]) }
            var sum: Float = 0
            for c in 0..<width {
                let e = expf((row[c] - maximum) * scale)
                row[c] = e
                sum += e
            }
            let inverse = 1 / sum
            for c in 0..<width { row[c] *= inverse }
        }
    }
}
