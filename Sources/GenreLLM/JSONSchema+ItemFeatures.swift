import GenreSupport

extension JSONSchema {
    /// The answer asked for when a model reads an item's text, unless genre.settings names another schema: a
    /// short summary, topics and keywords (lists a content model can match users against), and who the item is
    /// for. The limits keep answers cheap to store and to embed, and stop a rambling model early.
    public static let itemFeaturesDefault: JSONValue = .object([
        "type": .string("object"),
        "properties": .object([
            "summary": .object(["type": .string("string"), "maxLength": .number(400)]),
            "topics": stringList(maxItems: 8, maxLength: 60),
            "keywords": stringList(maxItems: 12, maxLength: 40),
            "audience": .object(["type": .string("string"), "maxLength": .number(200)]),
        ]),
        "required": .array(["summary", "topics", "keywords", "audience"].map(JSONValue.string)),
        "additionalProperties": .bool(false),
    ])

    private static func stringList(maxItems: Int, maxLength: Int) -> JSONValue {
        .object([
            "type": .string("array"),
            "maxItems": .number(Double(maxItems)),
            "items": .object(["type": .string("string"), "maxLength": .number(Double(maxLength))]),
        ])
    }
}
