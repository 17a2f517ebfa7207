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
    ///
    /// erf is evaluated as x·P(x²)/Q(x²) on [-4, 4] (beyond it erf is ±1 in single precision), a rational
    /// approximation accurate to a few float ulps that vectorises, eight lanes at a time; libm's erff
    /// took a fifth of the whole forward pass. Tests pin it against erff and against `geluReference`.
    public static func geluErf(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let invSqrt2 = SIMD8<Float>(repeating: 0.70710678118654752)
        while i + 8 <= count {
            let raw = UnsafeMutableRawPointer(x + i)
            let v = raw.loadUnaligned(as: SIMD8<Float>.self)
            let result = 0.5 * v * (1 + erf8(v * invSqrt2))
            raw.storeBytes(of: result, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + erfScalar(v * 0.70710678118654752))
            i += 1
        }
    }

    /// The exact-erf GELU through libm, kept as the reference the fast version is tested against.
    public static func geluReference(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + erff(v * 0.70710678118654752))
        }
    }

    // Coefficients of the rational approximation of erf on [-4, 4] (the one Eigen and TensorFlow use).
    static let erfAlpha: [Float] = [-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
                                    -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
                                    -1.60960333262415e-02]
    static let erfBeta: [Float] = [-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
                                   -7.37332916720468e-03, -1.42647390514189e-02]

    @inline(__always)
    static func erf8(_ input: SIMD8<Float>) -> SIMD8<Float> {
        let x = input.clamped(lowerBound: SIMD8(repeating: -4), upperBound: SIMD8(repeating: 4))
        let x2 = x * x
        var p = SIMD8<Float>(repeating: erfAlpha[0])
        for k in 1..<7 { p = p * x2 + SIMD8(repeating: erfAlpha[k]) }
        p = p * x
        var q = SIMD8<Float>(repeating: erfBeta[0])
        for k in 1..<5 { q = q * x2 + SIMD8(repeating: erfBeta[k]) }
        return p / q
    }

    @inline(__always)
    public static func erfScalar(_ input: Float) -> Float {
        let x = min(max(input, -4), 4)
        let x2 = x * x
        var p = erfAlpha[0]
        for k in 1..<7 { p = p * x2 + erfAlpha[k] }
        var q = erfBeta[0]
        for k in 1..<5 { q = q * x2 + erfBeta[k] }
        return x * p / q
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
