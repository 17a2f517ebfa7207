import Foundation
import GenreImporters
import GenrePostgres

enum GenreImport {
    static func movieLens(directory: String, connection: PostgresConnection, maxUsers: Int?) throws -> MovieLensImporter.Summary {
        try MovieLensImporter(directory: URL(fileURLWithPath: directory)).importAll(into: connection, maxUsers: maxUsers)
    }
}
