/// Trains the collaborative model a setting names: what a daemon's build and `genre eval` both call, so
/// evaluation measures the model users get.
public enum CollaborativeTraining {
    public struct UnknownModel: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "unknown collaborative model \"\(name)\"; use als, bpr, ease, ensemble or none" }
    }

    /// nil for "none"; an unknown name is an error.
    public static func train(_ name: String, matrix: InteractionMatrix, settings: RecommenderSettings,
                             shouldStop: @Sendable () -> Bool = { false }) throws -> (any CollaborativeModel)? {
        switch name {
        case "none": return nil
        case "als": return try ImplicitALS.train(matrix, configuration: settings.als, shouldStop: shouldStop)
        case "bpr": return try BPR.train(matrix, configuration: settings.bpr, shouldStop: shouldStop)
        case "ease": return try EASE.train(matrix, configuration: settings.ease)
        case "ensemble":
            // Members in a fixed order, so training is as reproducible as each member.
            let members = try RecommenderSettings.ensembleMembers.compactMap { member -> EnsembleModel.Member? in
                guard let weight = settings.ensemble[member], weight > 0,
                      let model = try train(member, matrix: matrix, settings: settings, shouldStop: shouldStop) else { return nil }
                return EnsembleModel.Member(model: model, weight: weight)
            }
            return EnsembleModel(members: members)
        default: throw UnknownModel(name: name)
        }
    }
}
