/// The version of this genre: shown by `genre --version`, sent with daemon heartbeats and recorded with
/// the installed function bundle (genre.function_bundle).
public enum GenreVersion {
    public static let current = "0.1.0"
}
