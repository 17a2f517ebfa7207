import Foundation
import Testing
import GenreSupport

/// `genre generate` and `genre eval --item-features/--user-profiles`, run as processes against a scripted
/// provider on a small dataset in CSV files.
@Suite("offline generation", .enabled(if: ProcessInfo.processInfo.environment["GENRE_BIN"] != nil || TestDatabase.isCI))
struct OfflineGenerationTests {
    static func dataset() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("genre-offline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try """
            item_id,title,description,tags,category
            s1,A space opera about rebels,,space|war,film
            s2,Interstellar war between starship fleets,,space,film
            b1,Baking sourdough bread,,bread,cooking
            b2,Kneading dough for crusty loaves,,bread,cooking
            """.write(to: dir.appendingPathComponent("items.csv"), atomically: true, encoding: .utf8)
        try """
            user_id,item_id,weight,timestamp
            u1,s1,1,100
            u1,s2,1,200
            u1,b1,1,300
            u2,b1,1,100
            u2,b2,1,200
            u2,s1,1,300
            u3,s2,1,100
            u3,s1,1,200
            """.write(to: dir.appendingPathComponent("events.csv"), atomically: true, encoding: .utf8)
        return dir
    }

    static func lines(_ url: URL) throws -> [JSONValue] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").compactMap { JSONValue.strict(String($0)) }
    }

    @Test("items and profiles to JSONL: resumable, cached on disk, profiles from the train part only; eval reads both")
    func generateAndEvaluate() throws {
        let server = try ScriptedHTTPServer { request, _ in
            let prompt = JSONValue.strict(request.text)?["messages"]?.array?.last?["content"]?.string ?? ""
            if prompt.hasPrefix("The user's history") {
                return .json(openAIAnswer(profileAnswer(prompt.contains("space") ? ["space battles"] : ["bread"])))
            }
            return .json(openAIAnswer(featuresAnswer(for: request)))
        }
        defer { server.stop() }
        let dir = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let common = ["--interactions", dir.appendingPathComponent("events.csv").path, "--items", dir.appendingPathComponent("items.csv").path,
                      "--provider-url", server.baseURL.absoluteString + "/v1", "--model", "test-model",
                      "--cache-dir", dir.appendingPathComponent("cache").path]
        let features = dir.appendingPathComponent("features.jsonl")
        #expect(try GenreProcess.run(["generate", "items"] + common + ["--output", features.path, "--limit", "2"]) == 0)
        #expect(try Self.lines(features).count == 2 && server.requests.count == 2)
        // Resumed: the two written are not asked again.
        #expect(try GenreProcess.run(["generate", "items"] + common + ["--output", features.path]) == 0)
        let rows = try Self.lines(features)
        #expect(rows.count == 4 && Set(rows.compactMap { $0["item_id"]?.string }) == ["s1", "s2", "b1", "b2"] && server.requests.count == 4)
        #expect(rows.allSatisfy { $0["summary"]?.string != nil && $0["topics"]?.array != nil })
        // A new file from the same answers: all from the disk cache.
        let again = dir.appendingPathComponent("again.jsonl")
        #expect(try GenreProcess.run(["generate", "items"] + common + ["--output", again.path]) == 0)
        #expect(try Self.lines(again).count == 4 && server.requests.count == 4)

        // Profiles read the train part (leave-last-out holds out each user's newest) with the items' topics.
        let profiles = dir.appendingPathComponent("profiles.jsonl")
        #expect(try GenreProcess.run(["generate", "profiles"] + common + ["--protocol", "leave-last-out", "--item-features", features.path,
                                                                          "--output", profiles.path]) == 0)
        let users = try Self.lines(profiles)
        #expect(users.count == 3 && users.allSatisfy { $0["interests"]?.array?.isEmpty == false && $0["user_id"]?.string != nil })
        let u1Prompt = try #require(server.requests.first { $0.text.contains("The user's history") && $0.text.contains("Interstellar") && !$0.text.contains("Kneading") })
        #expect(!u1Prompt.text.contains("sourdough"), "u1's newest item (b1) is held out, never shown to the model")
        #expect(u1Prompt.text.contains("[space, war]"), "the items' generated topics join the history")

        // A bad file is refused naming the line.
        let bad = dir.appendingPathComponent("bad.jsonl")
        try "{\"item_id\": \"s1\"}\nnot json\n".write(to: bad, atomically: true, encoding: .utf8)
        #expect(try GenreProcess.run(["eval", "--interactions", dir.appendingPathComponent("events.csv").path, "--items",
                                      dir.appendingPathComponent("items.csv").path, "--item-features", bad.path, "--model", "popularity"]) != 0)
    }

    @Test("genre eval uses generated features and profiles as the daemon does", .enabled(if: EmbeddingPipelineTests.modelReady))
    func evalReadsFiles() throws {
        let dir = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let features = dir.appendingPathComponent("features.jsonl")
        try """
            {"item_id": "s1", "summary": "Rebels fight an empire in space", "topics": ["space", "rebellion"]}
            {"item_id": "b1", "summary": "Bread baking at home", "topics": ["baking"]}
            """.write(to: features, atomically: true, encoding: .utf8)
        let profiles = dir.appendingPathComponent("profiles.jsonl")
        try "{\"user_id\": \"u3\", \"interests\": [\"bread baking\"], \"summary\": \"Bakes.\"}\n".write(to: profiles, atomically: true, encoding: .utf8)
        let arguments = ["eval", "--interactions", dir.appendingPathComponent("events.csv").path, "--items", dir.appendingPathComponent("items.csv").path,
                         "--protocol", "leave-last-out", "--model", "content", "--k", "2", "--item-features", features.path,
                         "--user-profiles", profiles.path, "--set", "interest.profile_weight=50"]
        let withProfile = dir.appendingPathComponent("with.csv"), without = dir.appendingPathComponent("without.csv")
        let json = dir.appendingPathComponent("eval.json")
        #expect(try GenreProcess.run(arguments + ["--predictions", withProfile.path, "--json", json.path]) == 0)
        // Every evaluated user is in exactly one history group (here all have two train items: ≤5).
        let result = try #require(JSONValue.strict(try String(contentsOf: json, encoding: .utf8)))
        let groups = try #require(result["groups"]?.object)
        #expect(Set(groups.keys) == ["≤5", "6–20", ">20"])
        #expect(groups["≤5"]?["users"] == result["users"] && groups[">20"]?["users"] == .number(0))
        #expect(try GenreProcess.run(arguments.dropLast(4) + ["--predictions", without.path]) == 0)
        // u3 (space films in train) is pulled to bread by the profile only.
        let first = { (url: URL) throws -> String? in
            try String(contentsOf: url, encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("u3,1,") }.map { String($0.split(separator: ",")[2]) }
        }
        #expect(try first(without) != "b2" && first(withProfile) == "b2")
    }
}
