import Foundation
import GenrePostgres
import GenreRecommend
import GenreSupport

/// Trains the collaborative model a build blends (setting collaborative.model), and moves it through
/// PostgreSQL: item factors into genre.item_factors, fold-in parameters into genre.collaborative_models,
/// so that every daemon can score users in real time with the same model.
enum CollaborativeStore {
    struct Trained {
        var model: (any CollaborativeModel)?
        /// Why the build did not use the configured model ("EASE needs …; used ALS"), if it did not.
        var note: String?
    }

    static func train(_ matrix: InteractionMatrix, settings: RecommenderSettings, shouldStop: @escaping @Sendable () -> Bool,
                      logger: (String) -> Void) throws -> Trained {
        do {
            return Trained(model: try CollaborativeTraining.train(settings.collaborativeModel, matrix: matrix, settings: settings,
                                                                   shouldStop: shouldStop))
        } catch let error as CollaborativeError {
            guard case .catalogueTooLarge = error else { throw error }
            let note = "\(error); used ALS instead"
            logger(note)
            return Trained(model: try ImplicitALS.train(matrix, configuration: settings.als, shouldStop: shouldStop), note: note)
        }
    }

    /// Stages the model's item factors (factor models) as a new generation. An ensemble stores its factor
    /// members' vectors one after the other in member order (als, then bpr) and BPR's item bias.
    static func stage(_ trained: Trained, catalog: ItemCatalog, on connection: PostgresConnection) throws -> ResultWriter.Staged {
        let factorModels = factorMembers(trained.model).compactMap(\.factors)
        return try ResultWriter.stage(.itemFactors, columns: "item_id, factors, bias, generation", on: connection) { generation, stream in
            guard let itemCount = factorModels.first?.itemCount else { return }
            for item in 0..<itemCount {
                stream.encoder.beginRow(fieldCount: 4)
                stream.encoder.appendText(catalog.ids[item])
                stream.encoder.appendFloatArray(factorModels.flatMap { $0.itemFactors[item * $0.factors..<(item + 1) * $0.factors] })
                stream.encoder.appendFloat32(factorModels.first { !$0.itemBias.isEmpty }?.itemBias[item] ?? 0)
                stream.encoder.appendInt64(generation)
                try stream.flushIfFull()
            }
        }
    }

    /// Publishes the staged factors with the model's name and parameters (an ensemble lists each member with
    /// its weight), inside the build's publishing transaction.
    static func publish(_ staged: ResultWriter.Staged, _ trained: Trained, on connection: PostgresConnection) throws {
        try connection.query("INSERT INTO genre.collaborative_models (generation, model, parameters, note) VALUES ($1, $2, $3::jsonb, $4)",
                             [Int(staged.generation), trained.model.map(storedName) ?? "none", parameters(trained.model), trained.note])
        try ResultWriter.publish(staged, on: connection)
    }

    /// EASE's strongest `k` weights per item, when EASE is the model or an ensemble member; else empty.
    /// The serving form of EASE (its dense matrix is not kept): the trainer's real time uses it as every
    /// replica does.
    static func itemWeights(_ model: (any CollaborativeModel)?, k: Int) -> [[ItemNeighbor]] {
        let members = (model as? EnsembleModel)?.members.map(\.model) ?? model.map { [$0] } ?? []
        return members.first { $0 is EASE }?.itemNeighbors(k: k) ?? []
    }

    /// "ensemble" for an ensemble (whose own name lists its members), else the model's name.
    static func storedName(_ model: any CollaborativeModel) -> String { model is EnsembleModel ? "ensemble" : model.name }

    /// The model itself, or an ensemble's members, that carry item factors.
    static func factorMembers(_ model: (any CollaborativeModel)?) -> [any CollaborativeModel] {
        guard let model else { return [] }
        let members = (model as? EnsembleModel)?.members.map(\.model) ?? [model]
        return members.filter { $0.factors != nil }
    }

    static func parameters(_ model: (any CollaborativeModel)?) -> String {
        func n(_ x: Float) -> String { JSONText.exactNumber(x) }
        switch model {
        case let ensemble as EnsembleModel:
            let members = ensemble.members.map { "{\"model\":\(JSONText.quote($0.model.name)),\"weight\":\(n($0.weight)),\"parameters\":\(parameters($0.model))}" }
            return "{\"members\":[\(members.joined(separator: ","))]}"
        case let als as ImplicitALS:
            let c = als.configuration
            return "{\"factors\":\(c.factors),\"regularization\":\(n(c.regularization)),\"alpha\":\(n(c.alpha)),\"iterations\":\(c.iterations),\"cg_steps\":\(c.cgSteps),\"seed\":\(c.seed)}"
        case let bpr as BPR:
            let c = bpr.configuration
            return "{\"factors\":\(c.factors),\"learning_rate\":\(n(c.learningRate)),\"regularization\":\(n(c.regularization)),\"iterations\":\(c.iterations),\"seed\":\(c.seed),\"negatives\":\"\(c.negatives.rawValue)\"}"
        case let ease as EASE:
            return "{\"regularization\":\(n(ease.configuration.regularization)),\"max_items\":\(ease.configuration.maxItems)}"
        default:
            return "{}"
        }
    }

    /// The published model as every daemon serves it: factor models from their item factors, EASE from its
    /// stored weights (`itemWeights`, from the build's model state), an ensemble from its members'. Call inside
    /// the caller's REPEATABLE READ transaction. `generation` is the item_factors generation the build
    /// published; if another is live, a newer build is publishing and this one is refused (the loader tries
    /// again and then finds the newer build). "none" is nil; anything that cannot be rebuilt as trained is
    /// an error, never a model with defaults or zero factors.
    static func load(_ connection: PostgresConnection, generation: Int64?, itemIndex: [String: Int32],
                     itemWeights: [[ItemNeighbor]]) throws -> (any CollaborativeModel)? {
        let described = try connection.query("""
            SELECT m.model, m.parameters::text, g.generation FROM genre.result_generations g
              LEFT JOIN genre.collaborative_models m ON m.generation = g.generation
             WHERE g.result = 'item_factors'
            """)
        guard let generation, try described.int(0, 2).map(Int64.init) == generation else {
            throw StoredModelError("the collaborative model of this build was replaced meanwhile (a newer build is publishing)")
        }
        guard let name = described.string(0, 0) else { throw StoredModelError("no collaborative_models row for generation \(generation)") }
        if name == "none" { return nil }
        guard let object = try described.string(0, 1).flatMap({ try JSONSerialization.jsonObject(with: Data($0.utf8)) }) as? [String: Any] else {
            throw StoredModelError("the parameters of the stored \(name) model are not a JSON object")
        }
        // Members as (name, weight, parameters); a single model is an ensemble of one.
        let members: [(name: String, weight: Float, parameters: [String: Any])] = try name == "ensemble"
            ? (object["members"] as? [[String: Any]] ?? []).map { member in
                guard let name = member["model"] as? String, let weight = member["weight"] as? Double else {
                    throw StoredModelError("an ensemble member without a model name or weight: \(member)")
                }
                return (name, Float(weight), member["parameters"] as? [String: Any] ?? [:])
            }
            : [(name, Float(1), object)]
        let factorCounts = try members.map { member in
            member.name == "als" || member.name == "bpr" ? try configured(member.name, member.parameters).factors(of: member.name) : 0
        }
        let width = factorCounts.reduce(0, +)
        var values = [Float](repeating: 0, count: itemIndex.count * width), bias = [Float](repeating: 0, count: itemIndex.count)
        if width > 0 {
            var read = 0
            try connection.forEachBatch("SELECT item_id, factors, bias FROM genre.item_factors", batchSize: 10_000,
                                        context: "read item factors") { rows in
                for row in 0..<rows.rowCount {
                    guard let id = rows.string(row, 0), let item = itemIndex[id], let vector = rows.floats(row, 1, count: width) else {
                        throw StoredModelError("stored factors of item \(rows.string(row, 0) ?? "NULL") are not \(width) numbers of a catalogue item")
                    }
                    values.replaceSubrange(Int(item) * width..<(Int(item) + 1) * width, with: vector)
                    bias[Int(item)] = Float(try rows.double(row, 2) ?? 0)
                }
                read += rows.rowCount
            }
            guard read == itemIndex.count else {
                throw StoredModelError("\(read) items have stored factors; the build's catalogue has \(itemIndex.count)")
            }
        }
        var offset = 0
        var models: [EnsembleModel.Member] = []
        for (member, count) in zip(members, factorCounts) {
            let settings = try configured(member.name, member.parameters)
            // This member's columns of the stored vectors.
            var own = [Float](repeating: 0, count: itemIndex.count * count)
            for item in 0..<itemIndex.count where count > 0 {
                own.replaceSubrange(item * count..<(item + 1) * count, with: values[(item * width + offset)..<(item * width + offset + count)])
            }
            offset += count
            switch member.name {
            case "als": models.append(.init(model: ImplicitALS(configuration: settings.als, itemFactors: own), weight: member.weight))
            case "bpr": models.append(.init(model: BPR(configuration: settings.bpr, itemFactors: own, itemBias: bias), weight: member.weight))
            case "ease": models.append(.init(model: SparseItemWeights(rows: itemWeights), weight: member.weight))
            default: throw StoredModelError("unknown stored collaborative model \(member.name)")
            }
        }
        if name == "ensemble" { return EnsembleModel(members: models) }
        return models.first?.model
    }

    /// Settings holding a stored model's parameters (stored without the model prefix: "factors" is "als.factors").
    /// A parameter that does not apply is an error: serving with a default instead would be another model.
    static func configured(_ name: String, _ parameters: [String: Any]) throws -> RecommenderSettings {
        var settings = RecommenderSettings()
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) {
            let json = (value as? String).map(JSONText.quote) ?? "\(value)"
            do {
                try settings.apply(key: key == "seed" ? "model.seed" : "\(name).\(key)", json: json)
            } catch {
                throw StoredModelError("stored \(name) parameter \(key) = \(json) cannot be used: \(error)")
            }
        }
        return settings
    }
}

/// The stored model cannot be rebuilt as it was trained: the snapshot is not loaded (the previous one keeps serving).
struct StoredModelError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

private extension RecommenderSettings {
    func factors(of model: String) -> Int { model == "als" ? als.factors : bpr.factors }
}
