import Foundation
import Logging
import Testing
@testable import GenreDaemon
@testable import GenrePostgres

/// A daemon running in this test process (its services on their own threads) against a test database.
struct TestDaemon {
    let context: DaemonContext
    let thread: Thread

    static func start(_ db: TestDatabase, trains: Bool = true) -> TestDaemon {
        var logger = Logger(label: "genre-test")
        logger.logLevel = .warning
        let context = DaemonContext(databaseURL: db.url, logger: logger, trains: trains)
        let daemon = Daemon(context: context)
        let thread = Thread { daemon.run() }
        thread.start()
        return TestDaemon(context: context, thread: thread)
    }

    func stop() throws {
        context.shutdown.trigger()
        try eventually("the daemon to stop", timeout: 15) { thread.isFinished }
    }
}

/// Four items whose texts fall into two obvious topics (space films, bread baking), and a fifth on its own.
func seedTopicItems(_ c: PostgresConnection) throws {
    try c.query("""
        INSERT INTO genre.items (item_id, title, category) VALUES
          ('space-1', 'A space opera about rebels fighting a galactic empire', 'film'),
          ('space-2', 'Interstellar war between starship fleets and an evil emperor', 'film'),
          ('bake-1', 'Baking sourdough bread with a wild yeast starter', 'cooking'),
          ('bake-2', 'Kneading dough and proofing loaves for crusty bread', 'cooking'),
          ('garden', 'Growing tomatoes on a sunny balcony', 'garden')
        """)
}

/// Two taste clusters for the scenario, tuning and experiment tests: items a1..a15 and b1..b15; user u<n>
/// purchases about three quarters of cluster a (even n) or b (odd n), at pseudo-random times within the
/// last 100 minutes (so a temporal hold-out mixes users and items); the daemon polls every 0.2 s.
func seedTwoClusters(_ c: PostgresConnection, users: Int) throws {
    try c.query("""
        INSERT INTO genre.items (item_id, title) SELECT c || i, c || '-title ' || i FROM unnest(ARRAY['a','b']) c, generate_series(1, 15) i;
        INSERT INTO genre.events (user_id, item_id, event_type, occurred_at)
          SELECT 'u' || u, (CASE WHEN u % 2 = 0 THEN 'a' ELSE 'b' END) || i, 'purchase', now() - make_interval(mins => (u * 37 + i * 11) % 101)
            FROM generate_series(1, \(users)) u, generate_series(1, 15) i WHERE (u * 7 + i * 3) % 4 <> 0;
        SELECT genre.set('daemon.poll_interval_seconds', 0.2);
        """)
}
