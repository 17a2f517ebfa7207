import Testing
@testable import GenreLLM
import GenreSupport

private func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }

@Suite struct UserProfilingTests {
    let task = UserProfiling(maxInterests: 3, maxTokens: 200, historyTokens: 40)

    @Test("the history reads one line per event, newest first, and stops at the token budget")
    func historyWithinBudget() {
        let events = [
            UserProfiling.Event(type: "dislike", title: "Cats", topics: "musical, dance"),
            UserProfiling.Event(type: "search", text: "heist\nfilms"),
            UserProfiling.Event(type: "comment", title: "Heat", text: "great shootout"),
            UserProfiling.Event(type: "view"),  // nothing to say: skipped
        ] + Array(repeating: UserProfiling.Event(type: "purchase", title: "A long title about nothing in particular at all"), count: 10)
        let history = task.historyText(events)
        let lines = history.text.split(separator: "\n")
        #expect(lines.prefix(3) == ["dislike: Cats [musical, dance]", "search: \"heist films\"", "comment on Heat: \"great shootout\""])
        #expect(history.events == lines.count && history.events < 13, "the budget cuts the old purchases")
        #expect(TokenEstimate.tokens(history.text) <= 40)
    }

    @Test("the profile in an answer: trimmed, repeats and empty interests dropped, at most maxInterests")
    func profileFromAnswer() {
        let answer = JSONValue.object(["interests": strings([" Heists ", "heists", "", "jazz", "noir", "war"]), "summary": .string(" Likes crime. ")])
        #expect(task.profile(from: answer) == .init(interests: ["Heists", "jazz", "noir"], summary: "Likes crime."))
        #expect(task.profile(from: .object(["interests": strings([" "]), "summary": .string("x")])) == nil)
        #expect(task.profile(from: .object(["summary": .string("x")])) == nil)
    }

    @Test("the schema bounds the interests; the prompt hash changes with the limits")
    func schemaAndHash() throws {
        #expect(task.schema.problems(in: .object(["interests": strings(["a", "b", "c", "d"]), "summary": .string("s")])).isEmpty == false)
        #expect(task.schema.problems(in: .object(["interests": strings(["a"]), "summary": .string("s")])).isEmpty)
        #expect(task.promptHash != UserProfiling(maxInterests: 3, maxTokens: 200, historyTokens: 41).promptHash)
        #expect(task.promptHash == UserProfiling(maxInterests: 3, maxTokens: 200, historyTokens: 40).promptHash)
    }
}
