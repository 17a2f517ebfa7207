import ArgumentParser
import Foundation
import GenreEmbedding
import GenreLLM
import GenreRecommend
import GenreSupport

/// One `genre generate` run: asks for every (id, input text) not yet in the output file, `concurrency` at a
/// time, answering from the disk cache what was asked before, and appends one JSON line per answer as it
/// arrives (so a stopped run loses nothing and the next one resumes). Failures are reported and left out:
/// running again retries them.
struct GenerationRun {
    let provider: Generate.ProviderOptions
    let idField: String
    let promptHash: String

    func run(_ work: [(id: String, text: String)], ask: @escaping @Sendable (ProviderClient, String) throws -> JSONValue) throws {
        let client = try provider.client()
        let done = try GeneratedFile.read(provider.output, idField: idField, missingIsEmpty: true)
        var pending = work.filter { done[$0.id] == nil }
        if let limit = provider.limit { pending = Array(pending.prefix(max(0, limit))) }
        FileHandle.standardError.write(Data("\(work.count) to generate, \(done.count) already in \(provider.output), \(pending.count) in this run\n".utf8))
        try FileManager.default.createDirectory(atPath: provider.cacheDir, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: provider.output) { FileManager.default.createFile(atPath: provider.output, contents: nil) }
        guard let out = FileHandle(forWritingAtPath: provider.output) else { throw ValidationError("cannot write \(provider.output)") }
        out.seekToEndOfFile()

        final class Tally: @unchecked Sendable {
            let lock = NSLock()
            var written = 0, cached = 0, failed = 0
        }
        let tally = Tally()
        let started = Date()
        let slots = DispatchSemaphore(value: max(1, provider.concurrency))
        let group = DispatchGroup()
        let cacheKeyPrefix = "\(provider.providerUrl)\n\(provider.model)\n\(promptHash)\n"
        let cacheDir = provider.cacheDir
        let idField = idField
        let total = pending.count
        for item in pending {
            slots.wait()
            DispatchQueue.global().async(group: group) {
                defer { slots.signal() }
                let cacheFile = cacheDir + "/" + SHA256.hex(of: Array((cacheKeyPrefix + item.text).utf8)) + ".json"
                var answer = (try? String(contentsOfFile: cacheFile, encoding: .utf8)).flatMap(JSONValue.strict)
                let fromCache = answer != nil
                if answer == nil {
                    do {
                        answer = try ask(client, item.text)
                        try? Data(answer!.json.utf8).write(to: URL(fileURLWithPath: cacheFile), options: .atomic)
                    } catch {
                        FileHandle.standardError.write(Data("\(item.id): \(error)\n".utf8))
                        tally.lock.withLock { tally.failed += 1 }
                        return
                    }
                }
                guard case .object(var fields)? = answer else { return }
                fields[idField] = .string(item.id)
                tally.lock.withLock {
                    out.write(Data((JSONValue.object(fields).json + "\n").utf8))
                    tally.written += 1
                    if fromCache { tally.cached += 1 }
                    if tally.written % 10 == 0 {
                        FileHandle.standardError.write(Data("\(tally.written)/\(total) written\n".utf8))
                    }
                }
            }
        }
        group.wait()
        out.closeFile()
        let seconds = Date().timeIntervalSince(started)
        print(String(format: "%d written (%d from the cache), %d failed, in %.1f s", tally.written, tally.cached, tally.failed, seconds))
        if tally.failed > 0 { throw ExitCode(3) }
    }
}

/// A JSONL file of generated rows, by id.
enum GeneratedFile {
    static func read(_ path: String, idField: String, missingIsEmpty: Bool = false) throws -> [String: [String: JSONValue]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            if missingIsEmpty && !FileManager.default.fileExists(atPath: path) { return [:] }
            throw ValidationError("cannot read \(path)")
        }
        var rows: [String: [String: JSONValue]] = [:]
        for (number, line) in text.split(separator: "\n").enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard case .object(let fields)? = JSONValue.strict(String(line)), let id = fields[idField]?.string else {
                throw ValidationError("\(path) line \(number + 1) is not a JSON object with \"\(idField)\"")
            }
            rows[id] = fields
        }
        return rows
    }

    /// A field as template text: a list joined with ", ", a sentence without its full stop (as {llm.<field>}).
    static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s)?:
            let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ".")))
            return trimmed.isEmpty ? nil : trimmed
        case .array(let items)?:
            let joined = items.compactMap(\.string).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: ", ")
            return joined.isEmpty ? nil : joined
        default: return nil
        }
    }
}

/// The train part of a split as profile histories: per user, newest first, each item's text (title and
/// tags) with its generated topics when a features file is given.
enum OfflineHistory {
    static func events(_ train: [Rating], dataset: EvaluationDataset, features: [String: [String: JSONValue]]) -> [Int32: [UserProfiling.Event]] {
        var byUser: [Int32: [Rating]] = [:]
        for rating in train { byUser[rating.user, default: []].append(rating) }
        return byUser.mapValues { ratings in
            ratings.sorted { ($0.time ?? Double($0.order), $0.order) > ($1.time ?? Double($1.order), $1.order) }.map { rating in
                let item = Int(rating.item)
                return UserProfiling.Event(type: "watched", title: dataset.itemTexts[item] ?? dataset.itemIDs[item],
                                           topics: GeneratedFile.text(features[dataset.itemIDs[item]]?["topics"]))
            }
        }
    }
}

/// What `genre eval` takes from generated files, used as the daemon uses the tables.
enum GeneratedText {
    /// Each item's text followed by ". <summary>. Topics: <topics>" where the file has them (the default
    /// embedding template's `[. {llm.summary}][. Topics: {llm.topics}]`).
    static func addFeatures(from path: String, to dataset: inout EvaluationDataset) throws {
        let features = try GeneratedFile.read(path, idField: "item_id")
        var matched = 0
        for (index, id) in dataset.itemIDs.enumerated() {
            guard let fields = features[id], let text = dataset.itemTexts[index] else { continue }
            var parts = [text]
            if let summary = GeneratedFile.text(fields["summary"]) { parts.append(summary) }
            if let topics = GeneratedFile.text(fields["topics"]) { parts.append("Topics: " + topics) }
            dataset.itemTexts[index] = parts.joined(separator: ". ")
            matched += 1
        }
        FileHandle.standardError.write(Data("item features for \(matched) of \(dataset.itemIDs.count) items\n".utf8))
    }

    /// Each profile's interests embedded by the in-process model, by user index.
    static func profileInterests(from path: String, dataset: EvaluationDataset) throws -> [Int: [UserInterest.TextEvent]] {
        let rows = try GeneratedFile.read(path, idField: "user_id")
        let userIndex = Dictionary(dataset.userIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var interests: [(user: Int, text: String)] = []
        for (id, fields) in rows {
            guard let user = userIndex[id] else { continue }
            for interest in fields["interests"]?.array?.compactMap(\.string) ?? [] where !interest.trimmingCharacters(in: .whitespaces).isEmpty {
                interests.append((user, interest))
            }
        }
        let embedder = try SentenceEmbedder.pinned()
        let vectors = embedder.embed(interests.map(\.text))
        var out: [Int: [UserInterest.TextEvent]] = [:]
        for (interest, vector) in zip(interests, vectors) {
            out[interest.user, default: []].append(.profileInterest(interest.text, vector: vector))
        }
        FileHandle.standardError.write(Data("profiles for \(out.count) users (\(interests.count) interests)\n".utf8))
        return out
    }
}
