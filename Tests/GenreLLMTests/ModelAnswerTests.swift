import Testing
import GenreLLM
import GenreSupport

@Suite struct ModelAnswerTests {
    @Test("Bare JSON is taken as it is")
    func bareJSON() throws {
        #expect(ModelAnswer.json(in: #"  {"summary": "A heist.", "topics": ["crime"]}\#n"#) == (try json(#"{"summary": "A heist.", "topics": ["crime"]}"#)))
        #expect(ModelAnswer.json(in: #"["a", "b"]"#) == (try json(#"["a", "b"]"#)))
    }

    @Test("A preamble and a closing remark around the object are skipped")
    func preambleAndRemark() throws {
        let text = """
            Sure! Here is the JSON you asked for:
            {"summary": "A heist in Paris.", "audience": "Adults"}
            Let me know if you need anything else.
            """
        #expect(ModelAnswer.json(in: text) == (try json(#"{"summary": "A heist in Paris.", "audience": "Adults"}"#)))
    }

    @Test("A ```json fence is read, and wins over an example object in the prose before it")
    func jsonFence() throws {
        let text = """
            You asked for the format {"summary": "…"}, so here it is:

            ```json
            {"summary": "Two brothers run a farm.", "keywords": ["farm", "family"]}
            ```
            """
        #expect(ModelAnswer.json(in: text) == (try json(#"{"summary": "Two brothers run a farm.", "keywords": ["farm", "family"]}"#)))
    }

    @Test("A bare ``` fence is read, even when what it holds is not an object")
    func bareFence() throws {
        let text = """
            The topics, as {"type": "array"} asks:
            ```
            ["drama", "family"]
            ```
            """
        #expect(ModelAnswer.json(in: text) == (try json(#"["drama", "family"]"#)))
    }

    @Test("Without fences, braces in prose that do not parse are skipped")
    func proseBraces() throws {
        let text = #"The format is {summary}. Answer: {"summary": "A quiet drama."}"#
        #expect(ModelAnswer.json(in: text) == (try json(#"{"summary": "A quiet drama."}"#)))
    }

    @Test("Braces and escaped quotes inside strings do not end the object")
    func stringAware() throws {
        let text = #"Answer: {"summary": "Uses {braces} and \"quotes}\" freely", "n": 1} done"#
        #expect(ModelAnswer.json(in: text) == .object(["summary": .string(#"Uses {braces} and "quotes}" freely"#), "n": .number(1)]))
    }

    @Test("Of two objects, the first is the answer")
    func twoObjects() throws {
        let text = #"{"summary": "first"} and then {"summary": "second"}"#
        #expect(ModelAnswer.json(in: text) == (try json(#"{"summary": "first"}"#)))
    }

    @Test("A broken object is skipped whole: its inner objects are not mistaken for the answer")
    func brokenObjectSkippedWhole() throws {
        #expect(ModelAnswer.json(in: #"{"meta": {"ok": true}, "summary": oops}"#) == nil)
        #expect(ModelAnswer.json(in: #"{"meta": {"ok": true}, oops} {"summary": "fine"}"#) == (try json(#"{"summary": "fine"}"#)))
    }

    @Test("Output cut off mid-object gives nil")
    func truncated() {
        #expect(ModelAnswer.json(in: #"Here: {"summary": "A long tale", "meta": {"source": "blurb"}, "topics": ["war"#) == nil)
        #expect(ModelAnswer.json(in: #"{"summary": "A long tale of"#) == nil)
        #expect(ModelAnswer.json(in: "```json\n{\"summary\": \"cut") == nil)
    }

    @Test("Text without JSON gives nil")
    func noJSON() {
        #expect(ModelAnswer.json(in: "I'm sorry, I can't help with that.") == nil)
        #expect(ModelAnswer.json(in: "") == nil)
    }

    @Test("Trailing commas before } and ] are tolerated (Foundation's decoder accepts them)")
    func trailingCommas() throws {
        let text = "```json\n{\"topics\": [\"war\", \"peace\",], \"summary\": \"Yes, ]\",\n}\n```"
        #expect(ModelAnswer.json(in: text) == (try json(#"{"topics": ["war", "peace"], "summary": "Yes, ]"}"#)))
    }

    @Test("Typographic quotes used as JSON quotes are straightened; valid JSON keeps its own")
    func smartQuotes() throws {
        #expect(ModelAnswer.json(in: "{“summary”: “A heist.”}") == (try json(#"{"summary": "A heist."}"#)))
        #expect(ModelAnswer.json(in: #"{"summary": "The “Great” Gatsby"}"#) == .object(["summary": .string("The “Great” Gatsby")]))
    }

    @Test("A reasoning block before the answer is ignored, drafts and all")
    func reasoningBlock() throws {
        let text = """
            <think>The user wants JSON. Draft: {"summary": "draft"}. Better make it shorter.</think>
            {"summary": "final"}
            """
        #expect(ModelAnswer.json(in: text) == (try json(#"{"summary": "final"}"#)))
    }
}
