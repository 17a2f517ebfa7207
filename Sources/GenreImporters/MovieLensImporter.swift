import Foundation
import GenrePostgres
import GenreSupport

/// Loads MovieLens latest-small (movies.csv, ratings.csv, tags.csv) into genre.items and genre.events with
/// binary COPY, the way an application would write its catalogue and behaviour.
///
/// Ratings become events: 4 stars or more → like, 2 or less → dislike, otherwise view; the rating time is
/// occurred_at. Genres and users' tags become item tags; the first genre is the category.
public struct MovieLensImporter {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    public struct Summary: Sendable {
        public var items: Int
        public var events: Int
    }

    public static func eventType(forRating rating: Double) -> String {
        rating >= 4 ? "like" : (rating <= 2 ? "dislike" : "view")
    }

    public func importAll(into connection: PostgresConnection, maxUsers: Int? = nil) throws -> Summary {
        let movies = try rows("movies.csv")
        let tags = (try? rows("tags.csv")) ?? []
        let ratings = try rows("ratings.csv")
        var tagsByMovie: [String: [String]] = [:]
        for row in tags where row.count >= 3 {
            let tag = row[2].lowercased().trimmingCharacters(in: .whitespaces)
            if !tag.isEmpty && !(tagsByMovie[row[1]]?.contains(tag) ?? false) { tagsByMovie[row[1], default: []].append(tag) }
        }
        return try connection.transaction {
            let items = try connection.copyIn(
                "COPY genre.items (item_id, title, description, tags, category, attributes) FROM STDIN (FORMAT binary)") { stream in
                for row in movies where row.count >= 3 {
                    let genres = row[2] == "(no genres listed)" ? [] : row[2].split(separator: "|").map { String($0).lowercased() }
                    let userTags = Array((tagsByMovie[row[0]] ?? []).prefix(20))
                    let year = Self.year(in: row[1])
                    stream.encoder.beginRow(fieldCount: 6)
                    stream.encoder.appendText(row[0])
                    stream.encoder.appendText(row[1])
                    stream.encoder.appendText(genres.isEmpty ? "A film." : "A \(genres.joined(separator: ", ")) film.")
                    stream.encoder.appendTextArray(genres + userTags.filter { !genres.contains($0) })
                    if let first = genres.first { stream.encoder.appendText(first) } else { stream.encoder.appendNull() }
                    stream.encoder.appendJSONB(year.map { "{\"year\":\($0)}" } ?? "{}")
                    try stream.flushIfFull()
                }
            }
            var allowedUsers: Set<String>? = nil
            if let maxUsers {
                var seen: [String] = []
                for row in ratings where row.count >= 4 && !seen.contains(row[0]) && seen.count < maxUsers { seen.append(row[0]) }
                allowedUsers = Set(seen)
            }
            let events = try connection.copyIn(
                "COPY genre.events (user_id, item_id, event_type, occurred_at) FROM STDIN (FORMAT binary)") { stream in
                for row in ratings where row.count >= 4 {
                    guard let rating = Double(row[2]), let seconds = Double(row[3]) else { continue }
                    if let allowedUsers, !allowedUsers.contains(row[0]) { continue }
                    stream.encoder.beginRow(fieldCount: 4)
                    stream.encoder.appendText(row[0])
                    stream.encoder.appendText(row[1])
                    stream.encoder.appendText(Self.eventType(forRating: rating))
                    stream.encoder.appendTimestamp(Date(timeIntervalSince1970: seconds))
                    try stream.flushIfFull()
                }
            }
            return Summary(items: items, events: events)
        }
    }

    /// The data rows of a CSV file (header dropped).
    func rows(_ name: String) throws -> [[String]] {
        let url = directory.appendingPathComponent(name)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: url.path])
        }
        return Array(CSV.parse(text).dropFirst())
    }

    /// "Toy Story (1995)" → 1995.
    static func year(in title: String) -> Int? {
        guard title.hasSuffix(")"), let open = title.lastIndex(of: "(") else { return nil }
        let inside = title[title.index(after: open)..<title.index(before: title.endIndex)]
        return inside.count == 4 ? Int(inside) : nil
    }
}
