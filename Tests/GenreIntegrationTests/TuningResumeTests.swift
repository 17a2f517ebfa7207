import Foundation
import Testing
import GenrePostgres

/// A tuning run interrupted by a shutdown is not lost: the next daemon resumes it after its last finished
/// trial, and it ends with all its trials.
@Suite("tuning across a shutdown", .enabled(if: TestDatabase.enabled))
struct TuningResumeTests {
    @Test("a run stopped mid-way (daemon shut down) is resumed by the next daemon and finishes with all its trials")
    func resumeAfterShutdown() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTwoClusters(c, users: 300)
        let trials = 30
        let run = try c.count("SELECT genre.tune(strategy => 'random', trials => $1)", [trials])

        let first = TestDaemon.start(db)
        try eventually("two trials to finish", timeout: 120) {
            try c.count("SELECT count(*) FROM genre.tuning_trials WHERE run_id = $1", [run]) >= 2
        }
        let stopping = Date()
        try first.stop()  // what SIGTERM does: trigger the daemon's shutdown signal
        #expect(Date().timeIntervalSince(stopping) < 10, "the daemon stopped within 10 s")
        let kept = try c.query("SELECT trial, finished_at::text FROM genre.tuning_trials WHERE run_id = $1 ORDER BY trial", [run])
        #expect(kept.rowCount >= 2 && kept.rowCount < trials, "stopped mid-run: \(kept.rowCount) of \(trials) trials")
        #expect(try c.scalar("SELECT status FROM genre.tuning_runs WHERE id = $1", [run]) == "queued")
        #expect(try c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'tuning' AND work_key = $1 AND claimed_by IS NULL",
                            [String(run)]) == 1, "the run is back in the queue, unclaimed")

        let second = TestDaemon.start(db)
        defer { try? second.stop() }
        try eventually("the resumed run to finish", timeout: 240) {
            try c.scalar("SELECT status FROM genre.tuning_runs WHERE id = $1", [run]) == "done"
        }
        #expect(try c.count("SELECT count(*) FROM genre.tuning_trials WHERE run_id = $1", [run]) == trials)
        #expect(try c.count("SELECT max(trial) FROM genre.tuning_trials WHERE run_id = $1", [run]) == trials)
        for row in 0..<kept.rowCount {
            #expect(try c.scalar("SELECT finished_at::text FROM genre.tuning_trials WHERE run_id = $1 AND trial = $2",
                                 [run, try kept.int(row, 0)]) == kept.string(row, 1), "trial \(row + 1) was kept, not run again")
        }
        #expect(try c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'tuning'") == 0)
    }
}
