"""A reader per data file: its schema, checked key by key, returned as typed data.

Each reader validates one file strictly (unknown keys, wrong types, patterns that
do not compile or match anything) and returns a frozen record of plain values;
the layer that uses the file compiles those into its matchers. Treatment ids and
medicines are checked against their single sources by :mod:`rules.catalog`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from contracts import Tier
from rules.locale import DEFAULT_LANGUAGE, data_file, shared_data_file
from rules.patterns import PatternError, PatternLanguage, literal
from rules.prompts import RISK_TEXTS, SAFETY_TEXTS
from rules.toml import Document, RulesError, Table

STRUCTURE = "structure.toml"
MEDICINES = "medicines.toml"
VOCABULARY = "vocabulary.toml"
SCOPE = "scope.toml"
ANSWERING = "answering.toml"
FOLLOWUP = "followup.toml"
RED_FLAGS = "red_flags.toml"


def _check_patterns(table: Table, key: str, patterns: Sequence[str], whole_words: bool, language: PatternLanguage | None = None) -> None:
    """Every pattern of ``key`` compiles alone and does not match empty text (the line of the first that fails)."""
    lang = language or PatternLanguage()
    table.each(key, lambda p: lang.check(p, whole_words), patterns)


def _check_regexes(table: Table, key: str, patterns: Sequence[str]) -> None:
    """Plain regular expressions (matched against a document's lines, not a message)."""

    def compiles(pattern: str) -> None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"'{pattern}' is not a valid pattern: {exc}") from None

    table.each(key, compiles, patterns)


# -- data/structure.toml ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreatmentEntry:
    id: str
    name: str
    headings: tuple[str, ...]


@dataclass(frozen=True)
class PartEntry:
    id: str
    name: str


@dataclass(frozen=True)
class StructureData:
    """How ingest recognises a document's structure (``data/structure.toml``)."""

    path: Path
    treatments: tuple[TreatmentEntry, ...]
    overview: PartEntry
    plan: PartEntry
    plan_starts: tuple[str, ...]
    clinic: PartEntry
    clinic_markers: tuple[str, ...]
    placeholder_lines: tuple[str, ...]
    footer_starts: tuple[str, ...]
    table_heading: str
    table_columns: tuple[tuple[str, str], ...]  # (name, marker)

    @property
    def ids(self) -> dict[str, str]:
        """Every treatment and part id with its display name: the single source of treatment ids."""
        names = {t.id: t.name for t in self.treatments}
        for part in (self.overview, self.plan, self.clinic):
            names[part.id] = part.name
        return names


def _part(table: Table, key: str) -> tuple[Table, PartEntry]:
    part = table.table(key)
    return part, PartEntry(part.text("id"), part.text("name"))


@cache
def read_structure(path: Path | None = None) -> StructureData:
    doc = Document.read(path or shared_data_file(STRUCTURE))
    root = doc.root()
    treatments = []
    for t in root.tables("treatment"):
        treatments.append(TreatmentEntry(t.text("id"), t.text("name"), tuple(t.strings("headings"))))
        t.done()
    ids = [t.id for t in treatments]
    if duplicated := sorted({i for i in ids if ids.count(i) > 1}):
        raise root.error("treatment", f"id {duplicated[0]!r} is used twice", duplicated[0])
    parts = root.table("parts")
    overview_table, overview = _part(parts, "overview")
    plan_table, plan = _part(parts, "integrated_plan")
    plan_starts = plan_table.strings("starts_at")
    clinic_table, clinic = _part(parts, "clinic")
    markers = clinic_table.strings("paragraph_markers")
    for t in (overview_table, plan_table, clinic_table, parts):
        t.done()
    noise = root.table("noise")
    placeholders, footers = noise.strings("placeholder_lines"), noise.strings("footer_starts")
    _check_regexes(noise, "placeholder_lines", placeholders)
    _check_regexes(noise, "footer_starts", footers)
    noise.done()
    table = root.table("table")
    columns = []
    for column in table.tables("columns"):
        columns.append((column.text("name"), column.text("marker")))
        column.done()
    heading = table.text("heading")
    table.done()
    root.done()
    return StructureData(
        doc.path, tuple(treatments), overview, plan, tuple(plan_starts), clinic, tuple(m.lower() for m in markers),
        tuple(placeholders), tuple(footers), heading.lower(), tuple(columns),
    )


def _require_treatments(table: Table, key: str, treatments: Sequence[str]) -> None:
    """Each id is one of ``data/structure.toml``'s (the single source of treatment ids)."""
    known = read_structure().ids
    for treatment in treatments:
        if treatment not in known:
            raise table.error(key, f"unknown treatment id {treatment!r} (known: {', '.join(known)}; see data/structure.toml)", treatment)


# -- data/medicines.toml -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MedicineClass:
    id: str
    name: str
    treatment: str | None  # the guide's section; None when the guide does not cover the class
    words: tuple[str, ...]
    means: str
    context: bool = False  # named as background ("I'm on methotrexate"), not asked about: no "not covered" reply

    @property
    def covered(self) -> bool:
        return self.treatment is not None


@dataclass(frozen=True)
class Medicine:
    id: str
    class_id: str
    names: tuple[str, ...]
    brands: tuple[str, ...]
    also: tuple[str, ...]
    means: str  # "" = its class's

    @property
    def words(self) -> tuple[str, ...]:
        """Everything a patient may call it."""
        return (*self.names, *self.brands, *self.also)


@dataclass(frozen=True)
class MedicinesData:
    """``data/medicines.toml``: the one vocabulary of medicines."""

    path: Path
    general_words: tuple[str, ...]
    general_means: str
    classes: tuple[MedicineClass, ...]
    medicines: tuple[Medicine, ...]
    # Words right before or after a background class's name that make it the thing asked about
    # ("can I try prednisone instead?"): then "the guide doesn't cover it" is said after all.
    asked_before: tuple[str, ...] = ()
    asked_after: tuple[str, ...] = ()
    not_names: tuple[str, ...] = ()  # everyday words that read as a name's plural ("pulling weeds" is not cannabis)

    def klass(self, class_id: str) -> MedicineClass:
        return next(c for c in self.classes if c.id == class_id)

    @property
    def covered_treatments(self) -> tuple[str, ...]:
        """The guide's treatments that are medicines (their answers carry the medication caution)."""
        return tuple(dict.fromkeys(c.treatment for c in self.classes if c.treatment is not None))

    def words_of_class(self, class_id: str) -> tuple[str, ...]:
        """The class's own words and every word of its medicines."""
        klass = self.klass(class_id)
        return (*klass.words, *(w for m in self.medicines if m.class_id == class_id for w in m.words))

    def all_words(self) -> tuple[str, ...]:
        """Every name, brand and class word (what a misspelling is read against: ``rules.spelling``)."""
        return (*self.general_words, *(w for c in self.classes for w in c.words), *(w for m in self.medicines for w in m.words))

    def spellings(self) -> tuple[tuple[str, ...], ...]:
        """Each medicine's names, brands and misspellings: one medicine's spellings (``rules.spelling``)."""
        return tuple(m.words for m in self.medicines)

    def uncovered_words(self) -> tuple[str, ...]:
        """Every name of a medicine the guide does not cover."""
        return tuple(w for c in self.classes if not c.covered for w in self.words_of_class(c.id))


@cache
def read_medicines(path: Path | None = None) -> MedicinesData:
    doc = Document.read(path or shared_data_file(MEDICINES))
    root = doc.root()
    general = root.table("general")
    general_words, general_means = general.strings("words"), general.text("means")
    asked_before = tuple(general.strings("asked_before", default=[], nonempty=False))
    asked_after = tuple(general.strings("asked_after", default=[], nonempty=False))
    _check_patterns(general, "asked_before", asked_before, whole_words=False)
    _check_patterns(general, "asked_after", asked_after, whole_words=False)
    not_names = tuple(w.lower() for w in general.strings("not_names", default=[], nonempty=False))
    general.done()
    classes: list[MedicineClass] = []
    for c in root.tables("class"):
        klass = MedicineClass(
            c.text("id"), c.text("name"), c.text("treatment", default=None), tuple(c.strings("words", nonempty=False)),
            c.text("means", default=""), c.flag("context", default=False),
        )
        if klass.covered and not klass.means:
            raise c.error("means", "a class the guide covers needs the guide's words to search with")
        _require_treatments(c, "treatment", [klass.treatment] if klass.treatment else [])
        c.done()
        classes.append(klass)
    class_ids = {c.id for c in classes}
    medicines: list[Medicine] = []
    seen: dict[str, str] = {}
    for m in root.tables("medicine"):
        medicine = Medicine(
            m.text("id"), m.text("class"), tuple(m.strings("names")), tuple(m.strings("brands", default=[])),
            tuple(m.strings("also", default=[])), m.text("means", default=""),
        )
        if medicine.class_id not in class_ids:
            raise m.error("class", f"unknown class {medicine.class_id!r} (classes: {', '.join(sorted(class_ids))})", medicine.class_id)
        for word in medicine.words:
            if word.lower() in seen:
                raise m.error("names", f"{word!r} already names {seen[word.lower()]}", word)
            seen[word.lower()] = medicine.id
        m.done()
        medicines.append(medicine)
    ids = [m.id for m in medicines]
    if duplicated := sorted({i for i in ids if ids.count(i) > 1}):
        raise root.error("medicine", f"id {duplicated[0]!r} is used twice", duplicated[0])
    root.done()
    return MedicinesData(doc.path, tuple(general_words), general_means, tuple(classes), tuple(medicines), asked_before, asked_after, not_names)


# -- data/<lang>/vocabulary.toml ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TermEntry:
    says: tuple[str, ...]
    means: str
    treatments: tuple[str, ...]


@dataclass(frozen=True)
class VocabularyData:
    """Patients' words → the guide's words (``data/<lang>/vocabulary.toml``)."""

    path: Path
    terms: tuple[TermEntry, ...]
    many_at_least: int
    many_means: str


@cache
def read_vocabulary(language: str = DEFAULT_LANGUAGE, path: Path | None = None) -> VocabularyData:
    doc = Document.read(path or data_file(VOCABULARY, language))
    root = doc.root()
    many = root.table("many_treatments")
    at_least, means = many.integer("at_least", minimum=2), many.text("means")
    _require_treatments(many, "means", [means])
    many.done()
    terms = []
    for t in root.tables("term"):
        treatments = tuple(t.string_or_strings("treatment", default=[]))
        _require_treatments(t, "treatment", treatments)
        terms.append(TermEntry(tuple(t.strings("says")), t.text("means"), treatments))
        t.done()
    root.done()
    return VocabularyData(doc.path, tuple(terms), at_least, means)


# -- data/<lang>/scope.toml ------------------------------------------------------------------------


LOGISTICS_SETTINGS = ("hours", "address", "phone", "prices", "booking_url")


@dataclass(frozen=True)
class LogisticsEntry:
    """A question about the clinic itself: its topic in plain words, the [clinic] key that answers it."""

    topic: str
    setting: str
    patterns: tuple[str, ...]
    guide_answers: bool = False  # the guide speaks to it too (its "book a consultation" page): quote it after the clinic's details


@dataclass(frozen=True)
class SubjectGroup:
    """Near-topic subjects a guide may not cover (``[[not_in_guide]]``)."""

    subjects: tuple[str, ...]
    nearest: bool  # offer the closest thing the guide does say
    always: bool  # count the subject even when the guide has all its words


@dataclass(frozen=True)
class ScopeData:
    """What is a greeting, an injection, on or off topic, a dose request (``data/<lang>/scope.toml``)."""

    path: Path
    greeting_phrases: tuple[str, ...]
    greeting_fillers: tuple[str, ...]
    injection: tuple[str, ...]
    back_words: tuple[str, ...]
    care_words: tuple[str, ...]
    general_words: tuple[str, ...]
    body_parts: tuple[str, ...]
    conditions: tuple[str, ...]
    subjects: tuple[str, ...]
    dose: tuple[str, ...]
    exceed: tuple[str, ...]
    dose_words: tuple[str, ...]
    min_known_share: float
    label_limit: tuple[str, ...] = ()
    drug_free_question: str = ""
    thanks_phrases: tuple[str, ...] = ()
    logistics: tuple[LogisticsEntry, ...] = ()
    not_in_guide: tuple[SubjectGroup, ...] = ()
    drug_free: tuple[str, ...] = ()
    closing: tuple[str, ...] = ()
    closing_unless: tuple[str, ...] = ()
    question_openers: tuple[str, ...] = ()
    clause_fillers: tuple[str, ...] = ()
    closing_max_words: int = 0
    care_questions: tuple[str, ...] = ()  # asks how to care for oneself without naming the subject ("how do I stop this happening again?")
    figures_of_speech: tuple[str, ...] = ()  # body words that name no body part ("it's all in my head")
    together: tuple[str, ...] = ()  # asks to take two medicines at once ("advil and aleve together?")
    two_of_a_class: tuple[str, ...] = ()  # medicine classes two of which together get a caution of their own
    plan_verbs: tuple[str, ...] = ()  # after a question opener with no subject, a plan stated ("will give the ice a go")


@cache
def read_scope(language: str = DEFAULT_LANGUAGE, path: Path | None = None) -> ScopeData:
    doc = Document.read(path or data_file(SCOPE, language))
    root = doc.root()
    greeting, injection, topic, off, dose = (root.table(k) for k in ("greeting", "injection", "topic", "off_topic", "dose"))
    data = ScopeData(
        doc.path,
        tuple(greeting.strings("phrases")),
        tuple(greeting.strings("fillers")),
        tuple(injection.strings("patterns")),
        tuple(topic.strings("back_words")),
        tuple(topic.strings("care_words")),
        tuple(topic.strings("general_words")),
        tuple(off.strings("body_parts")),
        tuple(off.strings("conditions")),
        tuple(off.strings("subjects")),
        tuple(dose.strings("patterns")),
        tuple(dose.strings("exceed_patterns")),
        tuple(dose.strings("words")),
        topic.number("min_known_share"),
        tuple(dose.strings("label_limit_patterns")),
        dose.text("drug_free_question"),
        tuple(greeting.strings("thanks", default=[])),
        _logistics(root),
        _subject_groups(root),
        tuple(dose.strings("drug_free_patterns")),
        tuple(greeting.strings("closing", default=[])),
        tuple(greeting.strings("closing_unless", default=[])),
        tuple(greeting.strings("question_openers", default=[])),
        tuple(greeting.strings("clause_fillers", default=[])),
        greeting.integer("closing_max_words", default=0, minimum=0),
        tuple(topic.strings("care_questions", default=[], nonempty=False)),
        tuple(off.strings("figures_of_speech", default=[], nonempty=False)),
        tuple(dose.strings("together_patterns", default=[], nonempty=False)),
        tuple(dose.strings("two_of_a_class", default=[], nonempty=False)),
        tuple(greeting.strings("plan_verbs", default=[], nonempty=False)),
    )
    lang = PatternLanguage(medicine_macros(read_medicines()))
    _check_patterns(injection, "patterns", data.injection, whole_words=False, language=lang)
    _check_patterns(dose, "patterns", data.dose, whole_words=False, language=lang)
    _check_patterns(dose, "exceed_patterns", data.exceed, whole_words=False, language=lang)
    _check_patterns(dose, "label_limit_patterns", data.label_limit, whole_words=False, language=lang)
    _check_patterns(dose, "together_patterns", data.together, whole_words=False, language=lang)
    _check_patterns(dose, "drug_free_patterns", data.drug_free, whole_words=False, language=lang)
    _check_patterns(topic, "care_questions", data.care_questions, whole_words=False)
    for t in (greeting, injection, topic, off, dose, root):
        t.done()
    return data


def _subject_groups(root: Table) -> tuple[SubjectGroup, ...]:
    groups = []
    for table in root.tables("not_in_guide", default=[], nonempty=False):
        groups.append(SubjectGroup(tuple(table.strings("subjects")), table.flag("nearest", default=True), table.flag("always", default=False)))
        table.done()
    return tuple(groups)


def _logistics(root: Table) -> tuple[LogisticsEntry, ...]:
    entries = []
    lang = PatternLanguage()
    for table in root.tables("logistics", default=[], nonempty=False):
        entry = LogisticsEntry(
            table.text("topic"), table.text("setting", choices=LOGISTICS_SETTINGS), tuple(table.strings("patterns")),
            table.flag("guide_answers", default=False),
        )
        _check_patterns(table, "patterns", entry.patterns, whole_words=False, language=lang)
        table.done()
        entries.append(entry)
    return tuple(entries)


# -- data/<lang>/answering.toml --------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerTypeEntry:
    name: str
    asks: tuple[str, ...]
    expects: tuple[str, ...]
    weight: float = 1.0  # times the composer's answer_type_bonus
    leads: bool = False  # a sentence holding it may open an answer even when it reads generic


@dataclass(frozen=True)
class RankingEntry:
    asks: tuple[str, ...]
    column: str
    descending: bool
    says: tuple[str, ...] = ()  # a ranked row's cells of other columns that say the quality outright ("inexpensive")


@dataclass(frozen=True)
class ColumnEntry:
    asks: tuple[str, ...]
    columns: tuple[str, ...]  # as the table's header names them
    says: tuple[str, ...] = ()  # a shown row's cells, of any column, that say outright what is asked ("prescription needed")
    leads: bool = False  # the asked cells open the answer: the table says it ("costly if frequent"), the prose never does


# A table cell as shown when answering.toml words none: its row, its column and the cell.
DEFAULT_CELL_READS = "**{treatment}**: {column}: {value}"


@dataclass(frozen=True)
class CellReadingEntry:
    column: str  # as the table's header names it
    reads: str  # the sentence a cell of that column reads as: {treatment}, {column}, {value}


@dataclass(frozen=True)
class ConceptEntry:
    name: str
    words: tuple[str, ...]
    medicines: bool  # also every general medicine word of data/medicines.toml


@dataclass(frozen=True)
class AnsweringData:
    """How a question is read (``data/<lang>/answering.toml``)."""

    path: Path
    answer_types: tuple[AnswerTypeEntry, ...]
    choice: str
    comparison: tuple[str, ...]
    levels: tuple[str, ...]
    rankings: tuple[RankingEntry, ...]
    concepts: tuple[ConceptEntry, ...]
    negation_before: tuple[str, ...]
    negation_after: tuple[str, ...]
    negation_window: int
    roles: RolesData = field(default_factory=lambda: RolesData((), ()))
    beyond_named: tuple[str, ...] = ()  # "cheaper than physio?", "instead of massage": past the treatments named
    beyond_all_named: tuple[str, ...] = ()  # "what else besides massage and chiro?": past them however many are named
    yes_or_no: tuple[str, ...] = ()  # a yes-or-no question ("is it expensive?"): of the one treatment discussed
    question_turn: tuple[str, ...] = ()  # "I'm doing yoga too, but how long should I ice?": where a statement turns into the question
    asked_without_mark: tuple[str, ...] = ()  # "how much ibuprofen for me": a sentence asked without its question mark
    refers_back: tuple[str, ...] = ()  # "... should I do anything while it's working": a question pointing back at what was said
    choice_joins: tuple[str, ...] = ()  # "or", "than": the words between the two sides of a choice
    which_of_earlier: tuple[str, ...] = ()  # "which would you go for?" after "X or Y": the earlier message's sides
    against_earlier: tuple[str, ...] = ()  # "would muscle relaxers be stronger?" after nurofen: against what it named
    columns: tuple[ColumnEntry, ...] = ()  # "which works better?": the table's columns a question asks of
    choice_columns: tuple[str, ...] = ()  # "massage or chiro?" asking of no column: the columns the two sides are read in
    cell_reads: str = DEFAULT_CELL_READS  # how a table cell reads in an answer...
    cell_readings: tuple[CellReadingEntry, ...] = ()  # ... and, for some columns, how theirs read
    bare_topic: tuple[str, ...] = ()  # a message that only names the trouble ("spasm", "lower back pain help") ...
    bare_topic_question: str = ""  # ... is answered as this question
    fresh_spasm: tuple[str, ...] = ()  # "back just seized, cant move, what do i do": answered as bare_topic_question too
    reported_term: tuple[str, ...] = ()  # "whats this X my physio keeps on about": the question (group "asked" or "term") without who said it


@dataclass(frozen=True)
class RolesData:
    """What makes a sentence concrete or generic (``[roles]``): generic English, not this guide's sentences."""

    concrete: tuple[str, ...]  # each pattern that matches adds one
    generic: tuple[str, ...]  # each match takes one away
    leans_back: tuple[str, ...] = ()  # an opening that points back at the sentence before it ("They are ...")
    empty_it: tuple[str, ...] = ()  # ... unless its "it" points at nothing ("It is crucial to ...")


@cache
def read_answering(language: str = DEFAULT_LANGUAGE, path: Path | None = None) -> AnsweringData:
    doc = Document.read(path or data_file(ANSWERING, language))
    root = doc.root()
    types = []
    for t in root.tables("answer_type"):
        entry = AnswerTypeEntry(
            t.text("name"), tuple(t.strings("asks")), tuple(t.strings("expects")), t.number("weight", default=1.0), t.flag("leads", default=False)
        )
        _check_patterns(t, "asks", entry.asks, whole_words=False)
        _check_patterns(t, "expects", entry.expects, whole_words=False)
        t.done()
        types.append(entry)
    choice_table = root.table("choice")
    choice = choice_table.text("asks")
    _check_patterns(choice_table, "asks", [choice], whole_words=False)
    choice_joins = tuple(choice_table.strings("joins", default=[], nonempty=False))
    _check_patterns(choice_table, "joins", choice_joins, whole_words=True)
    which_of_earlier = tuple(choice_table.strings("which_of_earlier", default=[], nonempty=False))
    _check_patterns(choice_table, "which_of_earlier", which_of_earlier, whole_words=False)
    against_earlier = tuple(choice_table.strings("against_earlier", default=[], nonempty=False))
    _check_patterns(choice_table, "against_earlier", against_earlier, whole_words=False)
    choice_table.done()
    comparison = root.table("comparison")
    asks = tuple(comparison.strings("asks"))
    _check_patterns(comparison, "asks", asks, whole_words=False)
    rankings = []
    for r in comparison.tables("ranking"):
        ranking = RankingEntry(
            tuple(r.strings("asks")), r.text("column"), r.text("order", choices=("ascending", "descending")) == "descending",
            tuple(r.strings("says", default=[], nonempty=False)),
        )
        _check_patterns(r, "asks", ranking.asks, whole_words=False)
        _check_patterns(r, "says", ranking.says, whole_words=False)
        r.done()
        rankings.append(ranking)
    beyond_named = tuple(comparison.strings("beyond_named", default=[], nonempty=False))
    _check_patterns(comparison, "beyond_named", beyond_named, whole_words=False)
    beyond_all_named = tuple(comparison.strings("beyond_all_named", default=[], nonempty=False))
    _check_patterns(comparison, "beyond_all_named", beyond_all_named, whole_words=False)
    yes_or_no = tuple(comparison.strings("yes_or_no", default=[], nonempty=False))
    _check_patterns(comparison, "yes_or_no", yes_or_no, whole_words=False)
    columns = []
    for c in comparison.tables("column"):
        column = ColumnEntry(
            tuple(c.strings("asks")), tuple(c.strings("columns")), tuple(c.strings("says", default=[], nonempty=False)),
            c.flag("leads", default=False),
        )
        _check_patterns(c, "asks", column.asks, whole_words=False)
        _check_patterns(c, "says", column.says, whole_words=False)
        c.done()
        columns.append(column)
    choice_columns = tuple(comparison.strings("choice_columns", default=[], nonempty=False))
    cell_reads = comparison.text("cell_reads", default=AnsweringData.cell_reads)
    _check_cell_reading(comparison, "cell_reads", cell_reads)
    cell_readings = []
    for c in comparison.tables("cell", default=[], nonempty=False):
        reading = CellReadingEntry(c.text("column"), c.text("reads"))
        _check_cell_reading(c, "reads", reading.reads)
        c.done()
        cell_readings.append(reading)
    concepts = []
    for c in comparison.tables("concept"):
        concepts.append(ConceptEntry(c.text("name"), tuple(c.strings("words", default=[], nonempty=False)), c.flag("medicines", default=False)))
        c.done()
    question_turn = tuple(root.strings("question_turn", default=[], nonempty=False))
    asked_without_mark = tuple(root.strings("asked_without_mark", default=[], nonempty=False))
    _check_patterns(root, "asked_without_mark", asked_without_mark, whole_words=False)
    refers_back = tuple(root.strings("refers_back", default=[], nonempty=False))
    _check_patterns(root, "refers_back", refers_back, whole_words=False)
    _check_patterns(root, "question_turn", question_turn, whole_words=False)  # a lookahead: matches no words of its own
    bare_topic = tuple(root.strings("bare_topic", default=[], nonempty=False))
    _check_patterns(root, "bare_topic", bare_topic, whole_words=False)
    bare_topic_question = root.text("bare_topic_question", default="")
    fresh_spasm = tuple(root.strings("fresh_spasm", default=[], nonempty=False))
    _check_patterns(root, "fresh_spasm", fresh_spasm, whole_words=False)
    reported_term = tuple(root.strings("reported_term", default=[], nonempty=False))
    _check_patterns(root, "reported_term", reported_term, whole_words=False)
    if any("(?P<asked>" not in p and "(?P<term>" not in p for p in reported_term):
        raise root.error("reported_term", "every pattern needs a group (?P<asked>...), the question kept, or (?P<term>...), the term asked about")
    data = AnsweringData(
        doc.path, tuple(types), choice, asks, tuple(lv.lower() for lv in comparison.strings("levels")), tuple(rankings),
        tuple(concepts), tuple(comparison.strings("negation_before")), tuple(comparison.strings("negation_after")),
        comparison.integer("negation_window", minimum=0),
        _roles(root),
        beyond_named,
        question_turn=question_turn,
        asked_without_mark=asked_without_mark,
        refers_back=refers_back,
        beyond_all_named=beyond_all_named,
        yes_or_no=yes_or_no,
        choice_joins=choice_joins,
        which_of_earlier=which_of_earlier,
        against_earlier=against_earlier,
        columns=tuple(columns),
        choice_columns=choice_columns,
        cell_reads=cell_reads,
        cell_readings=tuple(cell_readings),
        bare_topic=bare_topic,
        bare_topic_question=bare_topic_question,
        fresh_spasm=fresh_spasm,
        reported_term=reported_term,
    )
    comparison.done()
    root.done()
    return data


def _check_cell_reading(table: Table, key: str, template: str) -> None:
    """A cell's reading must show the cell itself, and may name only its row and column: a typo in a
    placeholder fails at start-up, naming the file and key, not in a patient's answer."""
    names = set(re.findall(r"{(\w*)}", template))
    if "value" not in names or names - {"treatment", "column", "value"}:
        raise table.error(key, "must contain {value} and no placeholder but {treatment}, {column} and {value}", template)


def _roles(root: Table) -> RolesData:
    if "roles" not in root.data:
        return RolesData((), ())
    table = root.table("roles")
    roles = RolesData(
        tuple(table.strings("concrete")), tuple(table.strings("generic")),
        tuple(table.strings("leans_back", ())), tuple(table.strings("empty_it", ())),
    )
    for key in ("concrete", "generic", "leans_back", "empty_it"):
        _check_patterns(table, key, getattr(roles, key), whole_words=False)
    table.done()
    return roles


# -- data/<lang>/followup.toml -------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpData:
    path: Path
    patterns: tuple[str, ...]
    beyond: tuple[str, ...] = ()  # asks for what comes after the earlier topic (the next step), not more of it
    bare_max_words: int = 0  # a message this short naming no treatment leans on the conversation without a cue (0: never)
    tried: tuple[str, ...] = ()  # says the treatment it names was tried: with a `beyond` cue, asks past it
    how_often: tuple[str, ...] = ()  # asks how often: searched over the whole guide (frequencies sit in the closing plan too)
    failed: tuple[str, ...] = ()  # says the treatment failed: asks past it, and the answer adds another treatment's step
    elsewhere: tuple[str, ...] = ()  # turns from the item the earlier message named to another ("vs the normal one?")
    early: tuple[str, ...] = ()  # a guide sentence's words for the first hours of a spasm: never the step past a failed treatment
    past_early: tuple[str, ...] = ()  # the patient says the first days are behind them: the `early` advice does not open
    professional: tuple[str, ...] = ()  # asks whether to see someone: a question of its own, not about an earlier medicine
    whom_to_see: tuple[str, ...] = ()  # asks which kind of professional to see: the guide answers, not the clinic's diary
    defines: tuple[str, ...] = ()  # asks what the thing said earlier is or does: the guide's item it names by a rare word leads
    goes_on: tuple[str, ...] = ()  # a guide sentence's words for what to do when a treatment's first use has not worked: it opens before the step past it
    tried_for_weeks: tuple[str, ...] = ()  # says the treatment was kept up for weeks: its own next step is behind them, the step past opens


@cache
def read_followup(language: str = DEFAULT_LANGUAGE, path: Path | None = None) -> FollowUpData:
    doc = Document.read(path or data_file(FOLLOWUP, language))
    root = doc.root()
    table = root.table("followup")
    patterns = tuple(table.strings("patterns"))
    _check_patterns(table, "patterns", patterns, whole_words=False)
    beyond = tuple(table.strings("beyond", default=[], nonempty=False))
    _check_patterns(table, "beyond", beyond, whole_words=False)
    bare_max_words = table.integer("bare_max_words", default=0, minimum=0)
    tried = tuple(table.strings("tried", default=[], nonempty=False))
    _check_patterns(table, "tried", tried, whole_words=False)
    how_often = tuple(table.strings("how_often", default=[], nonempty=False))
    _check_patterns(table, "how_often", how_often, whole_words=False)
    failed = tuple(table.strings("failed", default=[], nonempty=False))
    _check_patterns(table, "failed", failed, whole_words=False)
    elsewhere = tuple(table.strings("elsewhere", default=[], nonempty=False))
    _check_patterns(table, "elsewhere", elsewhere, whole_words=False)
    early = tuple(table.strings("early", default=[], nonempty=False))
    _check_patterns(table, "early", early, whole_words=False)
    past_early = tuple(table.strings("past_early", default=[], nonempty=False))
    _check_patterns(table, "past_early", past_early, whole_words=False)
    professional = tuple(table.strings("professional", default=[], nonempty=False))
    _check_patterns(table, "professional", professional, whole_words=False)
    whom_to_see = tuple(table.strings("whom_to_see", default=[], nonempty=False))
    _check_patterns(table, "whom_to_see", whom_to_see, whole_words=False)
    defines = tuple(table.strings("defines", default=[], nonempty=False))
    _check_patterns(table, "defines", defines, whole_words=False)
    goes_on = tuple(table.strings("goes_on", default=[], nonempty=False))
    _check_patterns(table, "goes_on", goes_on, whole_words=False)
    tried_for_weeks = tuple(table.strings("tried_for_weeks", default=[], nonempty=False))
    _check_patterns(table, "tried_for_weeks", tried_for_weeks, whole_words=False)
    table.done()
    root.done()
    return FollowUpData(
        doc.path, patterns, beyond, bare_max_words, tried, how_often, failed, elsewhere, early, past_early, professional, whom_to_see, defines,
        goes_on, tried_for_weeks,
    )


# -- data/<lang>/red_flags.toml ----------------------------------------------------------------------


CONTEXT_KEYS = (
    "negation", "pseudo_negation", "terminators", "soft_terminators", "clause_joiners", "clause_openers",
    "hypothetical", "general", "other_person", "first_person", "past", "present", "their_symptoms",
)  # fmt: skip
OPTIONAL_CONTEXT_KEYS = (
    "unjoined_openers", "unjoined_not_after", "negation_bridges", "negation_conjunctions", "long_past", "not_present", "recent",
    "first_person_plural", "answered_no", "own_onset", "answered_yes",
)  # fmt: skip
SIGN_TIERS = (Tier.EMERGENCY, Tier.CRISIS, Tier.URGENT)


@dataclass(frozen=True)
class SignEntry:
    id: str
    tier: Tier
    label: str
    text: str  # the prompt (prompts/<lang>/<text>.md) a reply shows for this sign
    phrasings: tuple[str, ...]
    not_when: tuple[str, ...]
    risk: bool  # a risk factor, not a symptom: someone else's counts only with their symptoms now
    absent_when: tuple[str, ...] = ()  # words saying the sign is absent ("peeing normally"): see red_flags.toml
    across_sentences: tuple[str, ...] = ()  # phrasings whose parts may stand in different sentences or messages
    learned_needs: tuple[str, ...] = ()  # the learned layer names this sign only in a message saying one of these
    quiets_learned: bool = True  # a mention of it set aside also sets aside the learned layer's votes of its tier


@dataclass(frozen=True)
class RedFlagsData:
    """The red-flag signs of one language and the words that decide whether a mention counts."""

    path: Path
    language: str
    negation_window: int  # words, or characters where words are not spaced
    spaced_words: bool  # False for Chinese: patterns match without word boundaries, gaps count characters
    vocab: dict[str, tuple[str, ...]]
    signs: tuple[SignEntry, ...]
    context: dict[str, tuple[str, ...]]

    def pattern_language(self, medicine_vocab: dict[str, tuple[str, ...]] | None = None) -> PatternLanguage:
        """The language the phrasings are written in: ``[vocab]``, the medicine classes, gaps that stop at negations."""
        vocab = {**(medicine_vocab or {}), **self.vocab}
        return PatternLanguage(vocab, (*self.context["negation"], *self.context["terminators"]), self.spaced_words)


def medicine_macros(medicines: MedicinesData) -> dict[str, tuple[str, ...]]:
    """Medicine words for patterns, as literal phrases: ``{medicine_<class>}`` (every name of the class's
    medicines), ``{medicine_any}`` (every medicine's name) and ``{medicine_general}`` ("pills", "meds")."""
    macros = {f"medicine_{c.id.replace('-', '_')}": tuple(literal(w) for w in medicines.words_of_class(c.id)) for c in medicines.classes}
    macros["medicine_any"] = tuple(literal(w) for m in medicines.medicines for w in m.words)
    macros["medicine_general"] = tuple(literal(w) for w in medicines.general_words)
    return macros


@cache
def read_red_flags(language: str = DEFAULT_LANGUAGE, path: Path | None = None) -> RedFlagsData:
    doc = Document.read(path or data_file(RED_FLAGS, language))
    root = doc.root()
    settings = root.table("settings")
    window = settings.integer("negation_window", minimum=1)
    spaced = settings.flag("spaced_words", default=True)
    settings.done()
    vocab_table = root.table("vocab", default={})
    vocab = {name: tuple(vocab_table.strings(name)) for name in vocab_table.keys()}
    vocab_table.done()
    context_table = root.table("context")
    context = {key: tuple(context_table.strings(key)) for key in CONTEXT_KEYS}
    context.update({key: tuple(context_table.strings(key, default=[], nonempty=False)) for key in OPTIONAL_CONTEXT_KEYS})
    context_table.done()
    data = RedFlagsData(doc.path, language, window, spaced, vocab, (), context)
    lang = data.pattern_language(medicine_macros(read_medicines()))
    for key in (*CONTEXT_KEYS, *OPTIONAL_CONTEXT_KEYS):
        _check_patterns(context_table, key, context[key], whole_words=key not in ("clause_joiners",), language=lang)
    signs = []
    for s in root.tables("sign"):
        sign_id = s.text("id")
        s.label = f"[[sign]] {sign_id!r}"
        tier = Tier(s.text("tier", choices=[str(t) for t in SIGN_TIERS]))
        text = s.text("text", default=None if tier is not Tier.URGENT else "urgent", choices=SAFETY_TEXTS)
        phrasings = tuple(s.strings("phrasings"))
        not_when = tuple(s.strings("not_when", default=[]))
        absent_when = tuple(s.strings("absent_when", default=[]))
        across_sentences = tuple(s.strings("across_sentences", default=[]))
        learned_needs = tuple(s.strings("learned_needs", default=[]))
        label = s.text("label")
        risk = s.flag("risk", default=False)
        quiets_learned = s.flag("quiets_learned", default=True)
        _check_patterns(s, "phrasings", phrasings, whole_words=True, language=lang)
        _check_patterns(s, "not_when", not_when, whole_words=True, language=lang)
        _check_patterns(s, "absent_when", absent_when, whole_words=True, language=lang)
        _check_patterns(s, "across_sentences", across_sentences, whole_words=True, language=lang)
        _check_patterns(s, "learned_needs", learned_needs, whole_words=True, language=lang)
        s.done()
        signs.append(
            SignEntry(sign_id, tier, label.strip(), text, phrasings, not_when, risk, absent_when, across_sentences, learned_needs, quiets_learned)
        )
    ids = [s.id for s in signs]
    if duplicated := sorted({i for i in ids if ids.count(i) > 1}):
        raise root.error("sign", f"id {duplicated[0]!r} is used twice", duplicated[0])
    root.done()
    return RedFlagsData(doc.path, language, window, spaced, vocab, tuple(signs), context)


# -- data/<lang>/medicine_risks.toml ---------------------------------------------------------------------

MEDICINE_RISKS = "medicine_risks.toml"


@dataclass(frozen=True)
class RiskEntry:
    id: str
    label: str
    applies_to: tuple[str, ...]  # medicine classes whose dose the risk withholds
    text: str  # the caution that leads the reply
    phrasings: tuple[str, ...]
    not_when: tuple[str, ...]
    other_person: bool  # someone else's situation is the point (a child, a pet): it counts when said of them
    after: str = "drug_free"  # what follows the caution: "drug_free" treatments, the "guide"'s own answer, or "nothing"
    red_flags: tuple[str, ...] = ()  # red-flag signs (red_flags.toml ids) that, found by triage in the patient's own words, are this risk
    # said in passing ("my kids are at school"): not who the dose is for, unless the message asks for someone else or
    # says someone has symptoms ("can he take advil? his back hurts"); not_when holds what is never the risk
    in_passing: tuple[str, ...] = ()
    # its words name a person who is the patient's part of it (the baby a mother feeds): a question asked for the
    # patient ("can I take ...") never sets it aside as someone else's
    patients_own: bool = False


RISK_AFTER = ("drug_free", "guide", "nothing")


@dataclass(frozen=True)
class MedicineRisksData:
    """Who is asking about a medicine (``data/<lang>/medicine_risks.toml``), read with the language's red-flag context."""

    path: Path
    language: str
    risks: tuple[RiskEntry, ...]
    for_someone_else: tuple[str, ...] = ()  # the newest message asks for another person ("can she take ...")
    doubt: tuple[str, ...] = ()  # words that make a denial after them uncertain ("not sure if my kidneys are ok")
    for_myself: tuple[str, ...] = ()  # the newest message asks for the patient ("what's the dose for me?", "I'm 55")
    names_another: tuple[str, ...] = ()  # besides red_flags.toml's other_person: words naming the patient's child ("my teenage daughter")
    patient_is_young: tuple[str, ...] = ()  # the patient says they are the child ("I'm 15", "in year 8"): a child's risk stays theirs
    may_be_nursing: tuple[str, ...] = ()  # a baby named ("my 3 month old"): the patient may be breastfeeding, so a child's risk stays


@cache
def read_medicine_risks(language: str = DEFAULT_LANGUAGE, path: Path | None = None) -> MedicineRisksData:
    doc = Document.read(path or data_file(MEDICINE_RISKS, language))
    root = doc.root()
    medicines = read_medicines()
    classes = [c.id for c in medicines.classes]
    flags = read_red_flags(language)
    lang = flags.pattern_language(medicine_macros(medicines))
    signs = {sign.id for sign in flags.signs}
    risks = []
    for r in root.tables("risk"):
        risk_id = r.text("id")
        r.label = f"[[risk]] {risk_id!r}"
        applies_to = tuple(r.strings("applies_to"))
        r.each("applies_to", lambda c: None if c in classes else _raise(f"unknown medicine class {c!r} (classes: {', '.join(classes)})"), applies_to)
        entry = RiskEntry(
            risk_id, r.text("label"), applies_to, r.text("text", choices=RISK_TEXTS), tuple(r.strings("phrasings")),
            tuple(r.strings("not_when", default=[])), r.flag("other_person", default=False),
            r.text("after", default="drug_free", choices=RISK_AFTER), tuple(r.strings("red_flags", default=[])),
            tuple(r.strings("in_passing", default=[])), r.flag("patients_own", default=False),
        )
        r.each("red_flags", lambda sign: None if sign in signs else _raise(f"unknown red-flag sign {sign!r} (see {RED_FLAGS})"), entry.red_flags)
        _check_patterns(r, "phrasings", entry.phrasings, whole_words=True, language=lang)
        _check_patterns(r, "not_when", entry.not_when, whole_words=True, language=lang)
        _check_patterns(r, "in_passing", entry.in_passing, whole_words=True, language=lang)
        r.done()
        risks.append(entry)
    ids = [r.id for r in risks]
    if duplicated := sorted({i for i in ids if ids.count(i) > 1}):
        raise root.error("risk", f"id {duplicated[0]!r} is used twice", duplicated[0])
    lists = {key: _checked_patterns(root, key, lang) for key in ("for_someone_else", "doubt", "for_myself", "names_another", "patient_is_young", "may_be_nursing")}
    root.done()
    return MedicineRisksData(doc.path, language, tuple(risks), **lists)


def _checked_patterns(table: Table, key: str, language: PatternLanguage) -> tuple[str, ...]:
    """An optional list of whole-word patterns (empty when absent), each checked to compile."""
    patterns = tuple(table.strings(key, default=[]))
    _check_patterns(table, key, patterns, whole_words=True, language=language)
    return patterns


def _raise(problem: str) -> None:
    raise ValueError(problem)


LANGUAGE_READERS = {
    VOCABULARY: read_vocabulary, SCOPE: read_scope, ANSWERING: read_answering, FOLLOWUP: read_followup, RED_FLAGS: read_red_flags,
    MEDICINE_RISKS: read_medicine_risks,
}  # fmt: skip


__all__ = ["PatternError", "RulesError"]
