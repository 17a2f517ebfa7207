import GenrePostgres
import GenreRecommend

/// Reads genre.items into the dense index space the models use: ids sorted, so every reader of the same
/// catalogue assigns the same indices.
enum CatalogLoader {
    static func load(_ connection: PostgresConnection) throws -> (catalog: ItemCatalog, index: [String: Int32], createdAt: [Double]) {
        var ids: [String] = [], titles: [String?] = [], categories: [String?] = [], index: [String: Int32] = [:]
        var createdAt: [Double] = []
        try connection.forEachBatch("SELECT item_id, title, category, extract(epoch FROM created_at)::float8 FROM genre.items ORDER BY item_id",
                                    context: "read the catalogue") { items in
            for row in 0..<items.rowCount {
                guard let id = items.string(row, 0) else { continue }
                index[id] = Int32(ids.count)
                ids.append(id)
                titles.append(items.string(row, 1))
                categories.append(items.string(row, 2))
                createdAt.append(try items.double(row, 3) ?? 0)
            }
        }
        return (ItemCatalog(ids: ids, titles: titles, categories: categories), index, createdAt)
    }
}
