import Foundation
import GenreSupport

/// Interactions and item text read from files, with ids mapped to dense indices: MovieLens 100K, MovieLens
/// latest-small, or generic CSV (`user_id,item_id[,weight][,timestamp]` and
/// `item_id,title[,description][,tags][,category]`, tags `|`-separated).
///
/// MovieLens ratings all count as one positive interaction of weight 1 (the Microsoft Recommenders
/// protocol: every rating is relevant, whatever its value).
public struct EvaluationDataset: Sendable {
    public var name: String
    public var userIDs: [String] = []
    public var itemIDs: [String] = []
    /// Every interaction, or for `given` splits the train file's (the test file's are in `heldOut`).
    public var ratings: [Rating] = []
    public var heldOut: [Rating] = []
    /// Each item's text as the daemon's default template renders it ("Title. Tags: a, b. Category: c"); nil without text.
    public var itemTexts: [String?] = []

    private var userIndex: [String: Int32] = [:]
    private var itemIndex: [String: Int32] = [:]

    public init(name: String) { self.name = name }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    mutating func user(_ id: String) -> Int32 {
        if let index = userIndex[id] { return index }
        let index = Int32(userIDs.count)
        userIDs.append(id)
        userIndex[id] = index
        return index
    }

    mutating func item(_ id: String) -> Int32 {
        if let index = itemIndex[id] { return index }
        let index = Int32(itemIDs.count)
        itemIDs.append(id)
        itemIndex[id] = index
        itemTexts.append(nil)
        return index
    }

    /// The daemon's default embedding template, {title}[. {description}][. Tags: {tags}][. Category: {category}].
    public static func render(title: String, description: String = "", tags: [String] = [], category: String = "") -> String {
        var text = title
        if !description.isEmpty { text += ". " + description }
        if !tags.isEmpty { text += ". Tags: " + tags.joined(separator: ", ") }
        if !category.isEmpty { text += ". Category: " + category }
        return text
    }

    static func read(_ url: URL, latin1: Bool = false) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw Failure("cannot read \(url.path)") }
        if latin1 { return String(data: data, encoding: .isoLatin1) ?? "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// ml-100k: u.data (user, item, rating, timestamp; tab-separated) and u.item (latin-1, `|`-separated,
    /// title and 19 genre flags named by u.genre).
    public static func movieLens100K(directory: URL) throws -> EvaluationDataset {
        var dataset = EvaluationDataset(name: "ml-100k")
        let genres = try read(directory.appendingPathComponent("u.genre")).split(separator: "\n")
            .compactMap { line -> (Int, String)? in
                let parts = line.split(separator: "|")
                guard parts.count == 2, let index = Int(parts[1]) else { return nil }
                return (index, String(parts[0]))
            }
        let genreName = Dictionary(uniqueKeysWithValues: genres)
        for line in try read(directory.appendingPathComponent("u.item"), latin1: true).split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 24 else { continue }
            let item = dataset.item(fields[0])
            let flags = fields[5...].enumerated().filter { $0.element == "1" }.compactMap { genreName[$0.offset] }
                .filter { $0 != "unknown" }
            dataset.itemTexts[Int(item)] = render(title: fields[1], tags: flags)
        }
        for (order, line) in try read(directory.appendingPathComponent("u.data")).split(separator: "\n").enumerated() {
            let fields = line.split(separator: "\t")
            guard fields.count >= 4, let time = Double(fields[3]) else { throw Failure("u.data line \(order + 1) is not user, item, rating, timestamp") }
            dataset.ratings.append(Rating(user: dataset.user(String(fields[0])), item: dataset.item(String(fields[1])),
                                          weight: 1, time: time, order: order))
        }
        return dataset
    }

    /// ml-latest-small: ratings.csv, movies.csv (title, `|`-separated genres) and tags.csv (users' free tags).
    public static func movieLensLatestSmall(directory: URL) throws -> EvaluationDataset {
        var dataset = EvaluationDataset(name: "ml-latest-small")
        var tags: [String: [String]] = [:]
        for row in CSV.parse(try read(directory.appendingPathComponent("tags.csv"))).dropFirst() where row.count >= 3 {
            let tag = row[2].trimmingCharacters(in: .whitespaces)
            if !tag.isEmpty && !(tags[row[1]]?.contains(tag) ?? false) { tags[row[1], default: []].append(tag) }
        }
        for row in CSV.parse(try read(directory.appendingPathComponent("movies.csv"))).dropFirst() where row.count >= 3 {
            let item = dataset.item(row[0])
            let genres = row[2] == "(no genres listed)" ? [] : row[2].split(separator: "|").map(String.init)
            dataset.itemTexts[Int(item)] = render(title: row[1], tags: genres + (tags[row[0]] ?? []).prefix(10))
        }
        for (order, row) in CSV.parse(try read(directory.appendingPathComponent("ratings.csv"))).dropFirst().enumerated() {
            guard row.count >= 4, let time = Double(row[3]) else { throw Failure("ratings.csv row \(order + 2) is not userId,movieId,rating,timestamp") }
            dataset.ratings.append(Rating(user: dataset.user(row[0]), item: dataset.item(row[1]), weight: 1, time: time, order: order))
        }
        return dataset
    }

    /// Generic files. With `heldOutFile`, its rows go to `heldOut` (a split made by someone else).
    public static func csv(interactions: URL, heldOutFile: URL? = nil, items: URL? = nil) throws -> EvaluationDataset {
        var dataset = EvaluationDataset(name: interactions.deletingPathExtension().lastPathComponent)
        if let items {
            let rows = CSV.parse(try read(items))
            guard let header = rows.first, header.first == "item_id", header.count >= 2, header[1] == "title" else {
                throw Failure("\(items.path): the header must start item_id,title (then optional description, tags, category)")
            }
            let column = Dictionary(header.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
            for row in rows.dropFirst() where row.count == header.count {
                func field(_ name: String) -> String { column[name].map { row[$0] } ?? "" }
                let item = dataset.item(row[0])
                dataset.itemTexts[Int(item)] = render(title: field("title"), description: field("description"),
                                                      tags: field("tags").split(separator: "|").map(String.init), category: field("category"))
            }
        }
        dataset.ratings = try dataset.readInteractions(interactions, orderOffset: 0)
        if let heldOutFile { dataset.heldOut = try dataset.readInteractions(heldOutFile, orderOffset: dataset.ratings.count) }
        return dataset
    }

    mutating func readInteractions(_ url: URL, orderOffset: Int) throws -> [Rating] {
        let rows = CSV.parse(try Self.read(url))
        guard let header = rows.first, header.count >= 2, header[0] == "user_id", header[1] == "item_id" else {
            throw Failure("\(url.path): the header must start user_id,item_id (then optional weight, timestamp)")
        }
        let weightColumn = header.firstIndex(of: "weight"), timeColumn = header.firstIndex(of: "timestamp")
        var out: [Rating] = []
        for (number, row) in rows.dropFirst().enumerated() {
            guard row.count == header.count, !row[0].isEmpty, !row[1].isEmpty else {
                throw Failure("\(url.path) line \(number + 2): expected \(header.count) fields with a user and an item")
            }
            var weight: Float = 1
            if let weightColumn {
                guard let w = Float(row[weightColumn]), w.isFinite else { throw Failure("\(url.path) line \(number + 2): weight \(row[weightColumn]) is not a number") }
                weight = w
            }
            var time: Double?
            if let timeColumn, !row[timeColumn].isEmpty {
                guard let t = Double(row[timeColumn]) ?? ISO8601DateFormatter().date(from: row[timeColumn])?.timeIntervalSince1970 else {
                    throw Failure("\(url.path) line \(number + 2): timestamp \(row[timeColumn]) is neither seconds nor ISO 8601")
                }
                time = t
            }
            out.append(Rating(user: user(row[0]), item: item(row[1]), weight: weight, time: time, order: orderOffset + number))
        }
        return out
    }
}
