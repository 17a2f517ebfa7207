import ArgumentParser
import Foundation
import GenreEmbedding
import GenreRecommend
import GenreSettings
import GenreSupport

/// `genre eval`: offline evaluation on a dataset file, no database.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate models offline on a dataset (no database): split, train, recommend, measure.",
        discussion: """
            Examples:
              genre eval --dataset ml-100k --data-dir ../shared/data/ml-100k --protocol ms-recommenders --model ease --model als
              genre eval --interactions events.csv --items items.csv --protocol leave-last-out --model hybrid --set blend.weights='{"collaborative":1,"content":0.5}'
            --json writes an object (one model) or an array (several); --predictions writes user_id,rank,item_id,score.
            """)

    @OptionGroup var data: DatasetOptions
    @Flag(help: "Evaluate on a validation split carved from train by the same protocol (for tuning; the test part is never read).")
    var validation = false
    @Option(name: .customLong("model"), help: "Model to evaluate, repeatable: \(Evaluator.models.joined(separator: ", ")).")
    var models: [String] = ["hybrid"]
    @Option(name: .customLong("set"), help: "A setting as key=value (the SQL setting keys), repeatable.") var settings: [String] = []
    @Option(help: "List length.") var k = 10
    @Option(help: "Users with at most this many train interactions are also reported apart.") var coldMax = 5
    @Option(help: "Write the results as JSON.") var json: String?
    @Option(help: "Write every evaluated user's list as CSV.") var predictions: String?
    @Flag(help: "Skip embedding item text (no content model, no diversity metric).") var noText = false
    @Option(help: "Write an HTML page with SVG charts (metrics by model, nDCG by k, seconds) into this folder.") var report: String?
    @Option(help: "Item features JSONL (genre generate items): each item's text gets its summary and topics, as the default embedding template adds {llm.summary} and {llm.topics}.")
    var itemFeatures: String?
    @Option(help: "User profiles JSONL (genre generate profiles): each interest is embedded and joins the user's interest vector with interest.profile_weight.")
    var userProfiles: String?

    func run() throws {
        let recommender = try recommenderSettings(settings)
        for model in models where !Evaluator.models.contains(model) {
            throw ValidationError("unknown model \"\(model)\"; choose from \(Evaluator.models.joined(separator: ", "))")
        }
        var dataset = try data.load()
        if let itemFeatures { try GeneratedText.addFeatures(from: itemFeatures, to: &dataset) }
        var split = try data.split(dataset)
        if validation { split = Split.make(split.train, protocol: try data.validationProtocol()) }
        let vectors = try embedItems(dataset, needsText: models.contains("content") || models.contains("hybrid"), noText: noText)
        let profiles = try userProfiles.map { try GeneratedText.profileInterests(from: $0, dataset: dataset) } ?? [:]
        let trainCounts = Dictionary(grouping: split.train, by: \.user).mapValues(\.count)
        var results: [String] = []
        var table: [[String]] = []
        var groupTable: [[String]] = []
        var finished: [Evaluator.Result] = []
        var curves: [SVGChart.Series] = []
        let listLength = report == nil ? k : max(k, 20)
        let catalogueSize = Set(split.train.map(\.item)).count
        for model in models {
            var evaluator = Evaluator(itemCount: dataset.itemIDs.count, settings: recommender, vectors: vectors)
            evaluator.profiles = profiles
            let progress = ProgressLine(label: model)
            var result: Evaluator.Result
            do {
                result = try evaluator.run(model: model, split: split, k: listLength, progress: progress.update)
            } catch {
                progress.finish()
                throw ValidationError("\(model): \(error)")
            }
            progress.finish()
            let relevant = split.relevant
            if report != nil {
                // nDCG at every cut-off from the same lists, then the metrics at k for the table.
                curves.append(SVGChart.Series(name: model, values: (1...listLength).map { cut in
                    RankingMetrics.mean(lists: result.lists.mapValues { $0.prefix(cut).map(\.item) }, relevant: relevant, k: cut).ndcg
                }))
                evaluator.measure(&result, relevant: relevant, k: k, catalogueSize: catalogueSize)
            }
            finished.append(result)
            let cold = relevant.filter { (trainCounts[Int32($0.key)] ?? 0) <= coldMax }
            let coldMetrics = RankingMetrics.mean(lists: result.lists.mapValues { $0.map(\.item) }, relevant: cold, k: k)
            let groups = HistoryGroup.all.map { group in
                (group, RankingMetrics.mean(lists: result.lists.mapValues { $0.map(\.item) },
                                            relevant: relevant.filter { group.contains(trainCounts[Int32($0.key)] ?? 0) }, k: k))
            }
            results.append(jsonObject(result, data: dataset, cold: coldMetrics, groups: groups))
            table.append(row(result))
            groupTable.append([model] + groups.map { "\(f($0.1.ndcg)) (\($0.1.users))" })
            if let predictions { try writePredictions(result, data: dataset, to: models.count == 1 ? predictions : suffixed(predictions, model)) }
        }
        printTable(table, data: dataset, split: split)
        print("\nnDCG@\(k) by the user's training interactions (users in the group):")
        printColumns([["model"] + HistoryGroup.all.map(\.name)] + groupTable)
        if let report { try writeReport(to: report, results: finished, curves: curves, table: table, data: dataset, split: split) }
        if let json {
            let text = results.count == 1 ? results[0] : "[" + results.joined(separator: ",\n") + "]"
            try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: json))
        }
    }

    func jsonObject(_ r: Evaluator.Result, data: EvaluationDataset, cold: RankingMetrics, groups: [(HistoryGroup, RankingMetrics)]) -> String {
        func n(_ x: Double?) -> String { x.map { JSONText.number($0) } ?? "null" }
        func metrics(_ m: RankingMetrics) -> String {
            "{\"map\":\(n(m.map)),\"ndcg\":\(n(m.ndcg)),\"precision\":\(n(m.precision)),\"recall\":\(n(m.recall)),"
                + "\"hit_rate\":\(n(m.hitRate)),\"mrr\":\(n(m.mrr))"
        }
        return "{\"dataset\":\(JSONText.quote(data.name)),\"protocol\":\(JSONText.quote(self.data.protocol + (validation ? "+validation" : ""))),"
            + "\"model\":\(JSONText.quote(r.model)),\"k\":\(r.k),\"users\":\(r.metrics.users),"
            + "\"metrics\":\(metrics(r.metrics)),\"coverage\":\(n(r.coverage)),\"diversity\":\(n(r.diversity))},"
            + "\"cold_users\":{\"max_train_interactions\":\(coldMax),\"users\":\(cold.users),\"metrics\":\(metrics(cold))}},"
            + "\"groups\":{" + groups.map { "\(JSONText.quote($0.0.name)):{\"users\":\($0.1.users),\"metrics\":\(metrics($0.1))}}" }.joined(separator: ",") + "},"
            + "\"train_seconds\":\(n(r.trainSeconds)),\"recommend_seconds\":\(n(r.recommendSeconds)),"
            + "\"settings\":{\(settingsJSON)}}"
    }

    var settingsJSON: String {
        settings.map { assignment -> String in
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            return JSONText.quote(parts[0]) + ":" + JSONText.quote(parts.count > 1 ? parts[1] : "")
        }.joined(separator: ",")
    }

    func row(_ r: Evaluator.Result) -> [String] {
        let m = r.metrics
        return [r.model, f(m.map), f(m.ndcg), f(m.precision), f(m.recall), f(m.hitRate), f(m.mrr), f(r.coverage),
                r.diversity.map(f) ?? "-", String(format: "%.2f", r.trainSeconds), String(format: "%.2f", r.recommendSeconds)]
    }

    func f(_ x: Double) -> String { String(format: "%.4f", x) }

    func printTable(_ rows: [[String]], data: EvaluationDataset, split: Split) {
        print("\(data.name), \(self.data.protocol)\(validation ? " (validation split of train)" : ""): \(split.train.count) train, \(split.test.count) test interactions, k = \(k)")
        printColumns([["model", "MAP", "nDCG@\(k)", "P@\(k)", "R@\(k)", "hit", "MRR", "coverage", "ILD", "train s", "rec s"]] + rows)
    }

    /// Rows of cells, the first column left-aligned and the others right-aligned.
    func printColumns(_ lines: [[String]]) {
        let widths = (lines.first ?? []).indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        for line in lines {
            print(line.enumerated().map { $0.offset == 0 ? $0.element.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[$0.offset] - $0.element.count) + $0.element }.joined(separator: "  "))
        }
    }

    func writeReport(to folder: String, results: [Evaluator.Result], curves: [SVGChart.Series], table: [[String]],
                     data: EvaluationDataset, split: Split) throws {
        let names = results.map(\.model)
        let quality = SVGChart.bars(title: "Quality at k = \(k)", categories: names, series: [
            .init(name: "nDCG@\(k)", values: results.map(\.metrics.ndcg)), .init(name: "P@\(k)", values: results.map(\.metrics.precision)),
            .init(name: "R@\(k)", values: results.map(\.metrics.recall)), .init(name: "MAP", values: results.map(\.metrics.map)),
        ], yLabel: "metric")
        let byK = SVGChart.lines(title: "nDCG by list length", x: (1...max(curves.first?.values.count ?? 1, 1)).map(Double.init),
                                 series: curves, xLabel: "k", yLabel: "nDCG@k")
        let speed = SVGChart.bars(title: "Seconds", categories: names, series: [
            .init(name: "train", values: results.map(\.trainSeconds)), .init(name: "recommend", values: results.map(\.recommendSeconds)),
        ], yLabel: "seconds")
        let fastest = results.map { $0.trainSeconds + $0.recommendSeconds }.min() ?? 1
        let ratios = SVGChart.bars(title: "Time relative to the fastest model", categories: names, series: [
            .init(name: "train + recommend", values: results.map { ($0.trainSeconds + $0.recommendSeconds) / max(fastest, 1e-9) }),
        ], yLabel: "× fastest")
        let header = ["model", "MAP", "nDCG@\(k)", "P@\(k)", "R@\(k)", "hit", "MRR", "coverage", "ILD", "train s", "rec s"]
        let html = "<table><tr>" + header.map { "<th>\(SVGChart.escape($0))</th>" }.joined() + "</tr>"
            + table.map { "<tr>" + $0.map { "<td>\(SVGChart.escape($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
        let intro = "\(data.name), protocol \(self.data.protocol)\(validation ? " (validation split of train)" : ""): \(split.train.count) train and "
            + "\(split.test.count) test interactions. Command: genre \(CommandLine.arguments.dropFirst().joined(separator: " "))"
        let page = SVGChart.page(title: "genre eval: \(data.name)", intro: intro, sections: [
            ("Results", html), ("Quality by model", quality), ("Quality versus k", byK), ("Speed", speed + ratios),
        ])
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(page.utf8).write(to: URL(fileURLWithPath: folder).appendingPathComponent("index.html"))
        print("report: \(folder)/index.html")
    }

    func writePredictions(_ r: Evaluator.Result, data: EvaluationDataset, to path: String) throws {
        var out = "user_id,rank,item_id,score\n"
        for user in r.lists.keys.sorted() {
            for (rank, entry) in r.lists[user]!.prefix(k).enumerated() {
                out += "\(CSV.field(data.userIDs[user])),\(rank + 1),\(CSV.field(data.itemIDs[Int(entry.item)])),\(entry.score)\n"
            }
        }
        try Data(out.utf8).write(to: URL(fileURLWithPath: path))
    }

    func suffixed(_ path: String, _ model: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingPathExtension().path + "-\(model)." + (url.pathExtension.isEmpty ? "csv" : url.pathExtension)
    }
}

/// A one-line progress bar on standard error, drawn only when it is a terminal.
final class ProgressLine: @unchecked Sendable {
    let label: String
    let enabled = isatty(2) != 0
    init(label: String) { self.label = label }
    func update(_ phase: String, _ fraction: Double) {
        guard enabled else { return }
        let width = 30, filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) \(phase.padding(toLength: 9, withPad: " ", startingAt: 0)) [\(bar)] \(Int(fraction * 100))%".utf8))
    }
    func finish() { if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
}

/// Where evaluation data comes from and how it is split: shared by `genre eval` and `genre tune`.
struct DatasetOptions: ParsableArguments {
    @Option(help: "ml-100k or ml-latest-small (with --data-dir).") var dataset: String?
    @Option(help: "Folder of the dataset's files.") var dataDir: String?
    @Option(help: "Generic interactions CSV: user_id,item_id[,weight][,timestamp].") var interactions: String?
    @Option(help: "Generic items CSV: item_id,title[,description][,tags][,category]; tags |-separated.") var items: String?
    @Option(name: .customLong("protocol"), help: "ms-recommenders, leave-last-out, temporal or given.") var `protocol` = "ms-recommenders"
    @Option(help: "For --protocol temporal: the newest fraction of interactions held out.") var testFraction = 0.2
    @Option(help: "For --protocol ms-recommenders: the shuffle's seed (42 is the protocol's; others measure split noise).")
    var splitSeed: UInt64 = 42
    @Option(help: "For --validation (and genre tune) with ms-recommenders: the fraction of train held out as validation.")
    var validationFraction = 0.25
    @Option(help: "For --protocol given: the train file (same header as --interactions).") var train: String?
    @Option(help: "For --protocol given: the test file.") var test: String?

    func load() throws -> EvaluationDataset {
        do {
            if let dataset {
                guard let dataDir else { throw ValidationError("--dataset needs --data-dir") }
                let url = URL(fileURLWithPath: dataDir)
                switch dataset {
                case "ml-100k": return try .movieLens100K(directory: url)
                case "ml-latest-small": return try .movieLensLatestSmall(directory: url)
                default: throw ValidationError("unknown dataset \(dataset); use ml-100k, ml-latest-small or --interactions FILE")
                }
            }
            if `protocol` == "given" {
                guard let train, let test else { throw ValidationError("--protocol given needs --train FILE and --test FILE") }
                return try .csv(interactions: URL(fileURLWithPath: train), heldOutFile: URL(fileURLWithPath: test), items: items.map(URL.init(fileURLWithPath:)))
            }
            guard let interactions else { throw ValidationError("give --dataset with --data-dir, or --interactions FILE") }
            return try .csv(interactions: URL(fileURLWithPath: interactions), items: items.map(URL.init(fileURLWithPath:)))
        } catch let failure as EvaluationDataset.Failure {
            throw ValidationError(failure.description)
        }
    }

    func splitProtocol() throws -> SplitProtocol {
        switch `protocol` {
        case "ms-recommenders": return .msRecommenders(seed: splitSeed)
        case "leave-last-out": return .leaveLastOut
        case "temporal":
            guard testFraction > 0 && testFraction < 1 else { throw ValidationError("--test-fraction must be between 0 and 1") }
            return .temporal(testFraction: testFraction)
        case "given": return .leaveLastOut  // only used to carve a validation part out of train, per user
        default: throw ValidationError("unknown protocol \(`protocol`); use ms-recommenders, leave-last-out, temporal or given")
        }
    }

    /// How a validation part is carved from train: the same protocol, holding out `validationFraction`
    /// for ms-recommenders (a small part keeps the validation train close to the real train's density,
    /// so settings tuned on it transfer).
    func validationProtocol() throws -> SplitProtocol {
        if case .msRecommenders = try splitProtocol() { return .msRecommenders(ratio: 1 - validationFraction, seed: splitSeed) }
        return try splitProtocol()
    }

    func split(_ data: EvaluationDataset) throws -> Split {
        if `protocol` == "given" { return Split(train: data.ratings, test: data.heldOut) }
        return Split.make(data.ratings, protocol: try splitProtocol())
    }
}

/// Item vectors from the in-process model, when the data has text and a model is installed.
func embedItems(_ data: EvaluationDataset, needsText: Bool, noText: Bool) throws -> ItemVectorTable? {
    guard !noText, data.itemTexts.contains(where: { $0 != nil }) else {
        if needsText && !noText { throw ValidationError("models content and hybrid need item text: give --items, or a MovieLens dataset") }
        return nil
    }
    let embedder: SentenceEmbedder
    do {
        embedder = try SentenceEmbedder.pinned()
    } catch let error as EmbeddingError {
        if needsText { throw ValidationError("\(error.message) (run `genre model fetch`, or pass --no-text)") }
        return nil
    }
    let start = Date()
    let present = data.itemTexts.map { $0 != nil }
    let vectors = embedder.embed(data.itemTexts.compactMap { $0 })
    var values = [Float](repeating: 0, count: present.count * 384)
    var next = 0
    for (item, has) in present.enumerated() where has {
        values.replaceSubrange(item * 384..<(item + 1) * 384, with: vectors[next])
        next += 1
    }
    FileHandle.standardError.write(Data(String(format: "embedded %d item texts in %.1f s\n", vectors.count, Date().timeIntervalSince(start)).utf8))
    return ItemVectorTable(values: values, present: present, dims: 384)
}

/// The default model settings with `--set key=value` assignments applied (the SQL setting keys).
func recommenderSettings(_ assignments: [String]) throws -> RecommenderSettings {
    var settings = RecommenderSettings()
    for assignment in assignments {
        guard let equals = assignment.firstIndex(of: "=") else { throw ValidationError("--set takes key=value, got \(assignment)") }
        do {
            try settings.apply(key: String(assignment[..<equals]), json: String(assignment[assignment.index(after: equals)...]))
        } catch let error as SettingError {
            throw ValidationError(error.description)
        }
    }
    return settings
}

/// Users grouped by how many training interactions they have: the blend has to serve a short history as well
/// as a long one (issue 13's quality section reports each group apart).
struct HistoryGroup {
    let name: String
    let range: ClosedRange<Int>
    static let all = [HistoryGroup(name: "≤5", range: 0...5), HistoryGroup(name: "6–20", range: 6...20),
                      HistoryGroup(name: ">20", range: 21...Int.max)]
    func contains(_ count: Int) -> Bool { range.contains(count) }
}
