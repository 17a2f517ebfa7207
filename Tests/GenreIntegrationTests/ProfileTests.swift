import Foundation
import Testing
import GenreLLM
import GenreSupport
@testable import GenreDaemon
@testable import GenrePostgres

/// A profile answer that fits the profile schema.
func profileAnswer(_ interests: [String], summary: String = "Likes films about space.") -> String {
    JSONValue.object(["interests": .array(interests.map { .string($0) }), "summary": .string(summary)]).json
}

@Suite("user profiles", .enabled(if: TestDatabase.enabled))
struct ProfileTests {
    @Test("a person's profile: checked, versioned, wins over the generated one until cleared, and queued for embedding")
    func personCorrects() throws {
        let c = try TestDatabase.create().connect()
        #expect(try c.count("SELECT count(*) FROM genre.user_profile('u1')") == 0, "no profile yet")
        let refusals: [(String, String)] = [
            ("SELECT genre.set_user_profile('u1', '{}')", "give at least one interest"),
            ("SELECT genre.set_user_profile('u1', NULL)", "give at least one interest"),
            ("SELECT genre.set_user_profile('', ARRAY['jazz'])", "user_id must be a non-empty id"),
            ("SELECT genre.set_user_profile('u1', ARRAY['  '])", "an interest must not be empty"),
            ("SELECT genre.set_user_profile('u1', ARRAY[repeat('x', 201)])", "an interest is 201 characters long"),
            ("SELECT genre.set_user_profile('u1', ARRAY['jazz' || chr(7)])", "an interest contains control characters"),
            ("SELECT genre.set_user_profile('u1', array_fill('a'::text, ARRAY[21]))", "21 interests given; at most 20"),
            ("SELECT genre.set_user_profile('u1', ARRAY['jazz'], repeat('s', 2001))", "summary is 2001 characters long"),
        ]
        for (sql, message) in refusals {
            #expect(c.failure(sql)?.message.contains(message) == true, "\(sql): \(c.failure(sql)?.message ?? "accepted")")
        }
        #expect(try c.count("SELECT count(*) FROM genre.user_profiles") == 0, "nothing stored by a refused call")
        // The daemon's profile, then the person's correction (trimmed, duplicates dropped).
        try c.query("SELECT genre._store_profile('u1', ARRAY['space opera', 'war films'], 'Likes space.', 'p', 'm', 'ph', 'ih', 4, 10, 5, 7, 0)")
        #expect(try c.scalar("SELECT source || ':' || array_to_string(interests, '|') FROM genre.user_profile('u1')") == "model:space opera|war films")
        #expect(try c.scalar("SELECT genre.set_user_profile('u1', ARRAY[' heist films ', 'jazz', 'jazz'], 'Into heists.')") == "2")
        #expect(try c.scalar("SELECT version || ':' || source || ':' || array_to_string(interests, '|') || ':' || summary FROM genre.user_profile('u1')")
                == "2:person:heist films|jazz:Into heists.")
        // A newer generated version does not override the person.
        try c.query("SELECT genre._store_profile('u1', ARRAY['cooking'], NULL, 'p', 'm', 'ph', 'ih2', 6, 10, 5, 7, 0)")
        #expect(try c.scalar("SELECT source FROM genre.user_profile('u1')") == "person")
        // The same history read by the same task again adds no version.
        try c.query("SELECT genre._store_profile('u1', ARRAY['baking'], NULL, 'p', 'm', 'ph', 'ih2', 6, 10, 5, 7, 0)")
        #expect(try c.count("SELECT count(*) FROM genre.user_profiles WHERE user_id = 'u1'") == 3)
        #expect(try c.scalar("SELECT genre.clear_user_profile('u1')") == "t")
        #expect(try c.scalar("SELECT genre.clear_user_profile('u1')") == "f", "nothing left to clear")
        #expect(try c.scalar("SELECT version || ':' || source || ':' || array_to_string(interests, '|') FROM genre.user_profile('u1')") == "3:model:cooking")
        #expect(try c.count("SELECT count(*) FROM genre.user_profiles WHERE user_id = 'u1' AND cleared_at IS NOT NULL") == 1, "history kept")
        #expect(try c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'profile_texts' AND work_key = 'u1'") == 1)
    }

    @Test("profiles are generated when due (after N events or the interval), from the user's history, with provenance, never twice for the same history")
    func generatedWhenDue() throws {
        let server = try ScriptedHTTPServer { _, _ in .json(openAIAnswer(profileAnswer(["space battles", "space battles", " galactic empires "]))) }
        defer { server.stop() }
        let rig = try GenerationRig()
        try seedTopicItems(rig.c)
        try rig.provider(server, enabling: "profile.enabled")
        try rig.c.query("SELECT genre.set('profile.refresh_after_events', 3)")
        try rig.c.query("""
            INSERT INTO genre.events (user_id, item_id, event_type, text, occurred_at) VALUES
              ('fan', 'space-1', 'purchase', NULL, now() - interval '3 hours'), ('fan', NULL, 'search', 'rebel starfighters', now() - interval '2 hours'),
              ('fan', 'bake-1', 'dislike', NULL, now() - interval '1 hour'), ('quiet', 'garden', 'view', NULL, now())
            """)
        try rig.c.query("SELECT genre._apply_events()")
        #expect(try rig.c.count("SELECT new_events FROM genre.profile_activity WHERE user_id = 'fan'") == 3)
        try rig.drain("profiles")
        #expect(server.requests.count == 1, "only fan is due (quiet has 1 of 3 events)")
        let prompt = try #require(server.requests.first.flatMap { JSONValue.strict($0.text)?["messages"]?.array?.last?["content"]?.string })
        // Newest first: the dislike, the search, the purchase.
        #expect(prompt.contains("dislike: Baking sourdough bread") && prompt.contains("search: \"rebel starfighters\"")
                && prompt.contains("purchase: A space opera about rebels"), "\(prompt)")
        #expect(prompt.range(of: "dislike")!.lowerBound < prompt.range(of: "purchase")!.lowerBound)
        #expect(try rig.c.scalar("""
            SELECT array_to_string(interests, '|') || ':' || summary || ':' || provider || ':' || model || ':' || events_used || ':' || tokens_in
                   || ':' || tokens_out || ':' || (length(prompt_hash) = 64 AND length(input_hash) = 64)
              FROM genre.user_profiles WHERE user_id = 'fan'
            """) == "space battles|galactic empires:Likes films about space.:scripted:test-model:3:40:20:true")
        #expect(try rig.c.count("SELECT count(*) FROM genre.profile_activity WHERE user_id = 'fan'") == 0, "its events are accounted for")
        #expect(try rig.c.scalar("SELECT requests || '/' || tokens_in FROM genre.llm_usage WHERE task = 'profiles'") == "1/40")
        #expect(try rig.c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'profile_texts' AND work_key = 'fan'") == 1)
        // The interval makes a quiet user due too.
        try rig.c.query("UPDATE genre.profile_activity SET first_new_at = now() - interval '25 hours' WHERE user_id = 'quiet'")
        rig.service.swept["profiles"] = nil
        try rig.drain("profiles")
        let quietProfiles = try rig.c.count("SELECT count(*) FROM genre.user_profiles WHERE user_id = 'quiet'")
        #expect(server.requests.count == 2 && quietProfiles == 1)
        // Asked again for the same history (genre.request_user_profiles): the cache answers, no new version.
        #expect(try rig.c.scalar("SELECT genre.request_user_profiles(ARRAY['fan', 'nobody'])") == "1", "only users with events")
        try rig.drain("profiles")
        #expect(server.requests.count == 2)
        #expect(try rig.c.count("SELECT count(*) FROM genre.user_profiles WHERE user_id = 'fan'") == 1)
        #expect(try rig.c.scalar("SELECT cache_hits FROM genre.llm_usage WHERE task = 'profiles'") == "1")
        // Erasure: with every event of a user gone, so is the profile generated from them; with some gone, the
        // generated versions and their cached answers go (a summary may name what was deleted) and a new one is queued.
        try rig.c.query("DELETE FROM genre.events WHERE user_id = 'quiet'")
        #expect(try rig.c.count("SELECT count(*) FROM genre.user_profiles WHERE user_id = 'quiet'") == 0)
        let cachedBefore = try rig.c.count("SELECT count(*) FROM genre.llm_cache")
        try rig.c.query("DELETE FROM genre.events WHERE user_id = 'fan' AND event_type = 'search'")
        #expect(try rig.c.count("SELECT count(*) FROM genre.user_profiles WHERE user_id = 'fan'") == 0)
        #expect(try rig.c.count("SELECT count(*) FROM genre.llm_cache") == cachedBefore - 1)
        #expect(try rig.c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'profiles' AND work_key = 'fan'") == 1)
    }

    @Test("an answer without a usable interest is retried, then dead-lettered with the raw text; other users go on")
    func unusableAnswers() throws {
        let server = try ScriptedHTTPServer { request, _ in
            request.text.contains("garden") || request.text.contains("tomatoes")
                ? .json(openAIAnswer(profileAnswer(["   "]))) : .json(openAIAnswer(profileAnswer(["bread"])))
        }
        defer { server.stop() }
        let rig = try GenerationRig()
        try seedTopicItems(rig.c)
        try rig.provider(server, enabling: "profile.enabled")
        try rig.c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('g', 'garden', 'like'), ('b', 'bake-1', 'like')")
        try rig.c.query("SELECT genre.request_user_profiles(ARRAY['g', 'b'])")
        try eventually("the unusable profile to be dead-lettered", timeout: 20) {
            try rig.step()
            return try rig.c.count("SELECT count(*) FROM genre.dead_letters WHERE queue = 'profiles' AND work_key = 'g'") == 1
        }
        #expect(try rig.c.scalar("SELECT error FROM genre.dead_letters WHERE work_key = 'g'")?.contains("no interest that is not empty") == true)
        #expect(try rig.c.scalar("SELECT array_to_string(interests, '|') FROM genre.user_profile('b')") == "bread")
        #expect(try rig.c.count("SELECT count(*) FROM genre.user_profiles WHERE user_id = 'g'") == 0)
    }
}

extension EmbeddingPipelineTests {
    @Test("a profile a person sets is embedded, shapes their list and is cited in its reasons; cleared, it is gone again",
          .enabled(if: modelReady))
    func profileShapesTheList() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTopicItems(c)
        // Some behaviour, so there is a model and popular items, none of it about space.
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('a', 'bake-1', 'purchase'), ('a', 'bake-2', 'like'), ('b', 'garden', 'like'), ('reader', 'bake-1', 'view')")
        try c.query("SELECT genre.set('daemon.poll_interval_seconds', 0.2)")
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("a model that saw the item vectors", timeout: 120) {
            try c.scalar("SELECT (items_to_embed = 0 AND last_build_at IS NOT NULL)::text FROM genre.status()") == "true"
                && c.count("SELECT count(*) FROM genre.recommend('reader', 1)") > 0
        }
        try c.query("SELECT genre.set_user_profile('reader', ARRAY['battles between starship fleets'])")
        // (A list refreshed while a build ran is refreshed again once that build serves: wait for the settled list.)
        try eventually("the profile embedded and the list following it", timeout: 60) {
            try c.scalar("SELECT embedded::text FROM genre.user_profile('reader')") == "true"
                && c.scalar("SELECT item_id FROM genre.recommend('reader', 1)")?.hasPrefix("space") == true
                && c.scalar("SELECT reasons->>'summary' FROM genre.recommend('reader', 1)")?.hasPrefix("Matches your interest") == true
        }
        #expect(try c.count("SELECT dims FROM genre.user_profile_vectors WHERE user_id = 'reader'") == 384)
        let top = try c.query("SELECT reasons->>'summary', reasons->'similar_to'->>'event', item_id || ' ' || reasons::text FROM genre.recommend('reader', 1)")
        #expect(top.string(0, 0) == "Matches your interest in battles between starship fleets", "\(top.string(0, 2) ?? "")")
        #expect(top.string(0, 1) == "profile")
        try c.query("SELECT genre.clear_user_profile('reader')")
        try eventually("the vectors dropped and the list back to the reader's own history", timeout: 60) {
            try c.count("SELECT count(*) FROM genre.user_profile_vectors WHERE user_id = 'reader'") == 0
                && c.count("SELECT count(*) FROM genre.recommend('reader', 5) WHERE reasons->>'summary' LIKE '%your interest in%'") == 0
        }
    }
}
