import ArgumentParser
import Foundation
import GenreRecommend
import GenreSupport

/// `genre bench collaborative`: train ALS or BPR on a train file, compute every user's top 10 (train items
/// excluded) and measure nDCG@10 on a test file; the GENRE half of scripts/bench/collaborative_vs_implicit.sh.
struct BenchCollaborative: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collaborative",
        abstract: "Train ALS or BPR on --train, top-10 for every user, nDCG@10 on --test; prints JSON (train and recommend seconds).")
    @Option(help: "Train CSV: user_id,item_id[,weight][,timestamp].") var train: String
    @Option(help: "Test CSV, same header.") var test: String
    @Option(help: "als or bpr.") var model = "als"
    @Option(help: "Latent factors.") var factors = 64
    @Option(help: "L2 regularisation.") var regularization: Float = 0.05
    @Option(help: "ALS confidence per unit of strength (c = 1 + alpha · strength).") var alpha: Float = 1
    @Option(help: "ALS sweeps or BPR epochs.") var iterations = 15
    @Option(help: "BPR learning rate.") var learningRate: Float = 0.01
    @Option(help: "List length.") var k = 10
    @Option(help: "BPR negatives: uniform or popularity.") var negatives = "uniform"

    func run() throws {
        let loadStart = Date()
        let data: EvaluationDataset
        do {
            data = try .csv(interactions: URL(fileURLWithPath: train), heldOutFile: URL(fileURLWithPath: test))
        } catch let failure as EvaluationDataset.Failure {
            throw ValidationError(failure.description)
        }
        let histories = Evaluator.histories(data.ratings)
        let userCount = max(histories.count, (data.heldOut.map { Int($0.user) }.max() ?? -1) + 1)
        let (matrix, _) = TrainingMatrix.build(histories: histories + Array(repeating: [], count: userCount - histories.count),
                                               itemCount: data.itemIDs.count)
        let loadSeconds = Date().timeIntervalSince(loadStart)

        let trainStart = Date()
        let factorModel: FactorModel
        switch model {
        case "als":
            var c = RecommenderSettings().als
            (c.factors, c.regularization, c.alpha, c.iterations) = (factors, regularization, alpha, iterations)
            factorModel = try ImplicitALS.train(matrix, configuration: c).model
        case "bpr":
            var c = RecommenderSettings().bpr
            (c.factors, c.regularization, c.learningRate, c.iterations) = (factors, regularization, learningRate, iterations)
            guard let sampling = BPR.NegativeSampling(rawValue: negatives) else { throw ValidationError("--negatives must be uniform or popularity") }
            c.negatives = sampling
            factorModel = try BPR.train(matrix, configuration: c).model
        default:
            throw ValidationError("--model must be als or bpr")
        }
        let trainSeconds = Date().timeIntervalSince(trainStart)

        // Every user's top k: scores for 256 users per sgemm, train items excluded, top-k selection.
        let recommendStart = Date()
        var lists = [[Int32]](repeating: [], count: matrix.userCount)
        let block = 256
        var seen = [Bool](repeating: false, count: matrix.itemCount)  // the user's train items, set and cleared per user
        for first in stride(from: 0, to: matrix.userCount, by: block) {
            let users = first..<min(first + block, matrix.userCount)
            let scores = factorModel.scores(users: users)
            scores.withUnsafeBufferPointer { all in
                for (offset, user) in users.enumerated() {
                    let row = all.baseAddress! + offset * matrix.itemCount
                    for slot in matrix.items(ofUser: user) { seen[Int(matrix.userItems[slot])] = true }
                    var best = TopK(k: k)
                    var threshold = -Float.infinity
                    for item in 0..<matrix.itemCount where row[item] > threshold && !seen[item] {
                        best.offer(Int32(item), row[item])
                        threshold = best.threshold
                    }
                    for slot in matrix.items(ofUser: user) { seen[Int(matrix.userItems[slot])] = false }
                    lists[user] = best.sorted().map(\.index)
                }
            }
        }
        let recommendSeconds = Date().timeIntervalSince(recommendStart)
        var relevant: [Int: Set<Int32>] = [:]
        for rating in data.heldOut { relevant[Int(rating.user), default: []].insert(rating.item) }
        let metrics = RankingMetrics.mean(lists: Dictionary(uniqueKeysWithValues: lists.enumerated().map { ($0.offset, $0.element) }),
                                          relevant: relevant, k: k)
        print("{\"library\":\"genre\",\"model\":\(JSONText.quote(model)),\"users\":\(matrix.userCount),\"items\":\(matrix.itemCount),"
              + "\"interactions\":\(matrix.nonZeroCount),\"factors\":\(factors),\"iterations\":\(iterations),"
              + "\"load_seconds\":\(JSONText.number(loadSeconds)),\"train_seconds\":\(JSONText.number(trainSeconds)),"
              + "\"recommend_seconds\":\(JSONText.number(recommendSeconds)),\"ndcg\":\(JSONText.number(metrics.ndcg)),"
              + "\"precision\":\(JSONText.number(metrics.precision)),\"evaluated_users\":\(metrics.users)}")
    }
}
