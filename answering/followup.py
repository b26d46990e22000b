"""Follow-up questions: which treatment is "it" in "is it safe with food?".

The app is stateless, so the conversation arrives with every request. When a
message names no treatment itself but leans on what came before (patterns in
``data/<lang>/followup.toml``), the treatment under discussion is the one the patient
last asked about; failing that, the one the assistant's last reply was about ("What should I
do first?" → ice → "how long for?" is about ice, and so is it after "it went lifting the car
seat", a story naming a cause); failing that, the one their last messages named. A reply that
spanned several treatments gives none: the message is searched with the question it answered, and so is
it when no message named a treatment (a word match would only guess one).
When that earlier question asked past something ("is there anything stronger?"), the reply's topic comes
first: it is the next step the patient was given, and "how long would I be on it?" asks about it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from answering.question import QuestionRules
from answering.scope import ScopeRules
from index.vocabulary import Expansion, LayVocabulary
from rules.files import read_answering, read_followup, read_structure
from rules.locale import DEFAULT_LANGUAGE
from rules.patterns import compile_patterns, plain


@dataclass(frozen=True)
class Focus:
    treatment: str | None  # None: the message stands on its own
    because: str  # why, for debugging ("named in: 'I took advil'")
    beyond: bool = False  # asks what comes after the treatment ("what if it doesn't work?"): search past it
    context: str = ""  # no one treatment, but the earlier question it leans on: searched together with the message;
    # with a treatment, the earlier message that named it ("my chiropractor wants to use the activator method"), whose
    # terms steer the search within the treatment
    past: tuple[str, ...] = ()  # with no one treatment, the several the message says failed ("what if rest and ice
    # don't work?"): the answer is read from sentences of the others


_WORD = re.compile(r"[^\W_]+")
# "does ibuprofen not help?", "will heat not work?": a question whether a treatment works, not a report that it failed
_WHETHER_IT_WORKS = re.compile(r"^\W*(?:does|do|did|will|would|can|could|is|are|should)\b(?!.*\bwhat\b)")
_QUESTION_WORD = re.compile(r"^(?:how|what|whats|which|when|why|where|can|could|should|shall|is|are|do|does|did|will|would|may|any)\b")


def _asks(message: str) -> bool:
    """Whether a message asks something (rather than tells what happened)."""
    return "?" in message or bool(_QUESTION_WORD.match(plain(message).strip()))


def _spans_treatments(treatments: tuple[str, ...]) -> bool:
    """Several treatments, or the words of a plan that combines them ("rest, ice, then ibuprofen")."""
    return len(set(treatments)) > 1 or "integrated-plan" in treatments


class FollowUpResolver:
    def __init__(
        self,
        pattern: re.Pattern[str],
        vocabulary: LayVocabulary,
        lexical_treatment: Callable[[str], str | None],
        beyond: re.Pattern[str] | None = None,
        general: str = "",
        bare_max_words: int = 0,
        names_subject: Callable[[str], bool] = lambda _: False,
        tried: re.Pattern[str] | None = None,
        asks_amount: Callable[[str], bool] = lambda _: False,
        joins: re.Pattern[str] | None = None,
        how_often: re.Pattern[str] | None = None,
        failed: re.Pattern[str] | None = None,
        elsewhere: re.Pattern[str] | None = None,
        early: re.Pattern[str] | None = None,
        clinic: str = "",
        past_early: re.Pattern[str] | None = None,
        professional: re.Pattern[str] | None = None,
        whom_to_see: re.Pattern[str] | None = None,
        defines: re.Pattern[str] | None = None,
        goes_on: re.Pattern[str] | None = None,
        tried_for_weeks: re.Pattern[str] | None = None,
    ):
        self._pattern = pattern
        self._goes_on = goes_on
        self._tried_for_weeks = tried_for_weeks
        self._defines = defines
        self._whom_to_see = whom_to_see
        self._professional = professional
        self._early = early
        self._past_early = past_early
        self._clinic = clinic
        self._failed = failed
        self._elsewhere = elsewhere
        self._how_often = how_often
        self._joins = joins
        self._tried = tried
        self._asks_amount = asks_amount
        self._bare_max_words = bare_max_words
        self._names_subject = names_subject
        self._beyond = beyond
        self._vocabulary = vocabulary
        self._lexical_treatment = lexical_treatment
        self._general = general

    @property
    def clinic(self) -> str:
        """The treatment id of the clinic's own page ("" without one): an advertisement, never a treatment."""
        return self._clinic

    @classmethod
    def load(
        cls,
        vocabulary: LayVocabulary,
        lexical_treatment: Callable[[str], str | None],
        language: str = DEFAULT_LANGUAGE,
        question_rules: QuestionRules | None = None,
    ) -> FollowUpResolver:
        """The follow-up rules of ``language``; ``question_rules``, when the caller holds them, lend their compiled
        choice joins (the same ``[choice] joins`` of data/<lang>/answering.toml, compiled once)."""
        data = read_followup(language)
        scope = ScopeRules.load(language)
        if question_rules is not None:
            joins = question_rules.choice_joins
        else:
            words = read_answering(language).choice_joins
            joins = compile_patterns(words, whole_words=True) if words else None
        asks_past = (*data.beyond, *data.failed)  # saying it failed asks past it too
        structure = read_structure()
        return cls(
            compile_patterns(data.patterns), vocabulary, lexical_treatment, compile_patterns(asks_past) if asks_past else None,
            structure.overview.id, data.bare_max_words, scope.mentions_topic, compile_patterns(data.tried) if data.tried else None,
            lambda text: scope.asks_for_dose(text) or scope.asks_label_limit(text),
            joins,
            compile_patterns(data.how_often) if data.how_often else None,
            compile_patterns(data.failed) if data.failed else None,
            compile_patterns(data.elsewhere) if data.elsewhere else None,
            compile_patterns(data.early) if data.early else None,
            structure.clinic.id if structure.clinic else "",
            compile_patterns(data.past_early) if data.past_early else None,
            compile_patterns(data.professional) if data.professional else None,
            compile_patterns(data.whom_to_see) if data.whom_to_see else None,
            compile_patterns(data.defines) if data.defines else None,
            compile_patterns(data.goes_on) if data.goes_on else None,
            compile_patterns(data.tried_for_weeks) if data.tried_for_weeks else None,
        )

    def _named(self, text: str) -> tuple[str, ...]:
        """The treatments ``text`` names, the guide's general part ("why", "what causes it") only when it names no other:
        "why does heat help?" is about heat, and "why those ones?" asks why of what came before."""
        treatments = self._vocabulary.expand(text).treatments
        return tuple(t for t in treatments if t != self._general) or treatments

    def tells(self, message: str) -> bool:
        """Whether a message tells something rather than asks ("I've been told to walk around a bit")."""
        return bool(message) and not _asks(message)

    def leans_on_context(self, message: str) -> bool:
        """A cue that the message leans on what came before ("how long each time?", "and for chronic ones?")."""
        return bool(self._pattern.search(plain(message)))

    def asks_for_a_professional(self, message: str) -> bool:
        """Whether the message asks if it is time to see someone ("so is it time to see someone?" after "I've done heat,
        ice, ibuprofen, the lot"): a question of its own, which the guide's advice to seek a diagnosis answers, not one
        about the medicine named earlier."""
        return self._professional is not None and self._professional.search(plain(message)) is not None

    def asks_whom_to_see(self, message: str) -> bool:
        """"What kind of person should I be seeing for this, like who do I book": which kind of professional, a question
        the guide answers (its advice to seek a diagnosis, its therapists), not one of the clinic's diary."""
        return bool(self._whom_to_see and self._whom_to_see.search(plain(message)))

    def asks_what_it_is(self, message: str) -> bool:
        """"What does that mean?" after "my massage therapist said my back was guarding": the message asks what a thing
        said earlier is or does, so the guide's item that the earlier message names by a rare word leads its answer
        (``answering.labels.NamedLabels.named_by_rare_word``), not the treatment's introduction."""
        return bool(self._defines and self._defines.search(plain(message)))

    def _tried_and_past(self, message: str) -> bool:
        """"Been on ibuprofen 5 days, still bad, what's the next step?": the one treatment named was tried and the
        message asks what comes after it (not how much more of a medicine to take: that stays with the medicine)."""
        prepared = plain(message)
        if self._tried is None or self._beyond is None or not self._tried.search(prepared) or not self._beyond.search(prepared):
            return False
        return not self._asks_amount(message)

    def _said_to_fail(self, message: str) -> bool:
        """"What if rest and ice don't work?", "rest and ice, still bad": the treatments the message names are said to fail,
        and nothing after that names one to try instead ("rest and ice didn't help, should I try a massage?" asks of massage)
        or asks how much more to take. Not a question whether they work ("does rest and ice not work for spasms?")."""
        prepared = plain(message)
        said = self._failed.search(prepared) if self._failed is not None else None
        if said is None or _WHETHER_IT_WORKS.match(prepared) or self._asks_amount(message):
            return False
        return not set(self._named(prepared[said.end():])) - {self._general, self._vocabulary.combination}

    def says_it_failed(self, message: str) -> bool:
        """"What if it still doesn't get better?", "been on ibuprofen 3 days, what next?": the treatment failed, so the
        answer adds the next step beyond it (``answering.compose.step_past_first``), not only more of the same."""
        return bool(self._failed and self._failed.search(plain(message))) or self._tried_and_past(message)

    def is_early(self, sentence: str) -> bool:
        """A guide sentence (with its bullet label) about the first hours of a spasm ("For acute, sudden spasms: ...",
        "Initial Injury (First 48 Hours): ..."): what comes first is never the step past a treatment that failed."""
        return bool(self._early and self._early.search(plain(sentence)))

    def goes_on(self, sentence: str) -> bool:
        """Whether a guide sentence says what to do when a treatment's first use has not done it ("For stubborn spasms that
        persist beyond the initial few days, try alternating between cold and heat"): a step past that treatment from
        within its own section."""
        return bool(self._goes_on and self._goes_on.search(plain(sentence)))

    def tried_for_weeks(self, message: str) -> bool:
        """Whether the message says the treatment was kept up for weeks ("I've had this spasm for 3 weeks now and it's not
        getting better with heat"): what the treatment's own section says for spasms that persist past the first days
        is behind them, and the step past it opens."""
        return bool(self._tried_for_weeks and self._tried_for_weeks.search(plain(message)))

    def is_past_early(self, message: str) -> bool:
        """"the really bad spasm was 4 days ago, now its just stiff and achy": the first hours are behind the patient, so
        the advice for them ("For acute, sudden spasms: ... immediate rest, targeted cold therapy") does not open."""
        return bool(self._past_early and self._past_early.search(plain(message)))

    def without_failure(self, message: str) -> str:
        """The message without its words of failure: in "what if it doesn't work?" "work" says the treatment failed, so
        the guide's "NSAIDs work by blocking ..." shares no word with the question (answers_dev23 led with it)."""
        return self._failed.sub(" ", plain(message)) if self._failed else message

    def looks_elsewhere(self, message: str) -> bool:
        """"vs the normal cracking one?", "what else?", "or massage?": the follow-up turns from the item the earlier
        message named, so that item's label (``answering.labels``) does not lead its answer."""
        prepared = plain(message)
        return any(p is not None and p.search(prepared) for p in (self._elsewhere, self._beyond, self._joins))

    def asks_how_often(self, message: str) -> bool:
        """"How often would I have to go?": searched over the whole guide, where the closing plan says how often."""
        return bool(self._how_often and self._how_often.search(plain(message)))

    def asks_beyond(self, message: str) -> bool:
        """"what else?", "anything stronger?", "what next?": the message asks past what it is about (``beyond``)."""
        return bool(self._beyond and self._beyond.search(plain(message)))

    def _asked_past(self, message: str) -> bool:
        """"Is there a stronger medicine?", "what's next?": asks past what it names or what came before; "are
        relaxants stronger than ibuprofen?" joins two sides (``[choice] joins``) and compares them instead."""
        if not self.asks_beyond(message):
            return False
        return not (self._joins and len(self._named(message)) > 1 and self._joins.search(plain(message)))

    def is_bare(self, message: str, expansion: Expansion) -> bool:
        """A short message that names nothing of the guide's: no treatment, not its general part, no word of its subject
        (back, spasm, posture, pain). "Can I still have wine with dinner", "straight on the skin is fine tho right": in
        the middle of a conversation it is about what was being discussed, however it is worded ("how do I fix the
        posture part?" names its own subject)."""
        if set(expansion.treatments) - {self._general} or self._names_subject(message):
            return False  # "why though?" words only the guide's general part: still bare
        return 0 < len(_WORD.findall(plain(message))) <= self._bare_max_words

    def resolve(self, message: str, expansion: Expansion, earlier_user_messages: list[str], last_reply: str = "") -> Focus:
        """The treatment a context-dependent message is about (``earlier_user_messages`` newest first;
        ``last_reply``: the assistant's reply to the newest of them, "" if none came back)."""
        # "why those ones?" names no treatment of its own, nor does a word of the clinic's page: "how many appointments is
        # that gonna be?" after "thinking about going to a chiropractor" is about the chiropractor (answers_dev23 had it
        # open with the clinic's "we specialize in ..."); booking and prices are the clinic step's, before any answer
        own = [t for t in expansion.treatments if t not in (self._general, self._clinic)]
        if own == [self._vocabulary.combination] and earlier_user_messages and self._asked_past(message):
            own = []  # "didn't really do much, what now?" after a massage: the next step past it, not the closing plan
        # "the next step" names the plan
        tried = tuple(t for t in dict.fromkeys(expansion.named or own) if t not in (self._general, self._vocabulary.combination))
        if len(tried) == 1 and self._tried_and_past(message):
            return Focus(tried[0], "tried it and asks past it", beyond=True)
        if len(tried) > 1 and self._said_to_fail(message):
            # "what if rest and ice dont work": answered from past all of them (answers_dev35 opened with the ice pack). One
            # treatment said to fail, or several tried before "what next?", keep their own next steps (contrast therapy
            # after "rest and ice for three days", a prescription-strength NSAID): excluding them cost those answers.
            return Focus(None, "says what it names failed and asks past them", beyond=True, past=tried)
        if own or not earlier_user_messages or not (self.leans_on_context(message) or self.is_bare(message, expansion)):
            return Focus(None, "stands on its own")
        if self.asks_for_a_professional(message) and not self._asks_amount(message):
            return Focus(None, "asks whether to see someone")  # "should I get it checked?" after naproxen: not the naproxen
        beyond = self.asks_beyond(message)
        named = self._named(earlier_user_messages[0])
        if (
            last_reply and self._asked_past(earlier_user_messages[0])
            and (answered := self._lexical_treatment(last_reply)) is not None
        ):  # "nothing's touching it, is there a stronger medicine?" → a muscle relaxant → "how long would I be on it?":
            # the earlier question asked past something, so the reply's topic is the step it was given
            return Focus(answered, f"the earlier question asked past something; the reply's topic: {last_reply[:60]!r}", beyond)
        if named and _asks(earlier_user_messages[0]):  # "can I take ibuprofen?" → "is it safe with food?"
            return Focus(named[0], f"asked about earlier: {earlier_user_messages[0][:60]!r}", beyond, earlier_user_messages[0])
        if not named and last_reply and _spans_treatments(self._vocabulary.expand(last_reply).treatments):
            # "best treatment for a sudden spasm?" → rest, cold and anti-inflammatories → "and if it keeps coming back?":
            # about the question asked, not the last treatment the reply happened to name
            return Focus(None, f"the last reply spans several treatments: {last_reply[:60]!r}", beyond, earlier_user_messages[0])
        if last_reply and (treatment := self._lexical_treatment(last_reply)):
            return Focus(treatment, f"topic of the last reply: {last_reply[:60]!r}", beyond)
        if named:  # a story ("it went lifting the car seat") names what caused it, not what to do: the reply's topic came first
            return Focus(named[0], f"named earlier: {earlier_user_messages[0][:60]!r}", beyond, earlier_user_messages[0])
        for earlier in earlier_user_messages[1:]:
            named = self._named(earlier)
            if named:
                return Focus(named[0], f"named earlier: {earlier[:60]!r}", beyond, earlier)
        if not _asks(earlier_user_messages[0]):  # "threw my back out picking up my toddler" → "ok so what do i do first?":
            # a story that asked nothing is the question's context, not a treatment to stay within
            return Focus(None, f"a story told earlier: {earlier_user_messages[0][:60]!r}", beyond, earlier_user_messages[0])
        # an earlier question that names no treatment ("Is it ok to work with a back spasm? I'm a plumber") has no topic to stay
        # within: its best word match (massage, for "work") is a guess, so the two are searched together (answers_dev31)
        return Focus(None, f"an earlier question naming no treatment: {earlier_user_messages[0][:60]!r}", beyond, earlier_user_messages[0])
