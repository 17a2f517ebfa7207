/// Top-k ranking metrics, defined as Microsoft Recommenders' python_evaluation defines them
/// (../shared/benchmarks/PROTOCOLS.md §1), so GENRE's numbers sit beside the published table:
/// binary relevance; precision = hits / k; recall = hits / |relevant|; nDCG with a log₂ discount and the
/// ideal DCG of min(k, |relevant|) hits; MAP = Σ over hits of precision at that rank, divided by
/// |relevant| (not min(k, |relevant|)); hit rate = 1 if any hit; MRR = 1 / rank of the first hit.
public struct RankingMetrics: Sendable, Equatable {
    public var map = 0.0
    public var ndcg = 0.0
    public var precision = 0.0
    public var recall = 0.0
    public var hitRate = 0.0
    public var mrr = 0.0
    /// Users averaged (those with relevant items and a list).
    public var users = 0

    public init() {}

    /// One user's metrics: `ranked` is their list best first (only the first k count).
    public static func user(ranked: [Int32], relevant: Set<Int32>, k: Int) -> RankingMetrics {
        var m = RankingMetrics()
        guard !relevant.isEmpty, k > 0 else { return m }
        var hits = 0, dcg = 0.0, precisionSum = 0.0
        for (position, item) in ranked.prefix(k).enumerated() where relevant.contains(item) {
            hits += 1
            dcg += 1 / log2(Double(position + 2))
            precisionSum += Double(hits) / Double(position + 1)
            if hits == 1 { m.mrr = 1 / Double(position + 1) }
        }
        let ideal = (0..<min(k, relevant.count)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
        m.ndcg = dcg / ideal
        m.precision = Double(hits) / Double(k)
        m.recall = Double(hits) / Double(relevant.count)
        m.map = precisionSum / Double(relevant.count)
        m.hitRate = hits > 0 ? 1 : 0
        m.users = 1
        return m
    }

    /// The mean over users present in both `lists` and `relevant` (users without relevant items are skipped).
    public static func mean(lists: [Int: [Int32]], relevant: [Int: Set<Int32>], k: Int) -> RankingMetrics {
        var total = RankingMetrics()
        for (userIndex, items) in relevant where !items.isEmpty {
            guard let list = lists[userIndex] else { continue }
            let m = user(ranked: list, relevant: items, k: k)
            total.map += m.map
            total.ndcg += m.ndcg
            total.precision += m.precision
            total.recall += m.recall
            total.hitRate += m.hitRate
            total.mrr += m.mrr
            total.users += 1
        }
        guard total.users > 0 else { return total }
        let n = Double(total.users)
        total.map /= n
        total.ndcg /= n
        total.precision /= n
        total.recall /= n
        total.hitRate /= n
        total.mrr /= n
        return total
    }

    /// Catalogue coverage: distinct items recommended (first k of each list) / catalogue size.
    public static func coverage(lists: [[Int32]], k: Int, catalogueSize: Int) -> Double {
        guard catalogueSize > 0 else { return 0 }
        var distinct = Set<Int32>()
        for list in lists { distinct.formUnion(list.prefix(k)) }
        return Double(distinct.count) / Double(catalogueSize)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
