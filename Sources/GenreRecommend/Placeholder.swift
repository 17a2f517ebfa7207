public enum GenreRecommend {}
