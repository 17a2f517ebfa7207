/// Why a model could not be loaded or fetched. The message names the path and the fix.
public struct EmbeddingError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable { case missingModel, corruptModel, unsupportedModel, fetchFailed }
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
