/// A cheap guess at how many tokens a text costs, for rate-limit and context budgets before the provider
/// reports real usage.
///
/// It leans high on purpose: underestimating lets a request overrun a tokens-per-minute budget (and earn a 429),
/// overestimating only makes us wait a little longer. Byte-pair tokenizers average about four UTF-8 bytes per
/// token on English prose, but short words and punctuation cost a token each, so the estimate is the larger of
/// bytes ÷ 4 and words × 1.3. Non-Latin scripts take two to three bytes per character and about one token per
/// character or two, which bytes ÷ 4 under-counts a little; the caller's safety margin covers that.
public enum TokenEstimate {
    public static func tokens(_ text: String) -> Int {
        let byBytes = (text.utf8.count + 3) / 4
        let words = text.split(whereSeparator: { $0.isWhitespace }).count
        let byWords = (words * 13 + 9) / 10
        return max(byBytes, byWords)
    }
}
