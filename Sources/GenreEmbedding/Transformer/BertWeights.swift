import Foundation

/// The weights of a BERT encoder, read from safetensors under Hugging Face names and laid out for the
/// forward pass: query, key and value fused into one [3·hidden × hidden] matrix so each layer does one
/// product for all three.
struct BertWeights: Sendable {
    struct Layer: Sendable {
        var qkvWeight: [Float]      // [3H, H] (rows: query, key, value outputs)
        var qkvBias: [Float]        // [3H]
        var attentionOutWeight: [Float]  // [H, H]
        var attentionOutBias: [Float]
        var attentionNormGamma: [Float], attentionNormBeta: [Float]
        var intermediateWeight: [Float] // [I, H]
        var intermediateBias: [Float]
        var outputWeight: [Float]       // [H, I]
        var outputBias: [Float]
        var outputNormGamma: [Float], outputNormBeta: [Float]
    }

    var wordEmbeddings: [Float]      // [V, H]
    var positionEmbeddings: [Float]  // [P, H]
    var tokenTypeEmbedding: [Float]  // [H] (type 0)
    var embeddingNormGamma: [Float], embeddingNormBeta: [Float]
    var layers: [Layer]

    init(_ file: SafeTensors, config c: BertConfig) throws {
        let h = c.hiddenSize, i = c.intermediateSize
        // Some exports prefix every name with "bert."; accept both.
        let prefix = file.entries["embeddings.word_embeddings.weight"] == nil && file.entries["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        func t(_ name: String, _ shape: [Int]) throws -> [Float] { try file.floats(prefix + name, shape: shape) }
        wordEmbeddings = try t("embeddings.word_embeddings.weight", [c.vocabSize, h])
        positionEmbeddings = try t("embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, h])
        tokenTypeEmbedding = Array(try t("embeddings.token_type_embeddings.weight", [c.typeVocabSize, h]).prefix(h))
        embeddingNormGamma = try t("embeddings.LayerNorm.weight", [h])
        embeddingNormBeta = try t("embeddings.LayerNorm.bias", [h])
        layers = try (0..<c.numHiddenLayers).map { l in
            let p = "encoder.layer.\(l)."
            return Layer(
                qkvWeight: try t(p + "attention.self.query.weight", [h, h]) + t(p + "attention.self.key.weight", [h, h])
                    + t(p + "attention.self.value.weight", [h, h]),
                qkvBias: try t(p + "attention.self.query.bias", [h]) + t(p + "attention.self.key.bias", [h])
                    + t(p + "attention.self.value.bias", [h]),
                attentionOutWeight: try t(p + "attention.output.dense.weight", [h, h]),
                attentionOutBias: try t(p + "attention.output.dense.bias", [h]),
                attentionNormGamma: try t(p + "attention.output.LayerNorm.weight", [h]),
                attentionNormBeta: try t(p + "attention.output.LayerNorm.bias", [h]),
                intermediateWeight: try t(p + "intermediate.dense.weight", [i, h]),
                intermediateBias: try t(p + "intermediate.dense.bias", [i]),
                outputWeight: try t(p + "output.dense.weight", [h, i]),
                outputBias: try t(p + "output.dense.bias", [h]),
                outputNormGamma: try t(p + "output.LayerNorm.weight", [h]),
                outputNormBeta: try t(p + "output.LayerNorm.bias", [h]))
        }
    }
}
