import Foundation
import Testing
import GenreSettings

@Suite struct SettingsCatalogueTests {
    @Test("every default passes its own definition and is already canonical")
    func defaultsAreValid() throws {
        for d in SettingsCatalogue.definitions {
            #expect(try d.validate(d.defaultValue) == d.defaultValue, "\(d.key)")
            #expect(try d.parse(d.defaultValue.json) == d.defaultValue, "\(d.key) does not survive its own JSON text")
            if let range = d.range, let n = d.defaultValue.number { #expect(range.contains(n), "\(d.key)") }
        }
        #expect(SettingsCatalogue.byKey.count == SettingsCatalogue.definitions.count)
    }

    @Test("values are checked by type, range and allowed names, and canonicalised")
    func parsing() throws {
        func parse(_ key: String, _ text: String) throws -> SettingValue { try SettingsCatalogue.definition(key).parse(text) }
        #expect(try parse("als.factors", "128") == .number(128))
        #expect(try parse("als.factors", "\"128\"") == .number(128))     // a JSON string holding a number, as SQL accepts
        #expect(throws: SettingError.self) { try parse("als.factors", "2.5") }
        #expect(throws: SettingError.self) { try parse("als.factors", "0") }
        #expect(throws: SettingError.self) { try parse("bpr.learning_rate", "NaN") }
        #expect(try parse("bpr.learning_rate", "1e-6") == .number(1e-6))
        #expect(try parse("recommend.exclude_seen", "off") == .bool(false))
        #expect(throws: SettingError.self) { try parse("recommend.exclude_seen", "maybe") }
        #expect(try parse("collaborative.model", "bpr") == .string("bpr"))  // a bare word, as typed in a shell
        #expect(throws: SettingError.self) { try parse("collaborative.model", "svd") }
        #expect(try parse("blend.weights", "{\"content\": 1}") == .object(["content": .number(1)]))
        #expect(throws: SettingError.self) { try parse("blend.weights", "{\"magic\": 1}") }
        #expect(throws: SettingError.self) { try parse("blend.weights", "{\"content\": 0}") }
        #expect(throws: SettingError.self) { try parse("event.weights", "{\"Bad Name\": 1}") }
        #expect(throws: SettingError.self) { try parse("event.weights", "{\"view\": 101}") }
        #expect(try parse("experiment.conversion_events", "[\"click\", \"click\", \"like\"]") == .array([.string("click"), .string("like")]))
        #expect(throws: SettingError.self) { try parse("experiment.conversion_events", "[]") }
        #expect(throws: SettingError.unknownKey("als.factor")) { try SettingsCatalogue.definition("als.factor") }
        #expect(throws: SettingError.self) { try parse("embedding.template", String(repeating: "x", count: 10_001)) }
    }

    @Test("docs/SETTINGS.md holds the table generated from the catalogue (regenerate with `genre print-settings`)")
    func documentationIsGenerated() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/SETTINGS.md"), encoding: .utf8)
        let begin = try #require(doc.range(of: SettingsCatalogue.documentationBegin), "the table's begin marker is missing")
        let end = try #require(doc.range(of: SettingsCatalogue.documentationEnd), "the table's end marker is missing")
        #expect(String(doc[begin.lowerBound..<end.upperBound]) + "\n" == SettingsCatalogue.markdown)
    }
}
