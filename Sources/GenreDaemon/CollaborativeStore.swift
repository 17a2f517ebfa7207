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
            return Trained(model: try Evaluator.trainCollaborative(settings.collaborativeModel, matrix: matrix, settings: settings,
                                                                   shouldStop: shouldStop))
        } catch let error as CollaborativeError {
            guard case .catalogueTooLarge = error else { throw error }
            let note = "\(error); used ALS instead"
            logger(note)
            return Trained(model: try ImplicitALS.train(matrix, configuration: settings.als, shouldStop: shouldStop), note: note)
        }
    }

    /// Writes the model's item factors (factor models) and its parameters under one new generation. An
    /// ensemble stores its factor members' vectors one after the other in member order (als, then bpr) and
    /// BPR's item bias; its parameters list each member with its weight.
    static func publish(_ trained: Trained, catalog: ItemCatalog, on connection: PostgresConnection) throws {
        let factorModels = factorMembers(trained.model).compactMap(\.factors)
        try ResultWriter.replace(.itemFactors, columns: "item_id, factors, bias, generation", on: connection,
                                 beforePublish: { generation in
            try connection.query("INSERT INTO genre.collaborative_models (generation, model, parameters, note) VALUES ($1, $2, $3::jsonb, $4)",
                                 [Int(generation), trained.model.map(storedName) ?? "none", parameters(trained.model), trained.note])
        }) { generation, stream in
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

    /// "ensemble" for an ensemble (whose own name lists its members), else the model's name.
    static func storedName(_ model: any CollaborativeModel) -> String { model is EnsembleModel ? "ensemble" : model.name }

    /// The model itself, or an ensemble's members, that carry item factors.
    static func factorMembers(_ model: (any CollaborativeModel)?) -> [any CollaborativeModel] {
        guard let model else { return [] }
        let members = (model as? EnsembleModel)?.members.map(\.model) ?? [model]
        return members.filter { $0.factors != nil }
    }

    static func parameters(_ model: (any CollaborativeModel)?) -> String {
        func n(_ x: Float) -> String { JSONText.number(Double(x)) }
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

    /// The published model as a non-training daemon uses it: factor models from their item factors, EASE
    /// from its neighbours' weights (`easeRows`, read from item_neighbors by the caller), an ensemble from
    /// its members'. Call inside the caller's REPEATABLE READ transaction, so factors and parameters belong
    /// to one build.
    static func load(_ connection: PostgresConnection, itemIndex: [String: Int32], easeRows: [[ContentSimilarity.Neighbor]]) throws
        -> (any CollaborativeModel)? {
        let described = try connection.query("""
            SELECT m.model, m.parameters::text FROM genre.collaborative_models m
              JOIN genre.result_generations g ON g.result = 'item_factors' AND g.generation = m.generation
            """)
        guard described.rowCount == 1, let name = described.string(0, 0),
              let object = try described.string(0, 1).flatMap({ try JSONSerialization.jsonObject(with: Data($0.utf8)) }) as? [String: Any]
        else { return nil }
        // Members as (name, weight, parameters); a single model is an ensemble of one.
        let members: [(name: String, weight: Float, parameters: [String: Any])] = name == "ensemble"
            ? (object["members"] as? [[String: Any]] ?? []).compactMap { member in
                guard let name = member["model"] as? String else { return nil }
                return (name, Float(member["weight"] as? Double ?? 0), member["parameters"] as? [String: Any] ?? [:])
            }
            : [(name, Float(1), object)]
        let factorCounts = members.map { member in
            member.name == "als" || member.name == "bpr" ? configured(member.name, member.parameters).factors(of: member.name) : 0
        }
        let width = factorCounts.reduce(0, +)
        var values = [Float](repeating: 0, count: itemIndex.count * width), bias = [Float](repeating: 0, count: itemIndex.count)
        if width > 0 {
            let rows = try connection.query("SELECT item_id, factors, bias FROM genre.item_factors")
            for row in 0..<rows.rowCount {
                guard let item = rows.string(row, 0).flatMap({ itemIndex[$0] }), let vector = rows.floats(row, 1, count: width) else { continue }
                values.replaceSubrange(Int(item) * width..<(Int(item) + 1) * width, with: vector)
                bias[Int(item)] = Float(try rows.double(row, 2) ?? 0)
            }
        }
        var offset = 0
        var models: [EnsembleModel.Member] = []
        for (member, count) in zip(members, factorCounts) {
            let settings = configured(member.name, member.parameters)
            // This member's columns of the stored vectors.
            var own = [Float](repeating: 0, count: itemIndex.count * count)
            for item in 0..<itemIndex.count where count > 0 {
                own.replaceSubrange(item * count..<(item + 1) * count, with: values[(item * width + offset)..<(item * width + offset + count)])
            }
            offset += count
            switch member.name {
            case "als": models.append(.init(model: ImplicitALS(configuration: settings.als, itemFactors: own), weight: member.weight))
            case "bpr": models.append(.init(model: BPR(configuration: settings.bpr, itemFactors: own, itemBias: bias), weight: member.weight))
            case "ease": models.append(.init(model: SparseItemWeights(rows: easeRows), weight: member.weight))
            default: continue
            }
        }
        if name == "ensemble" { return models.isEmpty ? nil : EnsembleModel(members: models) }
        return models.first?.model
    }

    /// Settings holding a stored model's parameters (stored without the model prefix: "factors" is "als.factors").
    static func configured(_ name: String, _ parameters: [String: Any]) -> RecommenderSettings {
        var settings = RecommenderSettings()
        for (key, value) in parameters {
            try? settings.apply(key: key == "seed" ? "model.seed" : "\(name).\(key)", json: "\(value)")
        }
        return settings
    }
}

private extension RecommenderSettings {
    func factors(of model: String) -> Int { model == "als" ? als.factors : bpr.factors }
}
