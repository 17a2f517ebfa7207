public enum GenreDaemon {}
