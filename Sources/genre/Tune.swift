import ArgumentParser
import Foundation
import GenrePostgres
import GenreRecommend
import GenreSupport
import GenreTuning

/// `genre tune`: search settings on a dataset file (no database), on a validation split carved from train;
/// the winner and the starting settings are then measured once on the test split.
struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search settings (random search or Bayesian optimisation) on a dataset, tuned on a validation split of train.",
        discussion: """
            Example: genre tune --dataset ml-latest-small --data-dir ../shared/data/ml-latest-small --protocol temporal \\
                       --strategy both --trials 20 --report tune-report
            The default search space covers blend weights, the collaborative model and its parameters, decay
            half-lives, MMR λ and event weights (print it with --print-space); give your own with --space FILE.json.
            """)
    @OptionGroup var data: DatasetOptions
    @Option(help: "random, bayesian, or both (same budget each, for comparison).") var strategy = "bayesian"
    @Option(help: "Trials per strategy.") var trials = 20
    @Option(help: "What to maximise: ndcg@10, map@10, precision@k, recall@k, hit_rate@k, mrr@k.") var metric = "ndcg@10"
    @Option(help: "Search space JSON file (default: the whole pipeline).") var space: String?
    @Option(help: "Seed of the strategies.") var seed: UInt64 = 1
    @Option(name: .customLong("set"), help: "A base setting as key=value, repeatable.") var settings: [String] = []
    @Option(help: "Write an HTML page with best-so-far versus trial into this folder.") var report: String?
    @Option(help: "Write every trial as JSON lines.") var json: String?
    @Flag(help: "Print the default search space and exit.") var printSpace = false
    @Option(name: .customLong("run"), help: "Instead of tuning: draw the report of tuning run ID from the database (with --report).")
    var runID: Int?
    @Option(name: .customLong("database-url"), help: "With --run: PostgreSQL URL (default: $GENRE_DATABASE_URL).") var databaseURL: String?
    @Flag(help: "Skip item text (no content part).") var noText = false

    func run() throws {
        if printSpace {
            print(RecommenderTuning.defaultSearchSpace)
            return
        }
        if let runID {
            guard let report else { throw ValidationError("--run needs --report DIR") }
            try reportRun(runID, to: report)
            return
        }
        let goal: RecommenderTuning.Metric
        let searchSpace: SearchSpace
        do {
            goal = try RecommenderTuning.Metric(metric)
            searchSpace = try SearchSpace.parse(json: try space.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? RecommenderTuning.defaultSearchSpace)
        } catch let error as SearchSpaceError {
            throw ValidationError(error.description)
        }
        let base = try recommenderSettings(settings)
        let strategies = strategy == "both" ? ["random", "bayesian"] : [strategy]
        let dataset = try data.load()
        let split = try data.split(dataset)
        let validation = Split.make(split.train, protocol: try data.validationProtocol())
        let vectors = try embedItems(dataset, needsText: false, noText: noText)
        print("\(dataset.name): tuning \(goal.name)@\(goal.k) on a validation split of train (\(validation.train.count) / \(validation.test.count)); "
              + "\(searchSpace.dimensions) parameters, \(trials) trials per strategy")
        // The first trial of each strategy is the base settings, so "better than the defaults" is measured.
        let start = RecommenderTuning.startingPoint(searchSpace, base)
        var curves: [SVGChart.Series] = []
        var lines: [String] = []
        var winners: [(String, Tuner.Trial)] = []
        for name in strategies {
            let done = try Tuner.run(space: searchSpace, strategy: name, trials: trials, seed: seed, first: start, objective: { point in
                try RecommenderTuning.evaluate(point, base: base, split: validation, itemCount: dataset.itemIDs.count,
                                               vectors: vectors, metric: goal).value
            }, onTrial: { trial in
                let shown = trial.value.map { String(format: "%.4f", $0) } ?? "failed: \(trial.error ?? "")"
                print(String(format: "%@ trial %2d  %@  (%.1f s)", name, trial.number, shown, trial.seconds))
                lines.append("{\"strategy\":\(JSONText.quote(name)),\"trial\":\(trial.number),\"value\":\(trial.value.map { JSONText.number($0) } ?? "null"),"
                             + "\"seconds\":\(JSONText.number(trial.seconds)),\"params\":\(RecommenderTuning.json(trial.parameters))}")
            })
            curves.append(.init(name: name, values: Tuner.bestSoFar(done).map { $0 ?? .nan }))
            if let best = done.filter({ $0.value != nil }).max(by: { $0.value! < $1.value! }) { winners.append((name, best)) }
        }
        // The winner and the starting settings, once, on the test split.
        let startTest = try RecommenderTuning.evaluate(start, base: base, split: split, itemCount: dataset.itemIDs.count, vectors: vectors, metric: goal)
        print(String(format: "starting settings: test %@@%d %.4f", goal.name, goal.k, startTest.value))
        for (name, best) in winners {
            let test = try RecommenderTuning.evaluate(best.parameters, base: base, split: split, itemCount: dataset.itemIDs.count, vectors: vectors, metric: goal)
            print(String(format: "best of %@ (trial %d): validation %.4f, test %.4f", name, best.number, best.value ?? .nan, test.value))
            print("  " + best.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        if let json { try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: json)) }
        if let report {
            let chart = SVGChart.lines(title: "Best \(goal.name)@\(goal.k) so far", x: (1...trials).map(Double.init), series: curves,
                                       xLabel: "trial", yLabel: "\(goal.name)@\(goal.k) (validation)")
            let page = SVGChart.page(title: "genre tune: \(dataset.name)", intro: "Command: genre \(CommandLine.arguments.dropFirst().joined(separator: " "))",
                                     sections: [("Best so far versus trial", chart)])
            try FileManager.default.createDirectory(atPath: report, withIntermediateDirectories: true)
            try Data(page.utf8).write(to: URL(fileURLWithPath: report).appendingPathComponent("index.html"))
            print("report: \(report)/index.html")
        }
    }

    /// The best-so-far chart of a run recorded in genre.tuning_trials.
    func reportRun(_ id: Int, to folder: String) throws {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["GENRE_DATABASE_URL"] else {
            throw ValidationError("--run needs --database-url or GENRE_DATABASE_URL")
        }
        try runReportingErrors {
            let connection = try PostgresConnection(url: url)
            let run = try connection.query("SELECT strategy, metric, status, baseline_value, best_value FROM genre.tuning_runs WHERE id = $1", [id])
            guard run.rowCount == 1 else { throw ValidationError("no tuning run \(id) in genre.tuning_runs") }
            let trials = try connection.query("SELECT trial, value FROM genre.tuning_trials WHERE run_id = $1 ORDER BY trial", [id])
            var best = -Double.infinity
            var values: [Double] = []
            for row in 0..<trials.rowCount {
                if let v = try trials.double(row, 1) { best = max(best, v) }
                values.append(best.isFinite ? best : .nan)
            }
            let strategy = run.string(0, 0) ?? "", metric = run.string(0, 1) ?? ""
            let chart = SVGChart.lines(title: "Best \(metric) so far (run \(id))", x: values.indices.map { Double($0 + 1) },
                                       series: [.init(name: strategy, values: values)], xLabel: "trial", yLabel: "\(metric) (hold-out)")
            let intro = "Tuning run \(id): \(strategy), \(values.count) trials, status \(run.string(0, 2) ?? ""); "
                + "baseline \(run.string(0, 3) ?? "-"), best \(run.string(0, 4) ?? "-")."
            let page = SVGChart.page(title: "genre.tune run \(id)", intro: intro, sections: [("Best so far versus trial", chart)])
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(page.utf8).write(to: URL(fileURLWithPath: folder).appendingPathComponent("index.html"))
            print("report: \(folder)/index.html")
        }
    }
}
