import Foundation
import GenrePostgres
import GenreRecommend

/// The real-time path for one user: read their events (the table is the truth, not the aggregate, so an
/// event committed a millisecond ago counts) and their embedded search/comment texts, build their interest
/// vector, fold them into the collaborative model, blend for every scenario with the current snapshot, replace their rows.
struct UserRefresher {
    func refresh(user: String, snapshot: ModelSnapshot, settings: DaemonSettings, on connection: PostgresConnection) throws -> Int {
        let rows = try connection.query("""
            SELECT item_id, event_type, count(*) FILTER (WHERE weight IS NULL), coalesce(sum(weight), 0)::float8,
                   extract(epoch FROM max(occurred_at))::float8
              FROM genre.events WHERE user_id = $1 AND item_id IS NOT NULL
             GROUP BY item_id, event_type
            """, [user], context: "read history of one user")
        var groups: [UserHistory.EventGroup] = []
        groups.reserveCapacity(rows.rowCount)
        for row in 0..<rows.rowCount {
            guard let item = rows.string(row, 0).flatMap({ snapshot.itemIndex[$0] }) else { continue }
            groups.append(.init(item: item, eventType: rows.string(row, 1) ?? "", defaultCount: try rows.int(row, 2) ?? 0,
                                explicitWeight: try rows.double(row, 3) ?? 0, lastAt: try rows.double(row, 4) ?? 0))
        }
        let texts = try ItemVectors.loadTexts(connection, user: user, model: snapshot.vectors.model)[user] ?? []
        let now = Date().timeIntervalSince1970
        let scenarios = ScenarioLists(snapshot: snapshot, settings: settings)
        var scratch = BehaviourRecommender.Scratch(itemCount: snapshot.catalog.ids.count, anchors: snapshot.recommender.anchorsPerItem)
        // The collaborative model folds the user in from their history (no trained scores here).
        let lists = try scenarios.lists(groups: groups, texts: texts, now: now,
                                    shared: scenarios.shared(groups: groups, texts: texts, now: now), scratch: &scratch)
        let written = try connection.query("SELECT genre._write_user_recommendations($1, $2::jsonb)",
                                           [user, RecommendationRows.jsonArray(lists, catalog: snapshot.catalog, phrases: settings.phrases)],
                                           context: "write recommendations of one user")
        return try written.int(0, 0) ?? 0
    }
}
