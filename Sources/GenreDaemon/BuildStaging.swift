import GenrePostgres
import GenreRecommend
import GenreSupport

/// A build's second stage: the result tables people read besides the lists — popular_items (top 1,000, the
/// fallback of genre.recommend), item_factors (with the collaborative model) and item_neighbors
/// (genre.similar_items) — staged in fresh partitions, published later with the build.
enum BuildStaging {
    struct Staged {
        var popular: ResultWriter.Staged
        var factors: ResultWriter.Staged
        var neighbors: ResultWriter.Staged
    }

    static func stage(_ trained: BuildTraining.Trained, settings: DaemonSettings, on connection: PostgresConnection,
                      phases: ModelBuilder.Phases) throws -> Staged {
        let catalog = trained.data.catalog, shouldStop = phases.shouldStop
        let popular = try phases.timed("write_popular") {
            try ResultWriter.stage(.popularItems, columns: "rank, item_id, score, users, reasons, generation", on: connection) { generation, stream in
                for (position, entry) in trained.popularity.ranked.prefix(1000).enumerated() {
                    stream.encoder.beginRow(fieldCount: 6)
                    stream.encoder.appendInt32(Int32(position + 1))
                    stream.encoder.appendText(catalog.ids[Int(entry.item)])
                    stream.encoder.appendFloat32(entry.score)
                    stream.encoder.appendInt32(Int32(entry.users))
                    stream.encoder.appendJSONB(Reasons.popularJSON(entry))
                    stream.encoder.appendInt64(generation)
                    try stream.flushIfFull()
                }
            }
        }
        let factors = try phases.timed("write_factors") { try CollaborativeStore.stage(trained.collaborative, catalog: catalog, on: connection) }
        let similar = trained.similar
        let neighbors = try phases.timed("write_neighbors") {
            try ResultWriter.stage(.itemNeighbors, columns: "item_id, rank, neighbor_id, score, reasons, generation", on: connection) { generation, stream in
                let chunks = ModelBuilder.chunks(similar.count)
                try orderedPipeline(count: chunks.count, produce: { chunk in
                    var encoder = BinaryCopyEncoder(capacity: 1 << 16, header: false)
                    for item in chunks[chunk] where !shouldStop() {
                        for (position, entry) in similar[item].enumerated() {
                            encoder.beginRow(fieldCount: 6)
                            encoder.appendText(catalog.ids[item])
                            encoder.appendInt32(Int32(position + 1))
                            encoder.appendText(catalog.ids[Int(entry.item)])
                            encoder.appendFloat32(entry.score)
                            encoder.appendJSONB(Reasons.neighborJSON(entry, of: Int32(item), catalog: catalog))
                            encoder.appendInt64(generation)
                        }
                    }
                    return encoder.bytes
                }, consume: { try phases.checkStop(); try stream.send(rows: $0) })
            }
        }
        return Staged(popular: popular, factors: factors, neighbors: neighbors)
    }
}
