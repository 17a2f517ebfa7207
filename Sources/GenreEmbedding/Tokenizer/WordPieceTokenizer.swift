import Foundation

/// BERT WordPiece over `vocab.txt`: special tokens written literally in the text ("[CLS]", "[MASK]" ...)
/// map to their ids, the rest is normalised and split into greedy longest-match pieces ("##" marks a
/// continuation), words over 100 characters become [UNK], and the result is wrapped in [CLS] … [SEP] and
/// truncated to `maxLength` tokens.
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: [String: Int32]
    public let maxLength: Int
    public let unknown: Int32, classifier: Int32, separator: Int32
    /// Literal special tokens matched in the raw text before normalisation (case-sensitive).
    let specials: [(text: String, id: Int32)]
    static let maxWordCharacters = 100

    public init(vocabularyURL url: URL, maxLength: Int = 256) throws {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw EmbeddingError(.missingModel, "cannot read \(url.path). Run `genre model fetch` (or set GENRE_MODEL_DIR).")
        }
        var vocabulary: [String: Int32] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let token = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if token.isEmpty && index > 0 { continue }
            if vocabulary[token] == nil { vocabulary[token] = Int32(index) }
        }
        try self.init(vocabulary: vocabulary, maxLength: maxLength, source: url.path)
    }

    public init(vocabulary: [String: Int32], maxLength: Int = 256, source: String = "vocabulary") throws {
        func id(_ token: String) throws -> Int32 {
            guard let id = vocabulary[token] else {
                throw EmbeddingError(.corruptModel, "\(source) lacks \(token); is it a BERT vocab.txt?")
            }
            return id
        }
        self.vocabulary = vocabulary
        self.maxLength = max(2, maxLength)
        unknown = try id("[UNK]")
        classifier = try id("[CLS]")
        separator = try id("[SEP]")
        specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].compactMap { token in vocabulary[token].map { (token, $0) } }
    }

    /// Token ids of `text`, [CLS] first and [SEP] last.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = [classifier]
        let budget = maxLength - 1
        for segment in splitSpecials(text) {
            switch segment {
            case .special(let id):
                ids.append(id)
            case .text(let part):
                for word in BertNormalizer.words(part) {
                    ids.append(contentsOf: pieces(word))
                    if ids.count >= budget { break }
                }
            }
            if ids.count >= budget { break }
        }
        if ids.count > budget { ids.removeLast(ids.count - budget) }
        ids.append(separator)
        return ids
    }

    enum Segment { case special(Int32), text(String) }

    /// Cuts the raw text at literal special tokens (leftmost match, compared scalar by scalar as the
    /// reference tokenizer does; none of them is a prefix of another).
    func splitSpecials(_ text: String) -> [Segment] {
        guard text.contains("[") else { return [.text(text)] }
        let scalars = Array(text.unicodeScalars)
        var segments: [Segment] = []
        var pendingStart = 0
        var index = 0
        func slice(_ range: Range<Int>) -> String {
            var out = String.UnicodeScalarView()
            out.append(contentsOf: scalars[range])
            return String(out)
        }
        while index < scalars.count {
            if scalars[index] == "[", let match = specials.first(where: { special in
                let candidate = special.text.unicodeScalars
                return index + candidate.count <= scalars.count && zip(candidate, scalars[index...]).allSatisfy { $0 == $1 }
            }) {
                if pendingStart < index { segments.append(.text(slice(pendingStart..<index))) }
                segments.append(.special(match.id))
                index += match.text.unicodeScalars.count
                pendingStart = index
            } else {
                index += 1
            }
        }
        if pendingStart < scalars.count { segments.append(.text(slice(pendingStart..<scalars.count))) }
        return segments
    }

    /// Greedy longest-match-first WordPiece of one normalised word.
    func pieces(_ word: String) -> [Int32] {
        let scalars = Array(word.unicodeScalars)
        if scalars.count > Self.maxWordCharacters { return [unknown] }
        var ids: [Int32] = []
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var found: Int32?
            while start < end {
                var candidate = start == 0 ? "" : "##"
                candidate.unicodeScalars.append(contentsOf: scalars[start..<end])
                if let id = vocabulary[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else { return [unknown] }
            ids.append(id)
            start = end
        }
        return ids
    }
}
