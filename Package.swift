// swift-tools-version: 6.1
import PackageDescription

/// Numeric code is optimised in every configuration: unoptimised SIMD and matrix loops are 20–100× slower,
/// which would make the debug daemon under `make test` (model builds, SIGTERM deadlines) unrepresentative.
/// Bounds checks stay on (`-O`): this code reads external data (tokens, rows, settings).
let numericCode: [SwiftSetting] = [
    .unsafeFlags(["-O"]),
]
/// The matrix kernels alone drop bounds checks in release builds: they take no external data, and each has a
/// naive reference it is tested against (Tests/GenreLinearAlgebraTests). Measured in docs/BENCHMARKS.md
/// ("Bounds checks").
let kernelCode: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
    name: "genre",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "genre", targets: ["genre"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // System library shim: the only place libpq's C API enters the package.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Matrix kernels over CBLAS (sgemm) and the elementwise ops a transformer needs; no model knowledge.
        .target(name: "GenreLinearAlgebra", dependencies: ["CBLAS"], swiftSettings: kernelCode),
        // all-MiniLM-L6-v2 in Swift: safetensors loader, BERT WordPiece tokenizer, encoder, pooling, model fetch.
        .target(name: "GenreEmbedding", dependencies: ["GenreLinearAlgebra", "GenreSupport"], swiftSettings: numericCode),
        // Connection, bound queries, binary COPY, LISTEN/NOTIFY, reconnect, SQLSTATE errors.
        .target(name: "GenrePostgres", dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")]),
        // Small shared utilities with no dependencies (SHA-256, JSON text helpers).
        .target(name: "GenreSupport"),
        // The settings catalogue: every key with its type, default, range and description, written once.
        .target(name: "GenreSettings", dependencies: ["GenreSupport"]),
        // Migration runner; the SQL lives in Sources/GenreSchema/sql (top-level sql/ links to it), bundled as a
        // resource, plus the settings catalogue rendered as SQL.
        .target(name: "GenreSchema", dependencies: ["GenrePostgres", "GenreSupport", "GenreSettings"], resources: [.copy("sql")]),
        // Models and ranking: plain Swift values, no database.
        .target(name: "GenreRecommend", dependencies: ["GenreSupport", "GenreSettings", "GenreLinearAlgebra"], swiftSettings: numericCode),
        // Parameter search (random, Bayesian optimisation with a Gaussian process): plain Swift, no database.
        .target(name: "GenreTuning", dependencies: ["GenreSupport", "GenreSettings", "GenreRecommend"], swiftSettings: numericCode),
        // Generative language models over HTTP (OpenAI-compatible and Ollama providers): requests, retries, rate
        // limits, circuit breaking, structured output checked against a JSON schema. No database.
        .target(name: "GenreLLM", dependencies: ["GenreSupport"]),
        // Long-lived services that move rows between PostgreSQL and the models.
        .target(name: "GenreDaemon", dependencies: [
            "GenrePostgres", "GenreSchema", "GenreRecommend", "GenreSettings", "GenreSupport", "GenreEmbedding", "GenreLinearAlgebra",
            "GenreTuning", "GenreLLM", .product(name: "Logging", package: "swift-log"),
        ]),
        // Loading public datasets into genre.items and genre.events (the `genre import` command).
        .target(name: "GenreImporters", dependencies: ["GenrePostgres", "GenreSupport"]),
        // Benchmarks that drive a daemon's parts against a database (`genre bench refresh|load`); not the daemon.
        .target(name: "GenreBench", dependencies: [
            "GenreDaemon", "GenrePostgres", "GenreRecommend", "GenreLinearAlgebra", "GenreEmbedding",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "genre", dependencies: [
            "GenreDaemon", "GenreSchema", "GenrePostgres", "GenreRecommend", "GenreEmbedding", "GenreTuning", "GenreSupport",
            "GenreImporters", "GenreBench", "GenreSettings", "GenreLLM",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "GenrePostgresTests", dependencies: ["GenrePostgres"]),
        .testTarget(name: "GenreRecommendTests", dependencies: ["GenreRecommend", "GenreSupport", "GenreSettings"]),
        .testTarget(name: "GenreSettingsTests", dependencies: ["GenreSettings"]),
        .testTarget(name: "GenreLLMTests", dependencies: ["GenreLLM", "GenreSupport", "GenreSettings"]),
        .testTarget(name: "GenreSupportTests", dependencies: ["GenreSupport"]),
        .testTarget(name: "GenreTuningTests", dependencies: ["GenreTuning", "GenreSupport", "GenreSettings"]),
        .testTarget(name: "GenreLinearAlgebraTests", dependencies: ["GenreLinearAlgebra", "GenreSupport"]),
        .testTarget(name: "GenreEmbeddingTests", dependencies: ["GenreEmbedding", "GenreSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "GenreIntegrationTests", dependencies: [
            "GenrePostgres", "GenreSchema", "GenreDaemon", "GenreRecommend", "GenreEmbedding", "GenreSettings", "GenreLLM",
            "GenreSupport", .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
