import Testing
import GenreLLM
import GenreSupport

@Suite struct JSONSchemaProblemsTests {
    let features: JSONSchema

    init() throws {
        features = try JSONSchema(itemFeaturesSchema)
    }

    @Test("A conforming answer has no problems")
    func conforming() throws {
        let answer = try json("""
            {"summary": "A desert planet, a noble house, a prophecy.", "topics": ["politics", "ecology"],
             "keywords": ["Arrakis", "spice"], "audience": "Adult readers of epic science fiction"}
            """)
        #expect(features.problems(in: answer) == [])
    }

    @Test("A wrong element type is reported with its path and value")
    func wrongElementType() throws {
        let answer = try json(#"{"summary": "s", "topics": ["a", "b", 5], "keywords": [], "audience": "x"}"#)
        #expect(features.problems(in: answer) == ["$.topics[2]: expected a string, got 5"])
    }

    @Test("Missing required properties and properties not allowed are each reported")
    func missingAndExtra() throws {
        let answer = try json(#"{"summary": "s", "topics": [], "mood": "calm"}"#)
        #expect(features.problems(in: answer) == [
            "$.keywords: required property is missing",
            "$.audience: required property is missing",
            "$.mood: property is not allowed",
        ])
    }

    @Test("Extra properties are fine when additionalProperties is not false")
    func openObject() throws {
        let schema = try JSONSchema(try json(#"{"type": "object", "properties": {"a": {"type": "string"}}}"#))
        #expect(schema.problems(in: try json(#"{"a": "x", "b": 1}"#)) == [])
    }

    @Test("Too many items and too long strings are reported with the limit and the actual size")
    func limits() throws {
        let topics = (1...9).map { "\"t\($0)\"" }.joined(separator: ", ")
        let summary = String(repeating: "é", count: 401)
        let answer = try json(#"{"summary": "\#(summary)", "topics": [\#(topics)], "keywords": [], "audience": "x"}"#)
        #expect(features.problems(in: answer) == [
            "$.summary: expected at most 400 characters, got 401",
            "$.topics: expected at most 8 items, got 9",
        ])
    }

    @Test("Too few items are reported")
    func minItems() throws {
        let schema = try JSONSchema(try json(#"{"type": "array", "minItems": 1, "items": {"type": "string"}}"#))
        #expect(schema.problems(in: .array([])) == ["$: expected at least 1 item, got 0"])
    }

    @Test("A string outside the enum is reported with the allowed values")
    func enumeration() throws {
        let schema = try JSONSchema(try json(#"{"type": "string", "enum": ["calm", "tense"]}"#))
        #expect(schema.problems(in: .string("calm")) == [])
        #expect(schema.problems(in: .string("angry")) == [#"$: expected one of "calm", "tense", got "angry""#])
    }

    @Test("Numbers, integers and booleans are told apart")
    func scalars() throws {
        let schema = try JSONSchema(try json("""
            {"type": "object", "properties": {"n": {"type": "number"}, "i": {"type": "integer"}, "b": {"type": "boolean"}}}
            """))
        #expect(schema.problems(in: try json(#"{"n": 2.5, "i": 3, "b": false}"#)) == [])
        #expect(schema.problems(in: try json(#"{"n": "2.5", "i": 2.5, "b": 1}"#)) == [
            "$.b: expected a boolean, got 1",
            "$.i: expected an integer, got 2.5",
            #"$.n: expected a number, got "2.5""#,
        ])
    }

    @Test("Containers of the wrong type are named, not printed")
    func wrongContainer() throws {
        #expect(features.problems(in: .array([])) == ["$: expected an object, got an array"])
        let answer = try json(#"{"summary": {"text": "s"}, "topics": "a, b", "keywords": [], "audience": null}"#)
        #expect(features.problems(in: answer) == [
            "$.audience: expected a string, got null",
            "$.summary: expected a string, got an object",
            #"$.topics: expected an array, got "a, b""#,
        ])
    }

    @Test("A long offending value is shortened in the message")
    func longValueShortened() throws {
        let schema = try JSONSchema(try json(#"{"type": "number"}"#))
        let problem = try #require(schema.problems(in: .string(String(repeating: "x", count: 500))).first)
        #expect(problem == "$: expected a number, got \"" + String(repeating: "x", count: 39) + "…")
    }

    @Test("Member names that are not identifiers are quoted in the path")
    func quotedPath() throws {
        let schema = try JSONSchema(try json(#"{"type": "object", "properties": {"first name": {"type": "string"}}}"#))
        #expect(schema.problems(in: try json(#"{"first name": 1}"#)) == [#"$["first name"]: expected a string, got 1"#])
    }
}
