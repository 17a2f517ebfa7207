import ArgumentParser
import Foundation
import GenreDaemon
import GenreLLM
import GenreRecommend
import GenreSettings
import GenreSupport

/// `genre generate`: the generative tasks offline, on a dataset, into JSONL files that `genre eval` reads
/// exactly as the daemon reads the tables. Resumable (ids already in the output are skipped) and cached on
/// disk by (provider URL, model, task, input), so a team can generate once with a strong model and measure
/// many times.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate item features or user profiles for a dataset with a language model, into JSONL.",
        discussion: """
            Examples:
              genre generate items --dataset ml-latest-small --data-dir ../shared/data/ml-latest-small \\
                --provider-url http://127.0.0.1:8390/v1 --model smollm2 --structured-output json_object --output features.jsonl
              genre generate profiles --dataset ml-latest-small --data-dir … --protocol leave-last-out \\
                --item-features features.jsonl --provider-url … --model … --output profiles.jsonl
            Items: {"item_id", "summary", "topics", "keywords", "audience"} (features.schema). Profiles:
            {"user_id", "interests", "summary"}, from the train part of the split only.
            """,
        subcommands: [Items.self, Profiles.self])

    struct ProviderOptions: ParsableArguments {
        @Option(help: "The provider's base URL, e.g. http://127.0.0.1:8390/v1 or https://api.openai.com/v1.") var providerUrl: String
        @Option(help: "The model to call.") var model: String
        @Option(help: "openai (OpenAI-compatible) or ollama.") var kind = "openai"
        @Option(help: "The environment variable holding the API key (never the key).") var apiKeyEnv: String?
        @Option(help: "json_schema, json_object (llama-cpp-python) or none.") var structuredOutput = "json_schema"
        @Option(help: "Requests in flight at once.") var concurrency = 2
        @Option(help: "Seconds one request may take.") var timeoutSeconds = 120.0
        @Option(help: "The JSONL file to write (appended to: a run resumes where the last one stopped).") var output: String
        @Option(help: "At most this many new items or users in this run.") var limit: Int?
        @Option(help: "Folder of the answer cache.") var cacheDir = Generate.defaultCacheDir

        func client() throws -> ProviderClient {
            guard let url = URL(string: providerUrl.hasSuffix("/") ? String(providerUrl.dropLast()) : providerUrl),
                  url.scheme == "http" || url.scheme == "https" else { throw ValidationError("--provider-url must be an http(s) URL, got \(providerUrl)") }
            guard let kind = Provider.Kind(rawValue: kind) else { throw ValidationError("--kind must be openai or ollama, got \(self.kind)") }
            guard let structured = Provider.StructuredOutput(rawValue: structuredOutput) else {
                throw ValidationError("--structured-output must be json_schema, json_object or none, got \(structuredOutput)")
            }
            if let apiKeyEnv, !Provider.mayHoldKey(apiKeyEnv) { throw ValidationError("--api-key-env \(apiKeyEnv) holds the database's credentials, not a provider key") }
            var problems: [String] = []
            var options = LanguageModelSettings(values: SettingsCatalogue.defaults).options([:], problems: &problems)
            options.concurrency = max(1, concurrency)
            options.timeoutSeconds = timeoutSeconds
            options.structuredOutput = structured
            return ProviderClient(provider: Provider(name: "offline", kind: kind, baseURL: url, model: model, apiKeyEnv: apiKeyEnv, options: options))
        }
    }

    static var defaultCacheDir: String {
        (ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/genre/llm"
    }

    struct Items: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Item features (the daemon's item understanding) for every item with text.")
        @OptionGroup var data: DatasetOptions
        @OptionGroup var provider: ProviderOptions
        @Option(help: "The most tokens an answer may have.") var maxTokens = SettingsCatalogue.defaults.integer("features.max_tokens")
        @Flag(help: "The most-rated items first (with --limit: the items most of the ratings are about).") var mostRated = false

        func run() throws {
            let dataset = try data.load()
            let task = try ItemUnderstanding(schema: SettingsCatalogue.defaults["features.schema"] ?? .null, maxTokens: maxTokens)
            var order = Array(dataset.itemIDs.indices)
            if mostRated {
                var counts = [Int](repeating: 0, count: dataset.itemIDs.count)
                for rating in dataset.ratings { counts[Int(rating.item)] += 1 }
                order.sort { counts[$0] > counts[$1] || (counts[$0] == counts[$1] && $0 < $1) }
            }
            let work = order.compactMap { index in dataset.itemTexts[index].map { (id: dataset.itemIDs[index], text: $0) } }
            try GenerationRun(provider: provider, idField: "item_id", promptHash: task.promptHash).run(work) { client, text in
                try task.run(client, itemText: text).value
            }
        }
    }

    struct Profiles: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "User profiles (the daemon's user profiling) from the train part of the split.")
        @OptionGroup var data: DatasetOptions
        @OptionGroup var provider: ProviderOptions
        @Option(help: "Item features JSONL (genre generate items): their topics join the history the model reads.") var itemFeatures: String?
        @Option(help: "The most tokens of history the model reads.") var historyTokens = SettingsCatalogue.defaults.integer("profile.history_tokens")
        @Option(help: "The most interests a profile lists.") var maxInterests = SettingsCatalogue.defaults.integer("profile.max_interests")
        @Option(help: "The most tokens an answer may have.") var maxTokens = SettingsCatalogue.defaults.integer("profile.max_tokens")

        func run() throws {
            let dataset = try data.load()
            let split = try data.split(dataset)
            let features = try itemFeatures.map { try GeneratedFile.read($0, idField: "item_id") } ?? [:]
            let task = UserProfiling(maxInterests: maxInterests, maxTokens: maxTokens, historyTokens: historyTokens)
            let work = OfflineHistory.events(split.train, dataset: dataset, features: features).compactMap { user, events -> (id: String, text: String)? in
                let history = task.historyText(events)
                return history.events > 0 ? (dataset.userIDs[Int(user)], history.text) : nil
            }.sorted { $0.id.localizedStandardCompare($1.id) == .orderedAscending }
            try GenerationRun(provider: provider, idField: "user_id", promptHash: task.promptHash).run(work) { client, text in
                let answer = try task.run(client, history: text).requiring(UserProfiling.noInterest) { task.profile(from: $0) != nil }
                guard let profile = task.profile(from: answer.value) else { return .null }
                return .object(["interests": .array(profile.interests.map { .string($0) }), "summary": .string(profile.summary)])
            }
        }
    }
}
