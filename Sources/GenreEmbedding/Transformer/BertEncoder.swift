import GenreLinearAlgebra

/// The BERT forward pass for a batch of token sequences of any lengths, packed without padding: the
/// linear layers run on all real tokens stacked into one matrix (so no work is spent on padding), and
/// attention runs per sequence over its own tokens only, which is exactly what the padding mask achieves.
struct BertEncoder: Sendable {
    let config: BertConfig
    let weights: BertWeights

    /// Mean-pooled, L2-normalised sentence vectors, one per sequence, in order.
    func embed(_ sequences: [[Int32]]) -> [[Float]] {
        let lengths = sequences.map(\.count)
        let hidden = forward(sequences)
        let h = config.hiddenSize
        var offset = 0
        return lengths.map { length in
            var vector = [Float](repeating: 0, count: h)
            hidden.withUnsafeBufferPointer { x in
                for t in 0..<length {
                    let row = x.baseAddress! + (offset + t) * h
                    for c in 0..<h { vector[c] += row[c] }
                }
            }
            offset += length
            var norm: Float = 0
            for c in 0..<h {
                vector[c] /= Float(max(length, 1))
                norm += vector[c] * vector[c]
            }
            let scale = 1 / max(norm.squareRoot(), 1e-12)
            for c in 0..<h { vector[c] *= scale }
            return vector
        }
    }

    /// Last hidden states of every token, rows stacked sequence after sequence: [Σ lengths × hidden].
    func forward(_ sequences: [[Int32]]) -> [Float] {
        let h = config.hiddenSize, inter = config.intermediateSize
        let rows = sequences.reduce(0) { $0 + $1.count }
        var x = [Float](repeating: 0, count: rows * h)
        var qkv = [Float](repeating: 0, count: rows * 3 * h)
        var context = [Float](repeating: 0, count: rows * h)
        var projected = [Float](repeating: 0, count: rows * h)
        var intermediate = [Float](repeating: 0, count: rows * inter)
        let longest = sequences.map(\.count).max() ?? 0
        var scores = [Float](repeating: 0, count: longest * longest)
        let starts = sequences.reduce(into: [0]) { $0.append($0.last! + $1.count) }

        embedTokens(sequences, into: &x)
        for layer in weights.layers {
            // Q, K, V for every token in one product: qkv = x · Wqkvᵀ + b.
            linear(x, rows: rows, inputs: h, weight: layer.qkvWeight, bias: layer.qkvBias, outputs: 3 * h, into: &qkv)
            attention(qkv, starts: starts, scores: &scores, into: &context)
            // x = LayerNorm(context · Woᵀ + b + x)
            linear(context, rows: rows, inputs: h, weight: layer.attentionOutWeight, bias: layer.attentionOutBias, outputs: h, into: &projected)
            normalize(&projected, residual: x, rows: rows, gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta)
            swap(&x, &projected)
            // x = LayerNorm(gelu(x · Wiᵀ + b) · Wo2ᵀ + b + x)
            linear(x, rows: rows, inputs: h, weight: layer.intermediateWeight, bias: layer.intermediateBias, outputs: inter, into: &intermediate)
            intermediate.withUnsafeMutableBufferPointer { RowKernels.geluErf($0.baseAddress!, count: rows * inter) }
            linear(intermediate, rows: rows, inputs: inter, weight: layer.outputWeight, bias: layer.outputBias, outputs: h, into: &projected)
            normalize(&projected, residual: x, rows: rows, gamma: layer.outputNormGamma, beta: layer.outputNormBeta)
            swap(&x, &projected)
        }
        return x
    }

    /// word + position + token-type(0) embeddings, then LayerNorm.
    private func embedTokens(_ sequences: [[Int32]], into x: inout [Float]) {
        let h = config.hiddenSize
        x.withUnsafeMutableBufferPointer { out in
            weights.wordEmbeddings.withUnsafeBufferPointer { words in
                weights.positionEmbeddings.withUnsafeBufferPointer { positions in
                    var row = 0
                    for sequence in sequences {
                        for (t, id) in sequence.enumerated() {
                            let target = out.baseAddress! + row * h
                            let word = words.baseAddress! + Int(id) * h
                            let position = positions.baseAddress! + t * h
                            for c in 0..<h { target[c] = word[c] + position[c] + weights.tokenTypeEmbedding[c] }
                            row += 1
                        }
                    }
                }
            }
        }
        normalize(&x, residual: nil, rows: x.count / h, gamma: weights.embeddingNormGamma, beta: weights.embeddingNormBeta)
    }

    /// out[rows × outputs] = input[rows × inputs] · weight[outputs × inputs]ᵀ + bias.
    private func linear(_ input: [Float], rows: Int, inputs: Int, weight: [Float], bias: [Float], outputs: Int, into out: inout [Float]) {
        input.withUnsafeBufferPointer { a in
            weight.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    out.withUnsafeMutableBufferPointer { c in
                        RowKernels.broadcastRows(b.baseAddress!, width: outputs, rows: rows, into: c.baseAddress!)
                        BLAS.gemm(m: rows, n: outputs, k: inputs, a: a.baseAddress!, lda: inputs, b: w.baseAddress!, ldb: inputs,
                                  transposeB: true, beta: 1, c: c.baseAddress!, ldc: outputs)
                    }
                }
            }
        }
    }

    /// Multi-head self-attention, sequence by sequence and head by head, reading Q, K and V as column
    /// blocks of `qkv` and writing each head's output into its column block of `context`.
    private func attention(_ qkv: [Float], starts: [Int], scores: inout [Float], into context: inout [Float]) {
        let h = config.hiddenSize, heads = config.numAttentionHeads, d = config.headSize
        let scale = 1 / Float(d).squareRoot()
        qkv.withUnsafeBufferPointer { qkvBuffer in
            scores.withUnsafeMutableBufferPointer { s in
                context.withUnsafeMutableBufferPointer { out in
                    for sequence in 0..<(starts.count - 1) {
                        let start = starts[sequence], length = starts[sequence + 1] - start
                        let base = qkvBuffer.baseAddress! + start * 3 * h
                        for head in 0..<heads {
                            let q = base + head * d, k = base + h + head * d, v = base + 2 * h + head * d
                            // scores = Q · Kᵀ (length × length), then softmax(scale · scores) per query row.
                            BLAS.gemm(m: length, n: length, k: d, a: q, lda: 3 * h, b: k, ldb: 3 * h, transposeB: true,
                                      c: s.baseAddress!, ldc: length)
                            RowKernels.softmaxRows(s.baseAddress!, rows: length, width: length, scale: scale)
                            // context block = P · V (length × d).
                            BLAS.gemm(m: length, n: d, k: length, a: s.baseAddress!, lda: length, b: v, ldb: 3 * h,
                                      c: out.baseAddress! + start * h + head * d, ldc: h)
                        }
                    }
                }
            }
        }
    }

    private func normalize(_ x: inout [Float], residual: [Float]?, rows: Int, gamma: [Float], beta: [Float]) {
        let h = config.hiddenSize, eps = config.layerNormEps
        x.withUnsafeMutableBufferPointer { xs in
            gamma.withUnsafeBufferPointer { g in
                beta.withUnsafeBufferPointer { b in
                    if let residual {
                        residual.withUnsafeBufferPointer { r in
                            RowKernels.addLayerNorm(xs.baseAddress!, residual: r.baseAddress!, rows: rows, width: h,
                                                    gamma: g.baseAddress!, beta: b.baseAddress!, eps: eps)
                        }
                    } else {
                        RowKernels.addLayerNorm(xs.baseAddress!, residual: nil, rows: rows, width: h,
                                                gamma: g.baseAddress!, beta: b.baseAddress!, eps: eps)
                    }
                }
            }
        }
    }
}
