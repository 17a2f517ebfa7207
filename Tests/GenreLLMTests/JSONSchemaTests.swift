import Testing
import GenreLLM
import GenreSupport

@Suite struct JSONSchemaTests {
    @Test("the default item-features schema (setting features.schema) is within the subset and lists its properties in required order")
    func itemFeaturesDefault() throws {
        let schema = try JSONSchema(itemFeaturesSchema)
        #expect(schema.type == .object)
        #expect(schema.propertyNames == ["summary", "topics", "keywords", "audience"])
        #expect(schema.value == itemFeaturesSchema)
    }

    @Test("the default item-features schema has the limits docs/SETTINGS.md shows")
    func itemFeaturesLimits() throws {
        let schema = itemFeaturesSchema
        #expect(schema["properties"]?["summary"] == (try json(#"{"type": "string", "maxLength": 400}"#)))
        #expect(schema["properties"]?["topics"] == (try json(#"{"type": "array", "maxItems": 8, "items": {"type": "string", "maxLength": 60}}"#)))
        #expect(schema["properties"]?["keywords"] == (try json(#"{"type": "array", "maxItems": 12, "items": {"type": "string", "maxLength": 40}}"#)))
        #expect(schema["properties"]?["audience"] == (try json(#"{"type": "string", "maxLength": 200}"#)))
        #expect(schema["additionalProperties"] == .bool(false))
    }

    @Test("Property names put the required ones first, in their order, then the rest sorted")
    func propertyNamesOrder() throws {
        let schema = try JSONSchema(try json("""
            {"type": "object", "required": ["title", "author"],
             "properties": {"year": {"type": "integer"}, "author": {"type": "string"}, "title": {"type": "string"},
                            "genre": {"type": "string"}}}
            """))
        #expect(schema.propertyNames == ["title", "author", "genre", "year"])
    }

    @Test("Annotations (description, title) are accepted: they constrain nothing")
    func annotationsAccepted() throws {
        let schema = try JSONSchema(try json(#"{"type": "string", "title": "Mood", "description": "One word"}"#))
        #expect(schema.type == .string)
    }

    @Test("A keyword outside the subset is refused, named, with where it is")
    func unsupportedKeyword() throws {
        let error = try refusal(#"""
            {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}}}}
            """#)
        #expect(error.keyword == "pattern")
        #expect(error.path == "$.properties.tags.items")
        #expect(error.description == #"$.properties.tags.items: unsupported keyword "pattern""#)
    }

    @Test("A keyword that belongs to another type is refused rather than ignored")
    func misplacedKeyword() throws {
        let error = try refusal(#"{"type": "array", "maxLength": 40, "items": {"type": "string"}}"#)
        #expect(error.keyword == "maxLength")
        #expect(error.description.contains("does not apply to type array"))
    }

    @Test("A schema without a type, or with a type outside the subset, is refused")
    func badType() throws {
        #expect(try refusal(#"{"maxLength": 3}"#).keyword == "type")
        #expect(try refusal(#"{"type": "null"}"#).keyword == "type")
        #expect(try refusal(#"{"type": ["string", "null"]}"#).keyword == "type")
    }

    @Test("Keyword values of the wrong kind are refused, naming the keyword")
    func badKeywordValues() throws {
        #expect(try refusal(#"{"type": "array", "maxItems": -1}"#).keyword == "maxItems")
        #expect(try refusal(#"{"type": "array", "minItems": 1.5}"#).keyword == "minItems")
        #expect(try refusal(#"{"type": "string", "maxLength": "40"}"#).keyword == "maxLength")
        #expect(try refusal(#"{"type": "string", "enum": ["a", 1]}"#).keyword == "enum")
        #expect(try refusal(#"{"type": "string", "enum": []}"#).keyword == "enum")
        #expect(try refusal(#"{"type": "object", "properties": []}"#).keyword == "properties")
        #expect(try refusal(#"{"type": "object", "required": "a"}"#).keyword == "required")
        #expect(try refusal(#"{"type": "object", "additionalProperties": {"type": "string"}}"#).keyword == "additionalProperties")
    }

    @Test("Contradictions are refused: a required property that is not defined, minItems above maxItems")
    func contradictions() throws {
        let missing = try refusal(#"{"type": "object", "required": ["summary"], "properties": {"topics": {"type": "string"}}}"#)
        #expect(missing.keyword == "required")
        #expect(missing.description.contains("summary"))
        #expect(try refusal(#"{"type": "array", "minItems": 3, "maxItems": 2}"#).keyword == "minItems")
    }

    @Test("A schema that is not an object is refused")
    func notAnObject() throws {
        let error = try refusal(#"["type", "string"]"#)
        #expect(error.keyword == nil)
        #expect(error.path == "$")
    }

    private func refusal(_ text: String) throws -> JSONSchema.Invalid {
        let schema = try json(text)
        return try #require(#expect(throws: JSONSchema.Invalid.self) { try JSONSchema(schema) })
    }
}
