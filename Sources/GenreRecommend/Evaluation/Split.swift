import GenreSupport

/// One interaction of an evaluation dataset, by dense user and item index.
public struct Rating: Sendable, Equatable {
    public var user: Int32
    public var item: Int32
    public var weight: Float
    /// Seconds since 1970, nil when the file has none.
    public var time: Double?
    /// Position in the file (the order when there are no timestamps).
    public var order: Int
    public init(user: Int32, item: Int32, weight: Float, time: Double?, order: Int) {
        self.user = user
        self.item = item
        self.weight = weight
        self.time = time
        self.order = order
    }
}

/// How a dataset is divided into what models learn from and what they are judged on.
public enum SplitProtocol: Sendable, Equatable {
    /// Microsoft Recommenders' python_stratified_split by item: each item's ratings shuffled (seeded),
    /// the first round(ratio · n) to train, the rest to test.
    case msRecommenders(ratio: Double = 0.75, seed: UInt64 = 42)
    /// Each user's last interaction (by time, then file order) is their test item; users with fewer than
    /// two interactions stay wholly in train.
    case leaveLastOut
    /// The newest `testFraction` of all interactions (by time, then file order) are the test set.
    case temporal(testFraction: Double)

    public var name: String {
        switch self {
        case .msRecommenders: return "ms-recommenders"
        case .leaveLastOut: return "leave-last-out"
        case .temporal(let fraction): return "temporal(\(fraction))"
        }
    }
}

public struct Split: Sendable {
    public var train: [Rating]
    public var test: [Rating]

    public init(train: [Rating], test: [Rating]) {
        self.train = train
        self.test = test
    }

    public static func make(_ ratings: [Rating], protocol splitProtocol: SplitProtocol) -> Split {
        switch splitProtocol {
        case .msRecommenders(let ratio, let seed):
            var rng = SplitMix64(seed: seed)
            var byItem: [Int32: [Rating]] = [:]
            for rating in ratings { byItem[rating.item, default: []].append(rating) }
            var train: [Rating] = [], test: [Rating] = []
            // Items in index order and each group in file order before the shuffle: a seed fixes the split.
            for item in byItem.keys.sorted() {
                let group = byItem[item]!.shuffled(using: &rng)
                let cut = Int((ratio * Double(group.count)).rounded(.toNearestOrEven))
                train += group[..<cut]
                test += group[cut...]
            }
            return Split(train: train, test: test)
        case .leaveLastOut:
            var byUser: [Int32: [Rating]] = [:]
            for rating in ratings { byUser[rating.user, default: []].append(rating) }
            var train: [Rating] = [], test: [Rating] = []
            for user in byUser.keys.sorted() {
                let list = byUser[user]!.sorted(by: chronological)
                if list.count < 2 { train += list; continue }
                train += list.dropLast()
                test.append(list.last!)
            }
            return Split(train: train, test: test)
        case .temporal(let fraction):
            let ordered = ratings.sorted(by: chronological)
            let cut = ordered.count - Int((fraction * Double(ordered.count)).rounded())
            return Split(train: Array(ordered[..<max(0, cut)]), test: Array(ordered[max(0, cut)...]))
        }
    }

    static func chronological(_ a: Rating, _ b: Rating) -> Bool {
        ((a.time ?? 0), a.order) < ((b.time ?? 0), b.order)
    }

    /// Each test user's relevant items.
    public var relevant: [Int: Set<Int32>] {
        var out: [Int: Set<Int32>] = [:]
        for rating in test { out[Int(rating.user), default: []].insert(rating.item) }
        return out
    }
}
