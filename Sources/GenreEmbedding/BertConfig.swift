import Foundation

/// The parts of a Hugging Face BERT `config.json` the encoder needs.
public struct BertConfig: Codable, Sendable, Equatable {
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var layerNormEps: Float
    public var vocabSize: Int
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var hiddenAct: String

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size", layerNormEps = "layer_norm_eps", vocabSize = "vocab_size"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size", hiddenAct = "hidden_act"
    }

    public static func load(_ url: URL) throws -> BertConfig {
        guard let data = try? Data(contentsOf: url) else {
            throw EmbeddingError(.missingModel, "cannot read \(url.path). Run `genre model fetch` (or set GENRE_MODEL_DIR).")
        }
        let config: BertConfig
        do {
            config = try JSONDecoder().decode(BertConfig.self, from: data)
        } catch {
            throw EmbeddingError(.corruptModel, "\(url.path) is not a BERT config.json: \(error)")
        }
        guard config.hiddenAct == "gelu", config.hiddenSize % config.numAttentionHeads == 0 else {
            throw EmbeddingError(.unsupportedModel, "\(url.path): only BERT with exact gelu and hidden size divisible by the heads is supported")
        }
        return config
    }

    public var headSize: Int { hiddenSize / numAttentionHeads }
}
