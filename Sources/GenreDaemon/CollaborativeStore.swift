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

    /// Writes the model's item factors (factor models) and its parameters under one new generation.
    static func publish(_ trained: Trained, catalog: ItemCatalog, on connection: PostgresConnection) throws {
        try ResultWriter.replace(.itemFactors, columns: "item_id, factors, bias, generation", on: connection,
                                 beforePublish: { generation in
            try connection.query("INSERT INTO genre.collaborative_models (generation, model, parameters, note) VALUES ($1, $2, $3::jsonb, $4)",
                                 [Int(generation), trained.model?.name ?? "none", parameters(trained.model), trained.note])
        }) { generation, stream in
            guard let factors = trained.model?.factors else { return }
            for item in 0..<factors.itemCount {
                stream.encoder.beginRow(fieldCount: 4)
                stream.encoder.appendText(catalog.ids[item])
                stream.encoder.appendFloatArray(Array(factors.itemFactors[item * factors.factors..<(item + 1) * factors.factors]))
                stream.encoder.appendFloat32(factors.itemBias.isEmpty ? 0 : factors.itemBias[item])
                stream.encoder.appendInt64(generation)
                try stream.flushIfFull()
            }
        }
    }

    static func parameters(_ model: (any CollaborativeModel)?) -> String {
        func n(_ x: Float) -> String { JSONText.number(Double(x)) }
        switch model {
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
    /// from its neighbours' weights (`easeRows`, read from item_neighbors by the caller). Call inside the
    /// caller's REPEATABLE READ transaction, so factors and parameters belong to one build.
    static func load(_ connection: PostgresConnection, itemIndex: [String: Int32], easeRows: [[ContentSimilarity.Neighbor]]) throws
        -> (any CollaborativeModel)? {
        let described = try connection.query("""
            SELECT m.model, m.parameters::text FROM genre.collaborative_models m
              JOIN genre.result_generations g ON g.result = 'item_factors' AND g.generation = m.generation
            """)
        guard described.rowCount == 1, let name = described.string(0, 0) else { return nil }
        var settings = RecommenderSettings()
        if let data = described.string(0, 1)?.data(using: .utf8),
           let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
            // Stored under the setting names without the model prefix ("factors" is "als.factors").
            for (key, value) in object {
                try? settings.apply(key: key == "seed" ? "model.seed" : "\(name).\(key)", json: "\(value)")
            }
        }
        switch name {
        case "als", "bpr":
            let factors = name == "als" ? settings.als.factors : settings.bpr.factors
            let rows = try connection.query("SELECT item_id, factors, bias FROM genre.item_factors")
            var values = [Float](repeating: 0, count: itemIndex.count * factors), bias = [Float](repeating: 0, count: itemIndex.count)
            for row in 0..<rows.rowCount {
                guard let item = rows.string(row, 0).flatMap({ itemIndex[$0] }) else { continue }
                guard let vector = rows.floats(row, 1, count: factors) else { continue }
                values.replaceSubrange(Int(item) * factors..<(Int(item) + 1) * factors, with: vector)
                bias[Int(item)] = Float(try rows.double(row, 2) ?? 0)
            }
            return name == "als" ? ImplicitALS(configuration: settings.als, itemFactors: values)
                : BPR(configuration: settings.bpr, itemFactors: values, itemBias: bias)
        case "ease":
            return SparseItemWeights(rows: easeRows)
        default:
            return nil
        }
    }
}
