import Foundation

/// Runs `produce(0..<count)` on `workers` background threads, at most `lookahead` chunks ahead of the
/// consumer, and hands the results to `consume` in index order on the calling thread.
///
/// Used to overlap scoring and encoding (CPU, here) with COPY (the server's CPU, over the socket): a full
/// refresh then takes about as long as the slower of the two instead of their sum, with bounded memory.
public func orderedPipeline<Chunk: Sendable>(count: Int, workers: Int = 1, lookahead: Int = 8,
                                      produce: @escaping @Sendable (Int) -> Chunk,
                                      consume: (Chunk) throws -> Void) rethrows {
    guard count > 0 else { return }
    let state = PipelineState<Chunk>(lookahead: max(1, lookahead))
    let threads = (0..<max(1, min(workers, count))).map { _ in
        Thread {
            while let index = state.nextIndex(count: count) {
                state.store(index, produce(index))
            }
        }
    }
    threads.forEach { $0.start() }
    defer { state.cancel() }
    for index in 0..<count {
        try consume(state.take(index))
    }
}

/// Shared between the producers and the consumer of `orderedPipeline`; every access holds `condition`.
private final class PipelineState<Chunk: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: [Int: Chunk] = [:]
    private var nextToProduce = 0
    private var consumed = 0
    private var cancelled = false
    private let lookahead: Int

    init(lookahead: Int) { self.lookahead = lookahead }

    /// The next index to produce, waiting while the producers are `lookahead` ahead; nil when done.
    func nextIndex(count: Int) -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && nextToProduce < count && nextToProduce - consumed >= lookahead { condition.wait() }
        guard !cancelled, nextToProduce < count else { return nil }
        nextToProduce += 1
        return nextToProduce - 1
    }

    func store(_ index: Int, _ chunk: Chunk) {
        condition.lock()
        ready[index] = chunk
        condition.broadcast()
        condition.unlock()
    }

    func take(_ index: Int) -> Chunk {
        condition.lock()
        defer { condition.unlock() }
        while ready[index] == nil { condition.wait() }
        consumed = index + 1
        condition.broadcast()
        return ready.removeValue(forKey: index)!
    }

    /// Stops the producers (after the consumer finished or threw).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
