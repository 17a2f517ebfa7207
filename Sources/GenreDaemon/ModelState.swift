import GenreRecommend
import GenreSupport

/// Everything a daemon serves from that a build computes, besides item factors (genre.item_factors, real[]
/// at full precision) and item vectors (genre.item_embeddings): the build's catalogue (its item order is
/// the models' index space), co-occurrence neighbours, the whole popularity ranking and the item-item
/// weights of EASE. Stored per build in genre.model_state, in the transaction that records the build,
/// every float bit for bit; the trainer and every replica build their real-time snapshot from it alone,
/// so they serve the same model. The `reasons` JSON of the result tables is for people only.
struct ModelState: Equatable {
    var itemIDs: [String]
    var categories: [String?]
    var createdAt: [Double]
    var cooccurrence: [[CooccurrenceModel.Neighbor]]
    var popularity: [PopularityModel.Entry]
    /// EASE's strongest weights per item (the collaborative model or an ensemble member), else empty.
    var itemWeights: [[ItemNeighbor]]
    /// The genre.item_factors generation this build published (nil: no factor model), so a loader can
    /// tell factors of another build from its own.
    var factorsGeneration: Int64?

    /// The stored parts: (name, bytes).
    func encoded() -> [(part: String, data: [UInt8])] {
        var catalog = BinaryWriter()
        catalog.write(Int32(itemIDs.count))
        for index in itemIDs.indices {
            catalog.write(itemIDs[index])
            catalog.write(categories[index])
            catalog.write(createdAt[index])
        }
        var neighbors = BinaryWriter()
        Self.write(cooccurrence, to: &neighbors) { writer, n in
            writer.write(n.item)
            writer.write(n.score)
            writer.write(n.commonUsers)
        }
        var ranked = BinaryWriter()
        ranked.write(Int32(popularity.count))
        for entry in popularity {
            ranked.write(entry.item)
            ranked.write(entry.score)
            ranked.write(Int64(entry.users))
        }
        var weights = BinaryWriter()
        Self.write(itemWeights, to: &weights) { writer, n in
            writer.write(n.item)
            writer.write(n.score)
        }
        var factors = BinaryWriter()
        factors.write(factorsGeneration ?? -1)
        return [("catalog", catalog.bytes), ("cooccurrence", neighbors.bytes), ("popularity", ranked.bytes),
                ("item_weights", weights.bytes), ("factors_generation", factors.bytes)]
    }

    init(itemIDs: [String], categories: [String?], createdAt: [Double], cooccurrence: [[CooccurrenceModel.Neighbor]],
         popularity: [PopularityModel.Entry], itemWeights: [[ItemNeighbor]], factorsGeneration: Int64?) {
        self.itemIDs = itemIDs
        self.categories = categories
        self.createdAt = createdAt
        self.cooccurrence = cooccurrence
        self.popularity = popularity
        self.itemWeights = itemWeights
        self.factorsGeneration = factorsGeneration
    }

    /// Decodes the stored parts; a missing or malformed part is an error naming it.
    init(parts: [String: [UInt8]]) throws {
        func part(_ name: String) throws -> BinaryReader {
            guard let bytes = parts[name] else { throw BinaryReader.Malformed(description: "model state part \(name) is missing") }
            return BinaryReader(bytes)
        }
        var catalog = try part("catalog")
        let count = try catalog.readCount(minimumSize: 16)
        itemIDs = []
        categories = []
        createdAt = []
        for _ in 0..<count {
            guard let id = try catalog.readString() else { throw BinaryReader.Malformed(description: "model state catalog has a NULL item id") }
            itemIDs.append(id)
            categories.append(try catalog.readString())
            createdAt.append(try catalog.readDouble())
        }
        let items = Int32(count)
        func item(_ reader: inout BinaryReader) throws -> Int32 {
            let value = try reader.read(Int32.self)
            guard (0..<items).contains(value) else { throw BinaryReader.Malformed(description: "item index \(value) outside the catalogue of \(items)") }
            return value
        }
        var neighbors = try part("cooccurrence")
        cooccurrence = try Self.read(&neighbors, rows: count, elementSize: 12) { reader in
            CooccurrenceModel.Neighbor(item: try item(&reader), score: try reader.readFloat(), commonUsers: try reader.read(Int32.self))
        }
        var ranked = try part("popularity")
        popularity = try (0..<ranked.readCount(minimumSize: 16)).map { _ in
            PopularityModel.Entry(item: try item(&ranked), score: try ranked.readFloat(), users: Int(try ranked.read(Int64.self)))
        }
        var weights = try part("item_weights")
        itemWeights = try Self.read(&weights, rows: nil, elementSize: 8) { reader in
            ItemNeighbor(item: try item(&reader), score: try reader.readFloat())
        }
        var factors = try part("factors_generation")
        let generation = try factors.read(Int64.self)
        factorsGeneration = generation < 0 ? nil : generation
    }

    /// Rows of variable length: row count, then per row its length and elements.
    static func write<T>(_ rows: [[T]], to writer: inout BinaryWriter, element: (inout BinaryWriter, T) -> Void) {
        writer.write(Int32(rows.count))
        for row in rows {
            writer.write(Int32(row.count))
            for value in row { element(&writer, value) }
        }
    }

    static func read<T>(_ reader: inout BinaryReader, rows expected: Int?, elementSize: Int,
                        element: (inout BinaryReader) throws -> T) throws -> [[T]] {
        let count = try reader.readCount(minimumSize: 4)
        if let expected, count != expected {
            throw BinaryReader.Malformed(description: "\(count) rows where the catalogue has \(expected) items")
        }
        return try (0..<count).map { _ in try (0..<reader.readCount(minimumSize: elementSize)).map { _ in try element(&reader) } }
    }
}
