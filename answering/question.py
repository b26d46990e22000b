"""Reading a question: what kind of answer it wants, and what it asks of a comparison.

All the wording lives in ``data/<lang>/answering.toml``; this module only compiles it
and answers small questions about a message ("does it ask for an amount?",
"does it rank treatments by cost?", "does it ask for *no* medication?").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from answering.cell_reading import CellReading
from rules.files import read_answering, read_medicines
from rules.locale import DEFAULT_LANGUAGE
from rules.negation import NegationRules
from rules.patterns import SENTENCE_ENDS, PatternLanguage, compile_patterns, compile_words, plain

POLARITY_MEMO_LIMIT = 1 << 16
_SENTENCES = re.compile(r"[^.!?]+[.!?]*")
_SENTENCE_END = re.compile(r"[.!?]")
SIDE_WORDS = 6  # how far before and after "or" / "than" a side of a choice is looked for
_POINTS_BACK = re.compile(r"\b(that|this|it|its|these|those|they|them)\b")  # "is that better than advil?"


@dataclass(frozen=True)
class AnswerType:
    name: str
    asks: re.Pattern[str]
    expects: re.Pattern[str]
    weight: float = 1.0  # times the composer's answer_type_bonus: a definition asked for outweighs a livelier opening
    leads: bool = False  # a sentence holding it may open the answer even when it reads generic

    def met_by(self, sentence: str) -> bool:
        return _holds(self.expects, sentence)


@functools.lru_cache(maxsize=1 << 16)
def _holds(expects: re.Pattern[str], sentence: str) -> bool:
    """Whether a sentence holds an answer type; cached, as the guide's sentences recur across questions."""
    return expects.search(plain(sentence)) is not None


@dataclass(frozen=True)
class Ranking:
    asks: re.Pattern[str]
    column: str
    descending: bool
    says: re.Pattern[str] | None = None  # other columns' cells that say the ranked quality outright ("inexpensive")


@dataclass(frozen=True)
class ColumnAsk:
    asks: re.Pattern[str]
    columns: frozenset[str]  # lower case
    says: re.Pattern[str] | None = None  # a shown row's cells (any column) that say outright what is asked
    leads: bool = False  # the asked cells open the answer, before the prose


@dataclass(frozen=True)
class Concept:
    name: str
    pattern: re.Pattern[str]  # any of its words, as whole words


@dataclass(frozen=True)
class QuestionRules:
    answer_types: tuple[AnswerType, ...]
    comparison: re.Pattern[str]
    levels: tuple[str, ...]
    rankings: tuple[Ranking, ...]
    concepts: tuple[Concept, ...]
    negation: NegationRules
    choice: re.Pattern[str] | None = None  # "A or B": groups a and b
    beyond_named: re.Pattern[str] | None = None  # "than", "instead of": a comparison past the treatments named
    beyond_all_named: re.Pattern[str] | None = None  # "else", "besides": past the treatments named, however many
    yes_or_no: re.Pattern[str] | None = None  # "is it expensive?": a yes or no of one treatment, not a ranking of all
    question_turn: re.Pattern[str] | None = None  # "…, but how long…?": where a statement turns into the question
    asked_without_mark: re.Pattern[str] | None = None  # "how much ibuprofen for me": asked, though no "?" ends it
    refers_back: re.Pattern[str] | None = None  # "while it's working": a question pointing back at what the message said
    choice_joins: re.Pattern[str] | None = None  # "or", "than": between the two sides of a choice
    which_of_earlier: re.Pattern[str] | None = None  # "which would you go for?": the previous message's two sides
    against_earlier: re.Pattern[str] | None = None  # "would muscle relaxers be stronger?": than what came before
    columns: tuple[ColumnAsk, ...] = ()  # "which works better?": the comparison table's columns asked of
    choice_columns: frozenset[str] = frozenset()  # "massage or chiro?" asking of no column: read side by side in one of these
    cell_reading: CellReading = CellReading()  # the sentence a table cell reads as in an answer
    bare_topic: re.Pattern[str] | None = None  # a message that only names the trouble ("spasm", "lower back pain help")
    bare_topic_question: str = ""  # the question such a message is answered as
    fresh_spasm: re.Pattern[str] | None = None  # "back just seized, cant move, what do i do": answered as that question too
    reported_term: re.Pattern[str] | None = None  # "whats this X my physio keeps on about": group "asked" is the question
    _polarity_memo: dict[str, dict[str, bool]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, language: str = DEFAULT_LANGUAGE) -> QuestionRules:
        data = read_answering(language)
        medicine_words = read_medicines().general_words
        language_rules = PatternLanguage()
        return cls(
            answer_types=tuple(AnswerType(t.name, compile_patterns(t.asks), compile_patterns(t.expects), t.weight, t.leads) for t in data.answer_types),
            comparison=compile_patterns(data.comparison),
            levels=data.levels,
            rankings=tuple(
                Ranking(compile_patterns(r.asks), r.column, r.descending, compile_patterns(r.says) if r.says else None)
                for r in data.rankings
            ),
            concepts=tuple(
                Concept(c.name, compile_words((*c.words, *(medicine_words if c.medicines else ()))))
                for c in data.concepts
            ),
            negation=NegationRules(
                triggers=language_rules.compile(data.negation_before, literal_phrases=True),
                window=data.negation_window,
                breaks=SENTENCE_ENDS,  # "Nothing helps. Which pills work?" asks for pills
                post=re.compile(rf"(?:{language_rules.alternation(data.negation_after, literal_phrases=True)})\b"),
            ),
            choice=compile_patterns([data.choice]),
            beyond_named=compile_patterns(data.beyond_named) if data.beyond_named else None,
            beyond_all_named=compile_patterns(data.beyond_all_named) if data.beyond_all_named else None,
            yes_or_no=compile_patterns(data.yes_or_no) if data.yes_or_no else None,
            question_turn=compile_patterns(data.question_turn) if data.question_turn else None,
            asked_without_mark=compile_patterns(data.asked_without_mark) if data.asked_without_mark else None,
            refers_back=compile_patterns(data.refers_back) if data.refers_back else None,
            choice_joins=compile_patterns(data.choice_joins, whole_words=True) if data.choice_joins else None,
            which_of_earlier=compile_patterns(data.which_of_earlier) if data.which_of_earlier else None,
            against_earlier=compile_patterns(data.against_earlier) if data.against_earlier else None,
            bare_topic=compile_patterns(data.bare_topic) if data.bare_topic and data.bare_topic_question else None,
            fresh_spasm=compile_patterns(data.fresh_spasm) if data.fresh_spasm and data.bare_topic_question else None,
            reported_term=compile_patterns(data.reported_term) if data.reported_term else None,
            bare_topic_question=data.bare_topic_question,
            columns=tuple(
                ColumnAsk(
                    compile_patterns(c.asks), frozenset(n.lower() for n in c.columns), compile_patterns(c.says) if c.says else None, c.leads,
                )
                for c in data.columns
            ),
            choice_columns=frozenset(n.lower() for n in data.choice_columns),
            cell_reading=CellReading(data.cell_reads, {c.column.lower(): c.reads for c in data.cell_readings}),
        )

    def asked_clauses(self, text: str) -> tuple[list[str], int]:
        """What a message asks (its questions, in plain text) and how many parts it has in all.

        A sentence ending in "?" is asked, from where a statement turns into its question
        ("I'm doing yoga too, but how long should I ice?" asks "how long should i ice?"; the
        rest is said); so is a sentence that opens as a question (``asked_without_mark``) when no
        sentence of the message ends in "?" ("my dog knocked me over. how much ibuprofen for me"); any
        other sentence is said. Subjects named only in what is said are background ("Back went
        during yoga. What ibuprofen dose?" asks about ibuprofen).
        """
        asked: list[str] = []
        parts = 0
        sentences = _SENTENCES.findall(plain(text))
        marked = any(s.rstrip().endswith("?") for s in sentences)
        for sentence in sentences:
            opens_a_question = not marked and self.asked_without_mark is not None and self.asked_without_mark.match(sentence.strip())
            if not sentence.rstrip().endswith("?") and not opens_a_question:
                parts += 1
                continue
            turns = list(self.question_turn.finditer(sentence)) if self.question_turn else []
            asked.append(sentence[turns[-1].end() :] if turns else sentence)
            parts += 2 if turns else 1
        return asked, parts

    def as_question(self, message: str) -> str:
        """The question a message asks: a message that only names the trouble ("spasm", "lower back pain help", "ugh my
        back again") is answered as ``bare_topic_question``; its words alone drew the guide's scene-setting ("A sudden,
        involuntary back spasm can be debilitating ..."), or read as a question the guide cannot answer. So is a message
        that tells a spasm that has just started and asks only what to do (``fresh_spasm``: "back sezed up cant move ow
        what do i do" opened with short walks every few hours, its "cant move" read as a question of movement). A question what
        a term is, followed by who keeps saying it ("whats this pain spasm cycle my physio keeps banging on about"), is
        asked without them (``reported_term``): the physio named drew physio's introduction; so is a term someone
        mentioned, asked about after it ("my GP mentioned a pain spasm cycle, what's that about"). Else the message itself."""
        prepared = plain(message).strip()
        if any(p is not None and p.fullmatch(prepared) for p in (self.bare_topic, self.fresh_spasm)):
            return self.bare_topic_question
        if self.reported_term is not None and (reported := self.reported_term.fullmatch(prepared)):
            found = reported.groupdict()
            if found.get("term"):  # "my GP mentioned a pain spasm cycle, what's that about"
                return f"what is {found['term'].strip()}?"
            return f"{found['asked'].strip()}?"  # who keeps saying it is not what is asked about
        return message

    def wanted_types(self, question: str) -> list[AnswerType]:
        prepared = plain(question)
        return [t for t in self.answer_types if t.asks.search(prepared)]

    def choice_type(self, question: str, widen: Callable[[str], Iterable[str]]) -> AnswerType | None:
        """For "A or B?", an answer type met by a sentence that names both sides.

        ``widen`` gives the words a side also goes by (the lay vocabulary's terms);
        words both sides share ("therapy") tell nothing and are dropped.
        """
        m = self.choice.search(plain(question)) if self.choice else None
        if m is None:
            return None
        a, b = ({m[g].lower(), *(w.lower() for w in widen(m[g]))} for g in ("a", "b"))
        a, b = a - b, b - a
        if not a or not b:
            return None
        both = "".join(rf"(?=.*\b(?:{'|'.join(map(re.escape, sorted(side)))})\b)" for side in (a, b))
        return AnswerType("choice", m.re, re.compile("^" + both, re.DOTALL))

    def offers_a_choice(self, text: str) -> bool:
        """"heat or ice", "massage or chiro": the message sets two things side by side (``[choice] asks``)."""
        return bool(self.choice and self.choice.search(plain(text)))

    def asks_which_of_earlier(self, question: str) -> bool:
        """"Which would you go for?", naming no side: the choice is the one the previous message named."""
        return bool(self.which_of_earlier and self.which_of_earlier.search(plain(question)))

    def compares_with_earlier(self, question: str) -> bool:
        """"would muscle relaxers be stronger?" after "been on nurofen for 4 days": a comparative with no "than", so
        what it names is set against what the previous message named."""
        return bool(self.against_earlier and self.against_earlier.search(plain(question)))

    def sides(self, question: str, named_in: Callable[[str], Sequence[str]], earlier: Sequence[str] = ()) -> tuple[str, str] | None:
        """"chiro or physio?", "is heat better than ibuprofen for this?": the two treatments a choice is between.

        ``named_in`` gives the treatments a piece of text names, in order. The last one named in the few
        words before a joining word (``[choice] joins``) and the first one named in the few words after it
        are the sides; None when either names none, or both name the same one ("heat or ice?" is a choice
        inside one treatment, which its own passages answer; "ibuprofen tablets or the gel?" too, though "tablets"
        also names the muscle relaxants). Words before the join that name none but point
        back ("is that better than advil?") stand for the last of ``earlier``, the treatments the patient's
        previous message named ("is ice good?").
        """
        if self.choice_joins is None:
            return None
        prepared = plain(question)
        for join in self.choice_joins.finditer(prepared):
            before = _SENTENCE_END.split(prepared[: join.start()])[-1].split()[-SIDE_WORDS:]
            after = _SENTENCE_END.split(prepared[join.end() :].removeprefix("."))[0].split()[:SIDE_WORDS]  # "vs." ends no sentence
            left, right = named_in(" ".join(before)), named_in(" ".join(after))
            if not left and earlier and _POINTS_BACK.search(" ".join(before)):
                left = earlier
            if right and len(near := named_in(" ".join(before[-2:]))) > 1 and right[0] in near:
                return None  # "ibuprofen tablets or the gel?": "tablets" names both medicine sections, the gel one of them
            if left and right and left[-1] != right[0]:
                return left[-1], right[0]
        return None

    def intent(self, question: str) -> str:
        """A one-word label of what the question wants, for the clinic's figures: "comparison",
        the first answer type it asks for ("amount", "duration", "caution"...), or "general"."""
        if self.asks_comparison(question):
            return "comparison"
        wanted = self.wanted_types(question)
        return wanted[0].name if wanted else "general"

    def asks_comparison(self, question: str) -> bool:
        return bool(self.comparison.search(plain(question))) or self.ranking(question) is not None

    def compares_only(self, question: str, named: tuple[str, ...]) -> tuple[str, ...]:
        """The treatments a comparison is between, when the question names them: two or more ("is massage
        better than a chiropractor?"), or one it ranks ("is massage expensive?") unless it looks past it
        ("cheaper than physio?", "what else besides massage?"). A question asking for or against a
        concept ("which don't involve pills?") reads every row: the medicines it names are what it rules out; a concept
        merely mentioned ("massage and stretching versus pills?") leaves the comparison to the treatments named."""
        if any(self.polarity(question).values()):  # against a concept: "which don't involve pills?"
            return ()
        if len(named) >= 2:
            return named
        if not named or self.ranking(question) is None or self.looks_past(question):
            return ()
        return named

    def asks_yes_or_no(self, question: str) -> bool:
        """A yes-or-no question ("is that going to get expensive?", "will it cost much?"), not which of several."""
        return self.yes_or_no is not None and self.yes_or_no.search(plain(question)) is not None

    def looks_past(self, question: str, named: Sequence[str] = ()) -> bool:
        """"cheaper than physio?", "what else besides massage?": the question asks beyond what it names.

        With two or more treatments ``named``, a comparative compares them ("is flexeril stronger than advil?");
        only the words of ``beyond_all_named`` ("else", "besides", "other than") still look past them all."""
        prepared = plain(question)
        if self.beyond_named is None or self.beyond_named.search(prepared) is None:
            return False
        if len(set(named)) < 2:
            return True
        return self.beyond_all_named is not None and self.beyond_all_named.search(prepared) is not None

    def asked_columns(self, question: str) -> frozenset[str]:
        """The comparison table's columns (lower case, as its header names them) ``question`` asks of, from the first
        entry that matches: "which works better, massage or chiro?" asks what each achieves, "is physio pricey?" what
        it costs, "which is better value for money?" too (the first entry decides)."""
        asked = self.column_ask(question)
        return asked.columns if asked else frozenset()

    def column_ask(self, question: str) -> ColumnAsk | None:
        """The first ``[[comparison.column]]`` entry ``question`` matches (its columns, and what a cell saying it outright says)."""
        prepared = plain(question)
        return next((c for c in self.columns if c.asks.search(prepared)), None)

    def ranking(self, question: str) -> Ranking | None:
        prepared = plain(question)
        return next((r for r in self.rankings if r.asks.search(prepared)), None)

    def level(self, cell_text: str) -> int | None:
        """Rank of a cell's level word ("Moderate to High ⚡ …" → 4), longest match first."""
        lowered = cell_text.lower()
        for level in sorted(self.levels, key=len, reverse=True):
            if lowered.startswith(level):
                return self.levels.index(level)
        return None

    def polarity(self, text: str) -> dict[str, bool]:
        """Concepts ``text`` mentions, each True when it is negated ("no meds", "drug-free").

        Table cells recur in every comparison, so their readings are kept (read-only for callers).
        """
        known = self._polarity_memo.get(text)
        if known is None:
            if len(self._polarity_memo) >= POLARITY_MEMO_LIMIT:  # questions pass through here too: stay bounded
                self._polarity_memo.clear()
            known = self._polarity_memo[text] = self._read_polarity(text)
        return known

    def negates_each(self, text: str, phrases: Sequence[str]) -> bool:
        """Whether each of ``phrases`` (as ``text`` writes them) is negated there: "I don't want painkillers", "no more
        muscle relaxers"; not "muscle relaxants without a prescription" (the prescription is). A phrase not found is not
        negated."""
        prepared = plain(text)
        reading = self.negation.read(prepared)
        for phrase in phrases:
            said = re.search(rf"(?<![a-z0-9]){re.escape(plain(phrase))}(?![a-z0-9])", prepared)
            if said is None or reading.negated_by(said.start(), said.end()) is None:
                return False
        return True

    def _read_polarity(self, text: str) -> dict[str, bool]:
        found: dict[str, bool] = {}
        prepared = plain(text)
        reading = self.negation.read(prepared)
        for concept in self.concepts:
            for m in concept.pattern.finditer(prepared):
                negated = reading.negated_by(m.start(), m.end()) is not None
                found[concept.name] = found.get(concept.name, False) or negated
        return found
