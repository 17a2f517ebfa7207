import Testing
import GenreSupport
@testable import GenreRecommend

/// Every collaborative model against the same known answer, and each solver against a naive reference.
@Suite struct CollaborativeModelTests {
    static let world = Checkerboard()

    /// The defaults suit MovieLens; this world has 48 users.
    static let smallSettings: [String: String] = [
        "als.factors": "8", "als.iterations": "10", "als.regularization": "0.1", "als.alpha": "2",
        "bpr.factors": "8", "bpr.iterations": "200", "bpr.learning_rate": "0.05", "bpr.regularization": "0.002",
        "ease.regularization": "5",
    ]

    /// The catalogue's defaults with `smallSettings` applied.
    static func small() -> RecommenderSettings {
        var settings = RecommenderSettings()
        for (key, value) in smallSettings { try! settings.apply(key: key, json: value) }
        return settings
    }

    static func smallALS() -> ImplicitALS.Configuration { small().als }
    static func smallBPR() -> BPR.Configuration { small().bpr }
    static func smallEASE() -> EASE.Configuration { small().ease }

    // MARK: the shared contract

    @Test(arguments: ["als", "bpr", "ease", "cooccurrence"])
    func checkerboardUsersGetTheirOwnBlock(model: String) throws {
        let matrix = Self.world.matrix
        let scores: (Int) throws -> [Float]
        switch model {
        case "als":
            let als = try ImplicitALS.train(matrix, configuration: Self.smallALS())
            scores = { als.scores(user: $0) }
        case "bpr":
            let bpr = try BPR.train(matrix, configuration: Self.smallBPR())
            scores = { bpr.scores(user: $0) }
        case "ease":
            let ease = try EASE.train(matrix, configuration: Self.smallEASE())
            scores = { ease.scores(user: $0) }
        default:
            let cooccurrence = CooccurrenceModel(matrix: matrix, neighborsPerItem: 20, shrinkage: 0)
            scores = { user in
                var out = [Float](repeating: 0, count: matrix.itemCount)
                for slot in matrix.items(ofUser: user) {
                    for n in cooccurrence.neighbors[Int(matrix.userItems[slot])] { out[Int(n.item)] += matrix.userValues[slot] * n.score }
                }
                return out
            }
        }
        // Each user has at least 3 unseen items in their block: all of the top 3 must come from it.
        let fraction = try Self.world.inBlockFraction(k: 3, scores: scores)
        #expect(fraction == 1, "\(model): \(fraction) of top-3 items in the user's block")
    }

    @Test(arguments: ["als", "bpr"])
    func foldedInUserMatchesTheRetrainedUser(model: String) throws {
        // Train once without user 3 and fold their history in; train again with them. Both lists should agree.
        let user = 3
        let without = Checkerboard(leaveOutUser: user)
        let history = Self.world.matrix.interactions(ofUser: user)
        let seen = Set(history.map(\.item))
        let folded: [Float], retrained: [Float]
        if model == "als" {
            folded = try ImplicitALS.train(without.matrix, configuration: Self.smallALS()).scores(history: history)
            retrained = try ImplicitALS.train(Self.world.matrix, configuration: Self.smallALS()).scores(user: user)
        } else {
            folded = try BPR.train(without.matrix, configuration: Self.smallBPR()).scores(history: history)
            retrained = try BPR.train(Self.world.matrix, configuration: Self.smallBPR()).scores(user: user)
        }
        let a = Checkerboard.topUnseen(folded, seen: seen, k: 5), b = Checkerboard.topUnseen(retrained, seen: seen, k: 5)
        #expect(a.allSatisfy { Self.world.block(ofItem: $0) == Self.world.block(ofUser: user) }, "\(a)")
        #expect(Set(a).intersection(b).count >= 4, "folded \(a) vs retrained \(b)")
        // ALS folds in by an exact solve; BPR by a short SGD from zero, which agrees less closely on the tail.
        let correlation = pearson(folded, retrained)
        #expect(correlation > (model == "als" ? 0.9 : 0.8), "score correlation \(correlation)")
    }

    // MARK: ALS

    @Test func alsWithEnoughCGStepsMatchesExactLeastSquares() throws {
        var c = Self.smallALS()
        c.iterations = 2
        c.cgSteps = 40   // ≥ factors: CG reaches the exact solution (up to rounding)
        let matrix = Self.world.matrix
        let trained = try ImplicitALS.train(matrix, configuration: c).model
        // Reference: the same start, each row solved exactly from the dense normal equations over every cell.
        var reference = ImplicitALS.initialFactors(users: matrix.userCount, items: matrix.itemCount, configuration: c)
        for _ in 0..<c.iterations {
            reference.userFactors = naiveHalfStep(rows: matrix.userCount, fixed: reference.itemFactors, fixedCount: matrix.itemCount,
                                                  strength: { u, i in strength(matrix, user: u, item: i) }, c: c)
            reference.itemFactors = naiveHalfStep(rows: matrix.itemCount, fixed: reference.userFactors, fixedCount: matrix.userCount,
                                                  strength: { i, u in strength(matrix, user: u, item: i) }, c: c)
        }
        for (a, b) in zip(trained.itemFactors + trained.userFactors, reference.itemFactors + reference.userFactors) {
            #expect(abs(a - b) < 1e-3)
        }
    }

    @Test func alsLossFallsEveryIteration() throws {
        let matrix = Self.world.matrix
        var c = Self.smallALS()
        var previous = Double.infinity
        for iterations in 1...5 {
            c.iterations = iterations
            let loss = implicitLoss(matrix, try ImplicitALS.train(matrix, configuration: c).model, alpha: c.alpha, lambda: c.regularization)
            #expect(loss < previous, "iteration \(iterations): \(loss) after \(previous)")
            previous = loss
        }
    }

    @Test func alsFoldInIsTheExactSolve() throws {
        let als = try ImplicitALS.train(Self.world.matrix, configuration: Self.smallALS())
        let history = [Interaction(item: 2, strength: 3), Interaction(item: 7, strength: 1), Interaction(item: 40, strength: -2)]
        let x = try als.foldIn(history)
        let f = als.model.factors, y = als.model.itemFactors, c = als.configuration
        var a = [Double](repeating: 0, count: f * f), b = [Double](repeating: 0, count: f)
        let strengths = Dictionary(uniqueKeysWithValues: history.map { (Int($0.item), $0.strength) })
        for d in 0..<f { a[d * f + d] = Double(c.regularization) }
        for item in 0..<als.itemCount {
            let s = strengths[item] ?? 0
            let confidence = 1 + Double(c.alpha) * Double(abs(s)), preference: Double = s > 0 ? 1 : 0
            for i in 0..<f {
                b[i] += confidence * preference * Double(y[item * f + i])
                for j in 0..<f { a[i * f + j] += confidence * Double(y[item * f + i]) * Double(y[item * f + j]) }
            }
        }
        for (mine, expected) in zip(x, naiveSolve(a, b)) { #expect(abs(Double(mine) - expected) < 1e-3) }
    }

    @Test func alsAndEASEContributionsAddUpToTheScore() throws {
        let history = [Interaction(item: 2, strength: 3), Interaction(item: 7, strength: 1), Interaction(item: 40, strength: -2)]
        let models: [any CollaborativeModel] = [try ImplicitALS.train(Self.world.matrix, configuration: Self.smallALS()),
                                                try EASE.train(Self.world.matrix, configuration: Self.smallEASE())]
        for model in models {
            let scores = try model.scores(history: history)
            let items: [Int32] = [0, 5, 20, 59]
            for (item, parts) in zip(items, model.contributions(history: history, to: items)) {
                #expect(parts.count == history.count)
                if model.name == "als" { #expect(parts[2] == 0, "a dislike contributes nothing itself") }
                #expect(abs(parts.reduce(0, +) - scores[Int(item)]) < 1e-4, "\(model.name) item \(item)")
            }
        }
    }

    // MARK: ensemble

    static func ensemble() throws -> EnsembleModel {
        EnsembleModel(members: [.init(model: try ImplicitALS.train(world.matrix, configuration: smallALS()), weight: 1),
                                .init(model: try EASE.train(world.matrix, configuration: smallEASE()), weight: 0.5)])
    }

    @Test func ensembleScoresAreTheWeightedSumOfEachMembersScaledScores() throws {
        let ensemble = try Self.ensemble()
        let history = [Interaction(item: 2, strength: 3), Interaction(item: 7, strength: 1)]
        let als = try ensemble.members[0].model.scores(history: history), ease = try ensemble.members[1].model.scores(history: history)
        let alsTop = als.map(abs).max()!, easeTop = ease.map(abs).max()!
        let combined = try ensemble.scores(history: history)
        for item in combined.indices {
            #expect(abs(combined[item] - (als[item] / alsTop + 0.5 * ease[item] / easeTop)) < 1e-5)
        }
        #expect(ensemble.name == "als+ease" && ensemble.factors == nil, "batch scoring must not use one member's factors")
        // Trained users too, and the block structure survives the sum.
        #expect(try Self.world.inBlockFraction(k: 3) { ensemble.scores(user: $0) } == 1)
    }

    @Test func ensembleContributionsAddUpToItsScore() throws {
        let ensemble = try Self.ensemble()
        let history = [Interaction(item: 2, strength: 3), Interaction(item: 7, strength: 1), Interaction(item: 40, strength: -2)]
        let scores = try ensemble.scores(history: history)
        let items: [Int32] = [0, 5, 20, 59]
        for (item, parts) in zip(items, ensemble.contributions(history: history, to: items)) {
            #expect(abs(parts.reduce(0, +) - scores[Int(item)]) < 1e-4, "item \(item)")
        }
    }

    @Test func ensembleNeighboursAreItsItemItemMembersWeights() throws {
        let ensemble = try Self.ensemble()
        let own = ensemble.members[1].model.itemNeighbors(k: 5), published = ensemble.itemNeighbors(k: 5)
        #expect(published.map { $0.map(\.item) } == own.map { $0.map(\.item) }, "what a replica rebuilds EASE from")
        let factorsOnly = EnsembleModel(members: [ensemble.members[0]])
        #expect(factorsOnly.itemNeighbors(k: 5).allSatisfy { $0.count == 5 })
    }

    @Test func dislikesLowerALSScores() throws {
        let als = try ImplicitALS.train(Self.world.matrix, configuration: Self.smallALS())
        let liked = [Interaction(item: 0, strength: 2), Interaction(item: 1, strength: 2)]
        let withDislike = liked + [Interaction(item: 2, strength: -3)]
        let before = try als.scores(history: liked)[2], after = try als.scores(history: withDislike)[2]
        try #require(before > 0, "item 2 shares a block with items 0 and 1")
        #expect(after < before, "score of the disliked item: \(before) → \(after)")
    }

    // MARK: BPR

    @Test func bprMatchesAPlainLoopOverTheSameSamples() throws {
        var c = Self.smallBPR()
        c.iterations = 3
        let matrix = Self.world.matrix
        let trained = try BPR.train(matrix, configuration: c).model
        var reference = BPR.initialFactors(users: matrix.userCount, items: matrix.itemCount, configuration: c)
        var sampler = BPR.Sampler(matrix, seed: c.seed)
        let f = c.factors
        for _ in 0..<c.iterations {
            for _ in 0..<sampler.positiveCount {
                guard let (u, i, j) = sampler.next() else { continue }
                let x = reference.userVector(u), yi = reference.itemVector(i), yj = reference.itemVector(j)
                var margin = Double(reference.itemBias[i] - reference.itemBias[j])
                for d in 0..<f { margin += Double(x[d]) * Double(yi[d] - yj[d]) }
                let g = Float(1 / (1 + Foundation_exp(margin)))
                for d in 0..<f {
                    reference.userFactors[u * f + d] += c.learningRate * (g * (yi[d] - yj[d]) - c.regularization * x[d])
                    reference.itemFactors[i * f + d] += c.learningRate * (g * x[d] - c.regularization * yi[d])
                    reference.itemFactors[j * f + d] += c.learningRate * (-g * x[d] - c.regularization * yj[d])
                }
                reference.itemBias[i] += c.learningRate * (g - c.regularization * reference.itemBias[i])
                reference.itemBias[j] += c.learningRate * (-g - c.regularization * reference.itemBias[j])
            }
        }
        for (a, b) in zip(trained.userFactors + trained.itemFactors + trained.itemBias,
                          reference.userFactors + reference.itemFactors + reference.itemBias) {
            #expect(abs(a - b) < 1e-4)
        }
    }

    @Test func samplerNeverOffersAChosenItemAsTheNegative() {
        let matrix = Self.world.matrix
        var sampler = BPR.Sampler(matrix, seed: 9)
        for _ in 0..<2_000 {
            guard let (u, i, j) = sampler.next() else { Issue.record("no sample"); return }
            let chosen = Set(matrix.items(ofUser: u).map { Int(matrix.userItems[$0]) })
            #expect(chosen.contains(i) && !chosen.contains(j))
        }
    }

    @Test func popularityNegativesFollowPopularity() {
        // Item 0 is chosen by 30 users, item 1 by one; user 31 chose only item 2: their negatives are drawn
        // from everyone's interactions, so item 0 is expected 30 times as often as item 1.
        var entries = (0..<30).map { InteractionMatrix.Entry(user: Int32($0), item: 0, value: 1) }
        entries.append(.init(user: 30, item: 1, value: 1))
        entries.append(.init(user: 31, item: 2, value: 1))
        let matrix = InteractionMatrix(userCount: 32, itemCount: 3, entries: entries)
        var sampler = BPR.Sampler(matrix, seed: 4, negatives: .popularity)
        var counts = [Int](repeating: 0, count: 3)
        for _ in 0..<20_000 {
            if let (u, _, j) = sampler.next(), u == 31 { counts[j] += 1 }
        }
        #expect(counts[2] == 0, "never the user's own item")
        // Expected 30 : 1 (uniform sampling would give 1 : 1); 10× leaves room for sampling noise.
        #expect(counts[0] > 10 * counts[1] && counts[1] > 0, "\(counts)")
    }

    @Test func bprDivergenceIsATypedError() {
        var c = Self.smallBPR()
        c.learningRate = 1e30
        #expect(throws: CollaborativeError.diverged(model: "BPR", iteration: 1)) { try BPR.train(Self.world.matrix, configuration: c) }
    }

    // MARK: EASE

    @Test func easeMatchesTheClosedFormInDouble() throws {
        let world = Checkerboard(blocks: 2, usersPerBlock: 6, itemsPerBlock: 5, chosenPerUser: 3)
        let matrix = world.matrix, n = matrix.itemCount
        let lambda = 2.0
        let ease = try EASE.train(matrix, configuration: { var c = Self.smallEASE(); c.regularization = Float(lambda); return c }())
        // P = (XᵀX + λI)⁻¹ column by column with the naive solver; B = I − P·diag(1/diag P).
        var g = [Double](repeating: 0, count: n * n)
        for u in 0..<matrix.userCount {
            for a in matrix.items(ofUser: u) {
                for b in matrix.items(ofUser: u) {
                    g[Int(matrix.userItems[a]) * n + Int(matrix.userItems[b])] += Double(matrix.userValues[a] * matrix.userValues[b])
                }
            }
        }
        for i in 0..<n { g[i * n + i] += lambda }
        var p = [Double](repeating: 0, count: n * n)
        for column in 0..<n {
            let e = (0..<n).map { $0 == column ? 1.0 : 0.0 }
            for (row, value) in naiveSolve(g, e).enumerated() { p[row * n + column] = value }
        }
        for i in 0..<n {
            for j in 0..<n {
                let expected = i == j ? 0 : -p[i * n + j] / p[j * n + j]
                #expect(abs(Double(ease.weights[i * n + j]) - expected) < 1e-4)
            }
        }
    }

    @Test func easeRefusesACatalogueAboveItsLimit() {
        var c = Self.smallEASE()
        c.maxItems = 10
        #expect(throws: CollaborativeError.catalogueTooLarge(items: 60, limit: 10)) { try EASE.train(Self.world.matrix, configuration: c) }
    }

    // MARK: determinism

    @Test func aSeedGivesTheSameModelAndAnotherSeedAnother() throws {
        let matrix = Self.world.matrix
        var c = Self.smallALS()
        let a = try ImplicitALS.train(matrix, configuration: c).model, b = try ImplicitALS.train(matrix, configuration: c).model
        #expect(a.userFactors == b.userFactors && a.itemFactors == b.itemFactors)
        c.seed = 7
        #expect(try ImplicitALS.train(matrix, configuration: c).model.itemFactors != a.itemFactors)
        var p = Self.smallBPR()
        p.iterations = 5
        #expect(try BPR.train(matrix, configuration: p).model.itemFactors == BPR.train(matrix, configuration: p).model.itemFactors)
    }
}

func strength(_ matrix: InteractionMatrix, user: Int, item: Int) -> Float {
    for slot in matrix.items(ofUser: user) where Int(matrix.userItems[slot]) == item { return matrix.userValues[slot] }
    return 0
}

/// One exact ALS half-step: each row solved from the dense normal equations over all cells, in Double.
func naiveHalfStep(rows: Int, fixed: [Float], fixedCount: Int, strength: (Int, Int) -> Float, c: ImplicitALS.Configuration) -> [Float] {
    let f = c.factors
    var out: [Float] = []
    for row in 0..<rows {
        var a = [Double](repeating: 0, count: f * f), b = [Double](repeating: 0, count: f)
        for d in 0..<f { a[d * f + d] = Double(c.regularization) }
        for other in 0..<fixedCount {
            let s = strength(row, other)
            let confidence = 1 + Double(c.alpha) * Double(abs(s)), preference: Double = s > 0 ? 1 : 0
            for i in 0..<f {
                let yi = Double(fixed[other * f + i])
                b[i] += confidence * preference * yi
                for j in 0..<f { a[i * f + j] += confidence * yi * Double(fixed[other * f + j]) }
            }
        }
        out += naiveSolve(a, b).map(Float.init)
    }
    return out
}

func pearson(_ a: [Float], _ b: [Float]) -> Double {
    let n = Double(a.count)
    let ma = a.reduce(0.0) { $0 + Double($1) } / n, mb = b.reduce(0.0) { $0 + Double($1) } / n
    var cov = 0.0, va = 0.0, vb = 0.0
    for (x, y) in zip(a, b) {
        cov += (Double(x) - ma) * (Double(y) - mb)
        va += (Double(x) - ma) * (Double(x) - ma)
        vb += (Double(y) - mb) * (Double(y) - mb)
    }
    return cov / (va * vb).squareRoot()
}

#if canImport(Glibc)
import Glibc
func Foundation_exp(_ x: Double) -> Double { Glibc.exp(x) }
#endif
