import GenrePostgres
import GenreRecommend
import GenreSupport

/// How one user's scored list becomes stored rows: a jsonb array for the real-time path, binary COPY rows
/// for a full refresh. Both produce the same ranks, ids, scores and reasons.
enum RecommendationRows {
    static func jsonArray(_ lists: [(scenario: String, rows: [Recommendation])], catalog: ItemCatalog, phrases: EventPhrases) -> String {
        var out = "["
        // A flag, not `out.count > 1`: String.count walks the whole string (grapheme clusters), which made
        // this quadratic and half of a real-time refresh's time.
        var first = true
        for (scenario, rows) in lists {
            for (position, row) in rows.enumerated() {
                if !first { out += "," }
                first = false
                out += "{\"scenario\":\(JSONText.quote(scenario)),\"rank\":\(position + 1),\"item_id\":\(JSONText.quote(catalog.ids[Int(row.item)])),"
                // The score at full precision, as the binary COPY of a full refresh stores it (reasons are for people).
                out += "\"score\":\(JSONText.exactNumber(row.score)),\"reasons\":\(Reasons.json(for: row, catalog: catalog, phrases: phrases))}"
            }
        }
        return out + "]"
    }

    /// Columns: user_id, scenario, rank, item_id, score, reasons, generation.
    static let copyColumns = "user_id, scenario, rank, item_id, score, reasons, generation"

    static func encode(_ rows: [Recommendation], user: String, scenario: String, generation: Int64, catalog: ItemCatalog,
                       phrases: EventPhrases, into encoder: inout BinaryCopyEncoder) {
        for (position, row) in rows.enumerated() {
            encoder.beginRow(fieldCount: 7)
            encoder.appendText(user)
            encoder.appendText(scenario)
            encoder.appendInt32(Int32(position + 1))
            encoder.appendText(catalog.ids[Int(row.item)])
            encoder.appendFloat32(row.score)
            encoder.appendJSONB(Reasons.json(for: row, catalog: catalog, phrases: phrases))
            encoder.appendInt64(generation)
        }
    }
}
