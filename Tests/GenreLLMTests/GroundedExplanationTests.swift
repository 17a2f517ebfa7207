import Testing
@testable import GenreLLM

@Suite struct GroundedExplanationTests {
    let facts = """
        Recommended item: Heat (1995)
        You liked Seven (1995).
        Its text is close to your search "bank robbery thrillers".
        Share of the score: people with similar taste 70%, text similarity 30%.
        """
    let names = ["Heat (1995)", "Seven (1995)", "bank robbery thrillers"]

    @Test("a sentence that only uses the facts is grounded")
    func grounded() {
        #expect(GroundedExplanation.problem(sentence: "You liked Seven, and Heat matches your search \"bank robbery thrillers\".",
                                            facts: facts, names: names, mentionedTitles: ["seven", "heat"]) == nil)
        // A title found inside a longer word is not a mention.
        #expect(GroundedExplanation.problem(sentence: "A heated thriller for you.", facts: facts, names: names, mentionedTitles: ["heat", "alien"]) == nil)
    }

    @Test("a sentence naming another title, or quoting a search the user never made, is rejected")
    func rejected() {
        #expect(GroundedExplanation.problem(sentence: "Because you loved Alien, try Heat.", facts: facts, names: names,
                                            mentionedTitles: ["alien", "heat"]) == "it names \"alien\", which is not in the facts")
        #expect(GroundedExplanation.problem(sentence: "It matches your search \u{201C}heist films\u{201D}.", facts: facts, names: names,
                                            mentionedTitles: []) == "it quotes \"heist films\", which is not in the facts")
        #expect(GroundedExplanation.problem(sentence: "You'll like it: \"bank robbery thrillers!\"", facts: facts, names: names,
                                            mentionedTitles: []) == nil, "an apostrophe is not a quotation; trailing punctuation is ignored")
        #expect(GroundedExplanation.problem(sentence: "You bought Seven, a film by the company Bidder.", facts: facts, names: names,
                                            mentionedTitles: ["seven"]) == "it names \"Bidder\", which is not in the facts")
        #expect(GroundedExplanation.problem(sentence: "Since you liked Seven. Heat is next.", facts: facts, names: names,
                                            mentionedTitles: ["seven", "heat"]) == nil, "a capital that starts a sentence names nothing")
    }

    @Test("titles are compared without a trailing year, in lower case")
    func titleKeys() {
        #expect(GroundedExplanation.titleKey(" Heat (1995) ") == "heat")
        #expect(GroundedExplanation.titleKey("Star Wars: Episode IV - A New Hope (1977)") == "star wars: episode iv - a new hope")
        #expect(GroundedExplanation.titleKey("2001: A Space Odyssey") == "2001: a space odyssey")
    }

    @Test("the sentence is read trimmed; a blank one is none")
    func sentence() {
        let task = GroundedExplanation()
        #expect(task.sentence(from: .object(["sentence": .string("  You liked Seven. ")])) == "You liked Seven.")
        #expect(task.sentence(from: .object(["sentence": .string("  ")])) == nil)
        #expect(task.schema.problems(in: .object(["sentence": .string(String(repeating: "x", count: 241))])).isEmpty == false)
    }
}
