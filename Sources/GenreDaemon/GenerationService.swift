import Foundation
import Logging
import GenreLLM
import GenrePostgres
import GenreSupport

/// The generative tasks: item understanding (genre.item_features), user profiles (genre.user_profiles),
/// the re-ranking stage (genre.reranks, blended into the lists) and grounded explanations (genre.explanations).
/// Claims each enabled task's queue, answers from genre.llm_cache or the task's provider, stores what
/// validated with its provenance, and counts requests and tokens in genre.llm_usage. Runs on its own thread
/// and connection, so a slow or failing provider never delays real-time refreshes; a paused provider leaves
/// its work queued, untried, and says so in genre.status() and genre.list_providers().
public final class GenerationService: @unchecked Sendable {
    let context: DaemonContext
    let connection: ReconnectingConnection
    let environment: [String: String]
    var settings = DaemonSettings()
    var settingsStale = true
    /// Per task: what its last sweep looked for (GenerationTask.sweepKey), and when it ran.
    var swept: [String: (key: String, at: Date)] = [:]
    /// One client per provider, kept while its row is unchanged so its breaker and limits carry over.
    var clients: [String: ProviderClient] = [:]
    /// Providers this daemon recorded as paused for a reason of its own (budget, missing key): their row is
    /// set back to ok as soon as the reason is gone, not only after the next claim.
    var pausedByDaemon = Set<String>()
    static let service = "generation"

    public init(context: DaemonContext, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.context = context
        self.environment = environment
        connection = ServiceLoop.connection(context, listening: ["genre_work", "genre_settings"])
    }

    public func run() {
        ServiceLoop.run(Self.service, connection: connection, context: context, errorPause: 1, step: step)
    }

    /// What one task's turn came to.
    enum Turn {
        case worked
        case idle
        /// Its provider rests until then.
        case paused(until: Date)
    }

    func step(_ db: PostgresConnection) throws {
        if connection.isFreshConnection {
            settingsStale = true
            swept = [:]
            connection.markCaughtUp()
        }
        if settingsStale { try reload(db) }
        var worked = false
        var wakeAt = Date.distantFuture
        for (task, providerName) in tasks() {
            switch try turn(db, task, providerName: providerName) {
            case .worked: worked = true
            case .idle: break
            case .paused(let until): wakeAt = min(wakeAt, until)
            }
        }
        if !worked { waitForWork(db, atMost: wakeAt.timeIntervalSinceNow) }
    }

    /// The enabled tasks with the provider each uses; a task that cannot run is reported and left out.
    func tasks() -> [(GenerationTask, String)] {
        let llm = settings.llm
        var out: [(GenerationTask, String)] = []
        if llm.featuresEnabled {
            do {
                out.append((ItemFeaturesTask(understanding: try ItemUnderstanding(schema: llm.featuresSchema, maxTokens: llm.featuresMaxTokens)),
                            llm.featuresProviderName))
            } catch {
                context.health.fail(Self.service, "features.schema cannot be used: \(error)")
            }
        }
        if llm.explainTopK > 0 {
            out.append((ExplanationTask(explanation: GroundedExplanation(), topK: llm.explainTopK), llm.explainProviderName))
        }
        if settings.variants.contains(where: { $0.model.rerankTopN > 0 }) {
            out.append((RerankTask(listwise: ListwiseRerank(maxTokens: llm.rerankMaxTokens), mode: RerankTask.Mode(rawValue: llm.rerankMode) ?? .chat),
                        llm.rerankProviderName))
        }
        if llm.profileEnabled {
            out.append((UserProfileTask(profiling: UserProfiling(maxInterests: llm.profileMaxInterests, maxTokens: llm.profileMaxTokens,
                                                                 historyTokens: llm.profileHistoryTokens),
                                        refreshAfterEvents: llm.profileRefreshAfterEvents, refreshIntervalHours: llm.profileRefreshIntervalHours),
                        llm.profileProviderName))
        }
        return out
    }

    /// One task's turn: sweep when due, check its provider (set, key present, budget left, not paused), then
    /// claim and answer one batch.
    func turn(_ db: PostgresConnection, _ task: GenerationTask, providerName name: String) throws -> Turn {
        guard !name.isEmpty else {
            context.health.fail(Self.service, "\(task.name) are enabled but no provider is set: SELECT genre.set('llm.provider', '<name>')")
            return .idle
        }
        guard let client = clients[name] else {
            context.health.fail(Self.service, "provider \(name) (for \(task.name)) does not exist")
            return .idle
        }
        let sweepKey = try task.sweepKey(db)
        if let last = swept[task.name], last.key == sweepKey,
           task.sweepEverySeconds.map({ Date().timeIntervalSince(last.at) < $0 }) ?? true {
            // Swept recently enough.
        } else {
            let queued = try task.sweep(db)
            if queued > 0 { context.logger.info("queued \(task.name) work", metadata: ["genre.count": "\(queued)"]) }
            swept[task.name] = (sweepKey, Date())
        }
        do {
            try client.checkKey()
        } catch {
            let until = Date().addingTimeInterval(settings.pollIntervalSeconds)
            try recordPause(db, name, until: until, reason: "\(error)")
            context.health.fail(Self.service, "\(error)")
            return .paused(until: until)
        }
        if let budget = try spentBudget(db, client.provider) {
            try recordPause(db, client.provider.name, until: budget.until, reason: budget.reason)
            context.health.fail(Self.service, budget.reason)
            return .paused(until: budget.until)
        }
        if pausedByDaemon.remove(name) != nil { try recordState(db, client) }
        if case .open(let until, let lastError) = client.state, until > Date() {
            try recordState(db, client)
            context.health.fail(Self.service, ProviderError.paused(provider: name, until: until, lastError: lastError).description)
            return .paused(until: until)
        }
        let claimed = try ServiceLoop.claim(db, context, queue: task.queue, batch: client.provider.options.concurrency, settings: settings)
        guard !claimed.isEmpty else { return .idle }
        try generate(db, claimed, task: task, client: client)
        try recordState(db, client)
        return .worked
    }

    /// Re-reads the settings and the providers; a provider whose row changed gets a new client.
    func reload(_ db: PostgresConnection) throws {
        settings = try DaemonSettings.load(db)
        var problems: [String] = []
        let providers = try settings.llm.providers(db, problems: &problems)
        clients = providers.mapValues { provider in
            if let current = clients[provider.name], current.provider == provider { return current }
            let shutdown = context.shutdown
            return ProviderClient(provider: provider, environment: environment, isStopping: { shutdown.isTriggered })
        }
        for problem in problems { context.logger.warning("provider settings", metadata: ["problem": "\(problem)"]) }
        settingsStale = false
    }
}
