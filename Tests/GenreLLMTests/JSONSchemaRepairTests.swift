import Testing
import GenreLLM
import GenreSupport

@Suite struct JSONSchemaRepairTests {
    let features: JSONSchema

    init() throws {
        features = try JSONSchema(itemFeaturesSchema)
    }

    @Test("A typical small-model answer is repaired into a conforming one")
    func typicalAnswer() throws {
        let answer = try json("""
            {"Summary": ["A desert planet and a prophecy."], "topics": "politics, ecology; religion\\n",
             "Keywords": ["Arrakis", "spice"], "audience": "Adults", "confidence": "high"}
            """)
        let repaired = features.repair(answer)
        #expect(repaired == (try json("""
            {"summary": "A desert planet and a prophecy.", "topics": ["politics", "ecology", "religion"],
             "keywords": ["Arrakis", "spice"], "audience": "Adults"}
            """)))
        #expect(features.problems(in: repaired) == [])
    }

    @Test("A conforming answer is returned unchanged")
    func conformingUnchanged() throws {
        let answer = try json(#"{"summary": "s", "topics": ["a"], "keywords": [], "audience": "x"}"#)
        #expect(features.repair(answer) == answer)
    }

    @Test("A list written as one string is split on commas, semicolons and newlines, trimmed, empties dropped")
    func stringToList() throws {
        let schema = try JSONSchema(try json(#"{"type": "array", "items": {"type": "string"}}"#))
        #expect(schema.repair(.string(" sci-fi ,space opera;;\nclassic\r\n, ")) == (try json(#"["sci-fi", "space opera", "classic"]"#)))
        #expect(schema.repair(.string("")) == .array([]))
    }

    @Test("A string is not split where the array's items are not strings")
    func noSplitForOtherItems() throws {
        let schema = try JSONSchema(try json(#"{"type": "array", "items": {"type": "number"}}"#))
        #expect(schema.repair(.string("1, 2")) == .string("1, 2"))
    }

    @Test("A one-element array holding a string becomes the string; longer arrays stay")
    func singleElementArray() throws {
        let schema = try JSONSchema(try json(#"{"type": "string"}"#))
        #expect(schema.repair(try json(#"["calm"]"#)) == .string("calm"))
        #expect(schema.repair(try json(#"["calm", "tense"]"#)) == (try json(#"["calm", "tense"]"#)))
        #expect(schema.repair(try json("[5]")) == (try json("[5]")))
    }

    @Test("Numbers written as strings become numbers; integers only when whole")
    func numericStrings() throws {
        let number = try JSONSchema(try json(#"{"type": "number"}"#))
        let integer = try JSONSchema(try json(#"{"type": "integer"}"#))
        #expect(number.repair(.string(" 2.5 ")) == .number(2.5))
        #expect(number.repair(.string("-1e3")) == .number(-1000))
        #expect(integer.repair(.string("5")) == .number(5))
        #expect(integer.repair(.string("2.5")) == .string("2.5"))
    }

    @Test("Only JSON number syntax is read: no words, hex, infinity or NaN")
    func numericStringsStrict() throws {
        let number = try JSONSchema(try json(#"{"type": "number"}"#))
        for text in ["5 stars", "0x1A", "inf", "nan", "1e400", "", "five"] {
            #expect(number.repair(.string(text)) == .string(text))
        }
    }

    @Test("Arrays longer than maxItems keep their first items")
    func maxItemsCut() throws {
        let schema = try JSONSchema(try json(#"{"type": "array", "maxItems": 2, "items": {"type": "string"}}"#))
        #expect(schema.repair(try json(#"["a", "b", "c"]"#)) == (try json(#"["a", "b"]"#)))
        #expect(schema.repair(.string("a, b, c")) == (try json(#"["a", "b"]"#)))
    }

    @Test("Strings longer than maxLength are cut at a word boundary")
    func maxLengthCut() throws {
        let schema = try JSONSchema(try json(#"{"type": "string", "maxLength": 20}"#))
        #expect(schema.repair(.string("A young duke, exiled to a desert planet")) == .string("A young duke, exiled"))
        #expect(schema.repair(.string("A young duke, banished forever")) == .string("A young duke"))
        #expect(schema.repair(.string("Supercalifragilisticexpialidocious")) == .string("Supercalifragilistic"))
        #expect(schema.repair(.string("Short enough")) == .string("Short enough"))
    }

    @Test("Cutting counts Unicode scalars and never splits a character")
    func maxLengthUnicode() throws {
        let schema = try JSONSchema(try json(#"{"type": "string", "maxLength": 5}"#))
        #expect(schema.repair(.string("éééééé")) == .string("ééééé"))
        // "e" + combining acute is two scalars: a third one would not fit whole.
        #expect(schema.repair(.string("e\u{301}e\u{301}e\u{301}")) == .string("e\u{301}e\u{301}"))
    }

    @Test("Items are repaired inside arrays, members inside objects")
    func nested() throws {
        let repaired = features.repair(try json(#"{"topics": ["a very long topic name that keeps going and going well past sixty characters"]}"#))
        #expect(repaired == (try json(#"{"topics": ["a very long topic name that keeps going and going well past"]}"#)))
    }

    @Test("Member names are matched ignoring case; an exact match wins over a differently cased one")
    func caseInsensitiveKeys() throws {
        let answer = try json(#"{"AUDIENCE": "teens", "summary": "exact", "Summary": "cased"}"#)
        #expect(features.repair(answer) == (try json(#"{"audience": "teens", "summary": "exact"}"#)))
    }

    @Test("Unknown members are kept when additionalProperties is not false")
    func openObjectKeepsMembers() throws {
        let schema = try JSONSchema(try json(#"{"type": "object", "properties": {"a": {"type": "string"}}}"#))
        #expect(schema.repair(try json(#"{"A": ["x"], "b": 1}"#)) == (try json(#"{"a": "x", "b": 1}"#)))
    }

    @Test("Nothing is invented: missing or null required values stay missing or null")
    func nothingInvented() throws {
        let repaired = features.repair(try json(#"{"summary": null}"#))
        #expect(repaired == (try json(#"{"summary": null}"#)))
        #expect(features.problems(in: repaired).count == 4)
    }

    @Test("Values that cannot be fixed safely are left for problems(in:) to report")
    func unfixableLeftAlone() throws {
        let schema = try JSONSchema(try json(#"{"type": "string"}"#))
        #expect(schema.repair(.number(5)) == .number(5))
        #expect(schema.repair(.bool(true)) == .bool(true))
        #expect(features.repair(.string("summary")) == .string("summary"))
    }
}
