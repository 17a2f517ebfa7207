import Testing
import GenrePostgres

@Suite struct PostgresErrorTests {
    @Test func urlPasswordIsMasked() {
        #expect(PostgresError.redact("postgresql://genre:s3cret@db.example:5432/genre?sslmode=require")
                == "postgresql://genre:***@db.example:5432/genre?sslmode=require")
        #expect(PostgresError.redact("postgres://u:p@localhost/db") == "postgres://u:***@localhost/db")
    }

    @Test func keywordPasswordIsMasked() {
        #expect(PostgresError.redact("host=localhost password=s3cret dbname=genre")
                == "host=localhost password=*** dbname=genre")
        #expect(PostgresError.redact("dbname=genre password=s3cret") == "dbname=genre password=***")
        #expect(PostgresError.redact("postgresql://localhost/genre?password=s3cret&sslmode=disable")
                == "postgresql://localhost/genre?password=***&sslmode=disable")
    }

    @Test(arguments: ["postgresql://genre@localhost/genre", "postgresql://localhost/genre",
                      "host=/tmp dbname=genre user=genre", ""])
    func withoutPasswordNothingChanges(conninfo: String) {
        #expect(PostgresError.redact(conninfo) == conninfo)
    }

    @Test func redactedTextNeverContainsThePassword() {
        for conninfo in ["postgresql://a:hunter2@h/d", "password=hunter2", "host=h password=hunter2 port=5"] {
            #expect(!PostgresError.redact(conninfo).contains("hunter2"), "\(conninfo)")
        }
    }

    @Test func connectionLossBySQLState() {
        #expect(PostgresError(kind: .query, sqlState: "08006", message: "connection failure").isConnectionLoss)
        #expect(PostgresError(kind: .query, sqlState: "57P01", message: "admin shutdown").isConnectionLoss)
        #expect(!PostgresError(kind: .query, sqlState: "23505", message: "duplicate key").isConnectionLoss)
        #expect(!PostgresError(kind: .query, sqlState: "57014", message: "query canceled").isConnectionLoss)
        #expect(!PostgresError(kind: .query, message: "no state").isConnectionLoss)
    }

    @Test func connectionLossByKind() {
        #expect(PostgresError(kind: .connectionLost, message: "socket closed").isConnectionLoss)
        #expect(PostgresError(kind: .connect, message: "refused").isConnectionLoss)
        #expect(!PostgresError(kind: .decode, message: "bad int").isConnectionLoss)
    }

    @Test func descriptionNamesContextStateDetailAndHint() {
        let error = PostgresError(kind: .query, sqlState: "23505", message: "duplicate key value",
                                  detail: "Key (id)=(1) already exists.", hint: "use upsert", context: "insert events")
        #expect(error.description
                == "insert events: duplicate key value (SQLSTATE 23505); detail: Key (id)=(1) already exists.; hint: use upsert")
        #expect(PostgresError(kind: .connect, message: "refused").description == "refused")
    }

    @Test func quotedKeywordPasswordIsMaskedWhole() {
        let redacted = PostgresError.redact("host=db password='a b\\' c' dbname=genre")
        #expect(redacted == "host=db password=*** dbname=genre")
    }
}
