"""``answering.followup``: which treatment "it" is in a message that leans on the conversation.

The real lay vocabulary (``data/en/vocabulary.toml``, ``data/medicines.toml``) names the
treatments; the retrieval fallback is a stub that records what it was asked.
"""

from __future__ import annotations

import pytest

from answering.followup import FollowUpResolver
from index.vocabulary import LayVocabulary


@pytest.fixture(scope="module")
def vocabulary() -> LayVocabulary:
    return LayVocabulary.load()


class Lexical:
    """Stands in for retrieval's best guess at a message's treatment."""

    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, message: str) -> str | None:
        self.asked.append(message)
        return self.answer


def _resolve(vocabulary: LayVocabulary, message: str, earlier: list[str], lexical: Lexical | None = None):
    resolver = FollowUpResolver.load(vocabulary, lexical or Lexical("massage"))
    return resolver.resolve(message, vocabulary.expand(message), earlier)


def test_a_message_that_names_a_treatment_stands_alone(vocabulary):
    lexical = Lexical("massage")
    focus = _resolve(vocabulary, "is it ok to take ibuprofen with it?", ["should I use ice?"], lexical)
    assert focus.treatment is None and focus.because == "stands on its own"
    assert lexical.asked == []


def test_it_after_a_medicine_is_that_medicine(vocabulary):
    focus = _resolve(vocabulary, "is it safe with food?", ["can I take ibuprofen?"])
    assert focus.treatment == "nsaids"
    assert "can I take ibuprofen?" in focus.because


def test_how_long_after_ice_is_heat_and_cold(vocabulary):
    assert _resolve(vocabulary, "how long each time?", ["should I put ice on it?"]).treatment == "heat-cold"


def test_the_newest_message_naming_a_treatment_wins(vocabulary):
    earlier = ["hello", "can I take advil?", "should I use ice?"]  # newest first
    assert _resolve(vocabulary, "is it safe with food?", earlier).treatment == "nsaids"


def test_no_earlier_messages_no_focus(vocabulary):
    lexical = Lexical("massage")
    focus = _resolve(vocabulary, "how long each time?", [], lexical)
    assert focus.treatment is None
    assert lexical.asked == []


def test_a_message_that_does_not_lean_on_context_stands_alone(vocabulary):
    resolver = FollowUpResolver.load(vocabulary, Lexical("massage"))
    assert not resolver.leans_on_context("what causes a spasm?")
    assert resolver.leans_on_context("and for chronic pain?")
    focus = resolver.resolve("what causes a spasm?", vocabulary.expand("what causes a spasm?"), ["can I take ibuprofen?"])
    assert focus.treatment is None


def test_an_earlier_question_naming_no_treatment_is_searched_with_the_message(vocabulary):
    """No guess at its topic: "Is it ok to work with a back spasm?" matched massage on "work" (answers_dev31)."""
    lexical = Lexical("massage")
    focus = _resolve(vocabulary, "how often should I do that?", ["what helps the pain?", "hi"], lexical)
    assert focus.treatment is None and focus.context == "what helps the pain?"
    assert lexical.asked == []  # only the assistant's last reply is ever guessed at
    assert focus.because.startswith("an earlier question naming no treatment")


def test_the_last_reply_names_the_topic_when_the_question_did_not(vocabulary):
    lexical = Lexical("heat-cold")
    resolver = FollowUpResolver.load(vocabulary, lexical)
    reply = "Immediately after a spasm starts, apply an ice pack wrapped in a thin towel. [1]"
    focus = resolver.resolve("how long for?", vocabulary.expand("how long for?"), ["What should I do first when my back goes?"], reply)
    assert focus.treatment == "heat-cold" and focus.because.startswith("topic of the last reply")
    assert lexical.asked == [reply]


def test_a_treatment_the_patient_named_wins_over_the_last_reply(vocabulary):
    lexical = Lexical("massage")
    resolver = FollowUpResolver.load(vocabulary, lexical)
    focus = resolver.resolve("is it safe with food?", vocabulary.expand("is it safe with food?"), ["can I take ibuprofen?"], "Massage helps. [1]")
    assert focus.treatment == "nsaids" and lexical.asked == []


def test_a_story_naming_a_cause_gives_way_to_the_last_replys_topic(vocabulary):
    """"it went lifting the car seat" names what caused the spasm (lifting: rest and activity), not what was asked."""
    lexical = Lexical("heat-cold")
    resolver = FollowUpResolver.load(vocabulary, lexical)
    story = "my back just went into spasm lifting the kids car seat out"
    assert vocabulary.expand(story).treatments  # the story does name a treatment's words
    focus = resolver.resolve("how long do i keep it on for", vocabulary.expand("how long do i keep it on for"), [story], "Apply an ice pack. [1]")
    assert focus.treatment == "heat-cold" and focus.because.startswith("topic of the last reply")


def test_a_reply_across_several_treatments_leaves_the_question_it_answered_as_context(vocabulary):
    """"best treatment for a sudden spasm?" → rest, cold and anti-inflammatories → "and if it keeps coming back every month?":
    not about the last treatment the reply named, but the earlier question, searched together with the message."""
    lexical = Lexical("nsaids")
    resolver = FollowUpResolver.load(vocabulary, lexical)
    earlier = "best treatment for a sudden back spasm?"
    reply = "For a sudden spasm: a short rest, cold therapy, and a short course of an over-the-counter anti-inflammatory."
    message = "and if it keeps coming back every month?"
    focus = resolver.resolve(message, vocabulary.expand(message), [earlier], reply)
    assert focus.treatment is None and focus.context == earlier and lexical.asked == []


@pytest.mark.parametrize(
    ("message", "earlier", "treatment"),
    [
        ("why does that help?", ["can I use a heat pad?"], "heat-cold"),  # "why" names only the guide's general part
        ("so why not use it straight away?", ["why does a heating pad help?"], "heat-cold"),  # not "why" of the earlier question
        ("can I just leave it on overnight?", ["heat pad on day 2?"], "heat-cold"),  # "leave it" is not the general part here
        ("why though", ["does massage help back spasms?"], "massage"),  # no cue word, only "why": still a bare follow-up
    ],
)
def test_the_guides_general_part_is_not_a_topic_of_its_own(vocabulary, message, earlier, treatment):
    assert _resolve(vocabulary, message, earlier).treatment == treatment


@pytest.mark.parametrize(
    ("message", "earlier", "treatment"),
    [
        ("can i still have wine with dinner", "got prescribed a muscle relaxer for my back", "muscle-relaxants"),
        ("how regularly would i need to go", "my back spasms keep coming back, is physio the answer", "physical-therapy"),
        ("straight on the skin is fine tho right", "how long should i ice my back", "heat-cold"),
    ],
)
def test_a_short_message_naming_nothing_of_the_guide_leans_on_the_conversation(vocabulary, message, earlier, treatment):
    """No cue word ("it", "how long"), but mid-conversation a short message with no subject of its own is a follow-up."""
    assert _resolve(vocabulary, message, [earlier], Lexical(None)).treatment == treatment


@pytest.mark.parametrize(
    "message",
    [
        "How do I fix the posture part? I'm hunched over a laptop all day.",  # names its own subject (posture)
        "I have a question about my appointment next week, my husband says I should ask you first before I book anything",
    ],
)
def test_a_message_with_its_own_subject_or_a_long_one_stands_alone(vocabulary, message):
    assert _resolve(vocabulary, message, ["what causes back spasms"], Lexical("overview")).treatment is None


def test_a_treatment_tried_without_success_is_asked_past_even_in_a_first_message(vocabulary):
    focus = _resolve(vocabulary, "been taking ibuprofen for 4 days and it's still bad, what's the next step?", [])
    assert focus.treatment == "nsaids" and focus.beyond


@pytest.mark.parametrize(
    "message",
    [
        "Does ibuprofen not help with spasms?",  # asks whether it works: nothing was tried
        "been on ibuprofen 3 days and it's still sore, can I take more than the label says?",  # the amount stays with the medicine
        "rest and ice didnt help, should I try a massage?",  # names what to try next: asks of it
        "does rest and ice not work for spasms?",  # asks whether they work
    ],
)
def test_a_question_about_the_treatment_itself_is_not_asked_past_it(vocabulary, message):
    assert not _resolve(vocabulary, message, []).beyond


@pytest.mark.parametrize(
    ("message", "past"),
    [
        ("what if rest and ice dont work", {"rest", "heat-cold"}),
        ("ive done all the home stuff. rest, ice, heat, advil. 2 weeks. still bad. now what", {"rest", "heat-cold", "nsaids"}),
    ],
)
def test_several_treatments_said_to_fail_are_all_asked_past(vocabulary, message, past):
    """No one treatment to stay within: the answer is read from past all of them (``Focus.past``)."""
    focus = _resolve(vocabulary, message, [])
    assert focus.treatment is None and focus.beyond and set(focus.past) == past


def test_a_story_that_asked_nothing_is_context_not_a_treatment_to_stay_within(vocabulary):
    """"Threw my back out" reads as chiropractic to the lexical guess; the patient asked nothing about it."""
    story = "I think I threw my back out this morning picking up my toddler, its spasming like crazy"
    focus = _resolve(vocabulary, "ok so what do i do first", [story])
    assert focus.treatment is None and focus.context == story


def test_what_now_after_a_treatment_asks_past_it_not_for_the_closing_plan(vocabulary):
    """"What now" alone names the closing plan ("your next steps"); after a massage that did little, it asks past massage."""
    focus = _resolve(vocabulary, "didnt really do much, what now", ["i tried a swedish massage for my recurring back spasms"])
    assert focus.treatment == "massage" and focus.beyond
    assert _resolve(vocabulary, "what now?", []).treatment is None


def test_still_meaning_motionless_does_not_ask_past_the_topic(vocabulary):
    """"Why is lying still bad?" asks about resting, not what comes after it ("still bad" in ``beyond``)."""
    focus = _resolve(vocabulary, "why is lying still bad?", ["should I rest or keep moving with a back spasm?"])
    assert focus.treatment == "rest" and not focus.beyond
    resolver = FollowUpResolver.load(vocabulary, Lexical("massage"))
    assert resolver._asked_past("it's still bad after a week") and not resolver._asked_past("why is sitting still bad for it?")


def test_after_asking_past_something_the_reply_gives_the_topic(vocabulary):
    """"Is there a stronger medicine?" was answered with a muscle relaxant: "how long would I be on it?" is about the
    relaxant, the step the patient was given, not the painkillers the question's words also name."""
    resolver = FollowUpResolver.load(vocabulary, Lexical("muscle-relaxants"))
    message = "and how long would i be on it for"
    reply = "For severe spasms that don't respond to NSAIDs, a doctor may prescribe a muscle relaxant such as cyclobenzaprine."
    earlier = ["Nothing I've tried is touching this spasm. Is there a stronger medicine?"]
    assert resolver.resolve(message, vocabulary.expand(message), earlier, reply).treatment == "muscle-relaxants"
    # a comparison of two named treatments ("stronger than") asks about what it named first, as before
    compared = FollowUpResolver.load(vocabulary, Lexical("nsaids"))
    focus = compared.resolve("how do i get hold of them", vocabulary.expand("how do i get hold of them"),
                             ["are muscle relaxants stronger than ibuprofen?"], "They are kept for spasms that don't respond to NSAIDs.")
    assert focus.treatment == "muscle-relaxants"


@pytest.mark.parametrize(
    ("message", "asks"),
    [("how often would I have to go?", True), ("how many sessions will I need?", True), ("once a week or every other week?", True),
     ("how long for?", False), ("is it safe with food?", False)],
)
def test_a_follow_up_asking_how_often_is_searched_over_the_whole_guide(vocabulary, message, asks):
    """The closing plan says how often ("weekly physical therapy, bi-weekly massage"): such a follow-up is not kept
    within the treatment's own section."""
    assert FollowUpResolver.load(vocabulary, Lexical("massage")).asks_how_often(message) is asks


def test_a_treatment_named_earlier_keeps_the_message_that_named_it(vocabulary):
    """The message that named the treatment comes with the focus: its terms steer the search within the treatment."""
    earlier = "my chiropractor wants to use the activator method on me"
    focus = _resolve(vocabulary, "how does that work exactly?", [earlier])
    assert focus.treatment == "chiropractic" and focus.context == earlier


@pytest.mark.parametrize(
    ("message", "failed"),
    [
        ("what if it still doesnt get better?", True),
        ("massage didnt help. whats next", True),
        ("been taking ibuprofen for 3 days, what next?", True),  # tried, and asks past it
        ("is there anything else i can add?", False),  # past it, but nothing failed
        ("why is lying still bad?", False),
        # answers_dev36
        ("it's not really helping tbh", True),
        ("and if that doesnt sort it?", True),
        ("the muscle relaxants helped but I've finished the packet and it's back, what do I do now", True),
        ("ice isnt really doing much anymore", False),  # its step past, contrast therapy, is within heat and cold
        ("What's the point of a muscle relaxer if it doesn't fix whatever's causing it?", False),
    ],
)
def test_saying_a_treatment_failed_is_read_apart_from_asking_past_it(vocabulary, message, failed):
    """A failure ("didn't help", "still bad", "no better") gets the next step added, not only more of the same."""
    resolver = FollowUpResolver.load(vocabulary, lambda text: None)
    assert resolver.says_it_failed(message) is failed


@pytest.mark.parametrize(
    ("message", "asks"),
    [
        ("so is it time to see someone", True),
        ("should I get it checked?", True),
        ("do I need to go to the GP about this?", True),
        ("do i need to see a doctor for those or can I just buy them", False),  # the medicine is what the doctor is for
        ("can I get it over the counter or do I need to see a doctor?", False),
        ("how long should I keep it on?", False),
    ],
)
def test_asking_whether_to_see_someone_is_a_question_of_its_own(vocabulary, message, asks):
    """answers_dev28: "so is it time to see someone" after "I've done heat, ice, ibuprofen, the lot" opened with a
    prescription anti-inflammatory; it asks whether to seek a diagnosis, not about the ibuprofen."""
    resolver = FollowUpResolver.load(vocabulary, Lexical("nsaids"))
    assert resolver.asks_for_a_professional(message) is asks
    if asks:
        focus = resolver.resolve(message, vocabulary.expand(message), ["been on naproxen a week and it's no better"])
        assert focus.treatment is None, focus


@pytest.mark.parametrize(
    ("message", "asks"),
    [
        ("what does that mean?", True),
        ("what's that do?", True),
        ("wat is that", True),
        ("ok what is it exactly?", True),
        ("what does she mean by that?", True),
        ("never heard of it", True),
        ("what does it do to the spasm, does it help?", True),
        ("what is the best one?", False),
        ("what's that gonna cost me?", False),
        ("what should I do?", False),
        ("is that safe?", False),
    ],
)
def test_asking_what_a_thing_said_earlier_is(vocabulary, message, asks):
    """answers_dev33: "what does that mean?" after "my massage therapist said my back was guarding" opened with the
    massage section's introduction; the question asks what the earlier word means."""
    resolver = FollowUpResolver.load(vocabulary, Lexical("massage"))
    assert resolver.asks_what_it_is(message) is asks


@pytest.mark.parametrize(
    ("message", "asks"),
    [
        ("what kind of person should I be seeing for this, like who do I book", True),  # which professional, not the diary
        ("who should i see about it?", True),
        ("who do I book with, a physio or a chiro?", True),
        ("can I book online?", False),
        ("do i need a GP referral to see a physio", False),
    ],
)
def test_asking_which_kind_of_professional_to_see(vocabulary, message, asks):
    """answers_dev33: "what kind of person should I be seeing for this, like who do I book" is the guide's question (its
    advice to seek a diagnosis), not one of the clinic's diary (``LearnedScopeStep`` leaves it to the answer)."""
    resolver = FollowUpResolver.load(vocabulary, Lexical("nsaids"))
    assert resolver.asks_whom_to_see(message) is asks
