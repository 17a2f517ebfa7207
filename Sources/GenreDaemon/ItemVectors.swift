import Foundation
import GenrePostgres

/// Item embeddings read into the model's index space: row i is item i's vector, zero where it has none.
struct ItemVectors {
    var values: [Float]
    var present: [Bool]
    var dims: Int

    static func load(_ connection: PostgresConnection, itemIndex: [String: Int32]) throws -> ItemVectors {
        let rows = try connection.query("SELECT item_id, dims, embedding::text FROM genre.item_embeddings WHERE embedding IS NOT NULL")
        let dims = rows.rowCount > 0 ? (try rows.int(0, 1) ?? 0) : 0
        var vectors = ItemVectors(values: [Float](repeating: 0, count: itemIndex.count * dims),
                                  present: [Bool](repeating: false, count: itemIndex.count), dims: dims)
        for row in 0..<rows.rowCount {
            guard let id = rows.string(row, 0), let item = itemIndex[id], try rows.int(row, 1) == dims else { continue }
            var column = 0
            // "{0.1,-0.2,...}": parse in place rather than through JSON.
            let parsed = rows.withCString(row, 2) { pointer -> Bool in
                var cursor = pointer + 1
                while cursor.pointee != 0 && column < dims {
                    var end: UnsafeMutablePointer<CChar>?
                    let value = strtof(cursor, &end)
                    guard let end, end != UnsafeMutablePointer(mutating: cursor) else { return false }
                    vectors.values[Int(item) * dims + column] = value
                    column += 1
                    cursor = UnsafePointer(end) + 1
                }
                return column == dims
            } ?? false
            vectors.present[Int(item)] = parsed
        }
        return vectors
    }
}
