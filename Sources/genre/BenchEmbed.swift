import ArgumentParser
import Foundation
import GenreEmbedding

/// Texts the embedding benchmark runs on, read from the shared datasets.
enum BenchTexts {
    /// The first `count` titles of ml-100k's u.item (latin-1, '|'-separated; the title is field 2).
    static func movieTitles(dataDirectory: String, count: Int) throws -> [String] {
        let url = URL(fileURLWithPath: dataDirectory).appendingPathComponent("ml-100k/u.item")
        guard let text = try? String(contentsOf: url, encoding: .isoLatin1) else {
            throw ValidationError("cannot read \(url.path); pass --data-dir pointing at a folder with ml-100k/")
        }
        return Array(text.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            return fields.count > 1 ? String(fields[1]) : nil
        }.prefix(count))
    }

    /// "title abstract" of each article in mind-news-sample/news.tsv (tab-separated: id, category,
    /// subcategory, title, abstract, ...).
    static func news(dataDirectory: String, count: Int) throws -> [String] {
        let url = URL(fileURLWithPath: dataDirectory).appendingPathComponent("mind-news-sample/news.tsv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ValidationError("cannot read \(url.path); pass --data-dir pointing at a folder with mind-news-sample/")
        }
        return Array(text.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            return fields.count > 4 ? "\(fields[3]) \(fields[4])" : nil
        }.prefix(count))
    }
}

struct BenchEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Sentences/s and tokens/s of the in-process embedder on 1,000 ml-100k titles and 2,000 news texts.")
    @Option(help: "Folder holding ml-100k/ and mind-news-sample/.") var dataDir = "../shared/data"
    @Option(help: "Timed repetitions per text set (the best is reported with the median).") var repeats = 3
    @Option(help: "Worker threads (one OpenBLAS thread each).") var workers = 2
    @Option(help: "Real tokens per batch.") var batchTokens = 2048
    @Option(help: "Write the figures as JSON here.") var json: String?

    func run() throws {
        let embedder = try loadEmbedder()
        let sets = [("ml-100k titles", try BenchTexts.movieTitles(dataDirectory: dataDir, count: 1000)),
                    ("mind-news title+abstract", try BenchTexts.news(dataDirectory: dataDir, count: 2000))]
        _ = embedder.embed(Array(sets[0].1.prefix(64)), workers: workers)  // warm-up: page in weights, spin up threads
        var report: [[String: Any]] = []
        for (name, texts) in sets {
            let tokenStart = Date()
            let tokens = embedder.tokenize(texts)
            let tokenizeSeconds = Date().timeIntervalSince(tokenStart)
            let tokenCount = tokens.reduce(0) { $0 + $1.count }
            var seconds: [Double] = []
            for _ in 0..<max(1, repeats) {
                let start = Date()
                _ = embedder.embed(texts, workers: workers, maxBatchTokens: batchTokens)
                seconds.append(Date().timeIntervalSince(start))
            }
            seconds.sort()
            let best = seconds[0], median = seconds[seconds.count / 2]
            print(String(format: "%@: %d texts, %d tokens (mean %.1f); best %.3f s = %.0f sentences/s, %.0f tokens/s; median %.3f s = %.0f sentences/s; tokenizing alone %.3f s",
                         name, texts.count, tokenCount, Double(tokenCount) / Double(texts.count), best, Double(texts.count) / best,
                         Double(tokenCount) / best, median, Double(texts.count) / median, tokenizeSeconds))
            report.append(["set": name, "texts": texts.count, "tokens": tokenCount, "best_seconds": best, "median_seconds": median,
                           "sentences_per_second": Double(texts.count) / median, "tokens_per_second": Double(tokenCount) / median])
        }
        let peak = PeakMemory.megabytes()
        print(String(format: "peak resident memory: %.0f MB", peak))
        if let json {
            let object: [String: Any] = ["workers": workers, "batch_tokens": batchTokens, "peak_rss_mb": peak, "sets": report]
            try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: json))
        }
    }
}

/// VmHWM from /proc/self/status: the process's peak resident set.
enum PeakMemory {
    static func megabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
        return kilobytes / 1024
    }
}
