import Foundation
import Logging
import GenreLLM
import GenrePostgres
import GenreSupport

/// Item understanding: claims items from the `item_features` queue, asks the configured provider what each
/// item is about (ItemUnderstanding), and stores the validated answer in genre.item_features with its
/// provenance, in genre.llm_cache (a question is never sent twice) and in genre.llm_usage. Runs on its own
/// thread and connection, so a slow or failing provider never delays real-time refreshes; a paused provider
/// leaves its work queued, untried, and says so in genre.status() and genre.list_providers().
public final class GenerationService: @unchecked Sendable {
    let context: DaemonContext
    let connection: ReconnectingConnection
    let environment: [String: String]
    var settings = DaemonSettings()
    var settingsStale = true
    var sweptPromptHash: String?
    /// One client per provider, kept while its row is unchanged so its breaker and limits carry over.
    var clients: [String: ProviderClient] = [:]
    /// Providers this daemon recorded as paused for a reason of its own (budget, missing key): their row is
    /// set back to ok as soon as the reason is gone, not only after the next claim.
    var pausedByDaemon = Set<String>()
    static let service = "generation"
    static let task = "features"

    public init(context: DaemonContext, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.context = context
        self.environment = environment
        connection = ServiceLoop.connection(context, listening: ["genre_work", "genre_settings"])
    }

    public func run() {
        ServiceLoop.run(Self.service, connection: connection, context: context, errorPause: 1, step: step)
    }

    func step(_ db: PostgresConnection) throws {
        if connection.isFreshConnection {
            settingsStale = true
            sweptPromptHash = nil
            connection.markCaughtUp()
        }
        if settingsStale { try reload(db) }
        let llm = settings.llm
        guard llm.featuresEnabled else { return waitForWork(db) }
        let name = llm.featuresProviderName
        guard !name.isEmpty else {
            context.health.fail(Self.service, "features.enabled is on but no provider is set: SELECT genre.set('llm.provider', '<name>')")
            return waitForWork(db)
        }
        guard let client = clients[name] else {
            context.health.fail(Self.service, "provider \(name) (features.provider or llm.provider) does not exist")
            return waitForWork(db)
        }
        let task: ItemUnderstanding
        do {
            task = try ItemUnderstanding(schema: llm.featuresSchema, maxTokens: llm.featuresMaxTokens)
        } catch {
            context.health.fail(Self.service, "features.schema cannot be used: \(error)")
            return waitForWork(db)
        }
        if sweptPromptHash != task.promptHash {
            let queued = try db.query("SELECT genre._enqueue_stale_features($1)", [task.promptHash]).int(0, 0) ?? 0
            if queued > 0 { context.logger.info("queued items for item understanding", metadata: ["genre.count": "\(queued)"]) }
            sweptPromptHash = task.promptHash
        }
        do {
            try client.checkKey()
        } catch {
            try recordPause(db, name, until: Date().addingTimeInterval(settings.pollIntervalSeconds), reason: "\(error)")
            context.health.fail(Self.service, "\(error)")
            return waitForWork(db)
        }
        if let budget = try spentBudget(db, client.provider) {
            try recordPause(db, client.provider.name, until: budget.until, reason: budget.reason)
            context.health.fail(Self.service, budget.reason)
            return waitForWork(db)
        }
        if pausedByDaemon.remove(name) != nil { try recordState(db, client) }
        if case .open(let until, let lastError) = client.state, until > Date() {
            try recordState(db, client)
            context.health.fail(Self.service, ProviderError.paused(provider: name, until: until, lastError: lastError).description)
            return waitForWork(db, atMost: until.timeIntervalSinceNow)
        }
        let claimed = try ServiceLoop.claim(db, context, queue: "item_features", batch: client.provider.options.concurrency, settings: settings)
        guard !claimed.isEmpty else { return waitForWork(db) }
        try generate(db, claimed, task: task, client: client)
        try recordState(db, client)
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
