"""The data-file layer (``rules/``): TOML read key by key, the pattern language, NegEx, the readers, ``python -m rules check``.

No model, no index: small TOML files are written in ``tmp_path``, and the real data
files are only read (never edited; a broken copy is made where a test needs one).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import rules.locale
from contracts import Tier
from rules.__main__ import check, main
from rules.files import (
    LANGUAGE_READERS,
    medicine_macros,
    read_answering,
    read_followup,
    read_medicines,
    read_red_flags,
    read_scope,
    read_structure,
    read_vocabulary,
)
from rules.negation import NegationRules
from rules.patterns import PatternError, PatternLanguage, Text, compile_patterns, compile_words, literal
from rules.toml import Document, RulesError
from settings import PROJECT_ROOT

READERS = (read_structure, read_medicines, *LANGUAGE_READERS.values())


@pytest.fixture
def fresh_readers():
    """The readers are ``functools.cache``d: start and end with empty caches around custom paths."""
    for reader in READERS:
        reader.cache_clear()
    yield
    for reader in READERS:
        reader.cache_clear()


def _write(tmp_path: Path, text: str, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _line_containing(path: Path, needle: str) -> int:
    """1-based number of the first line of ``path`` that contains ``needle``."""
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


# -- rules/toml.py ------------------------------------------------------------------------------------

SAMPLE = """\
# a comment
title = "x"
count = "three"

[settings]
negation_window = 0
flag = 1
words = ["a", ""]

[[sign]]
id = "one"
tier = "urgent"

[[sign]]
id = "two"
phrasing = ["a"]
tier = "urgnet"
"""


@pytest.fixture
def sample(tmp_path) -> Document:
    return Document.read(_write(tmp_path, SAMPLE))


def _problem(call) -> str:
    with pytest.raises(RulesError) as info:
        call()
    return str(info.value)


def test_typed_getters_name_file_line_table_and_key(sample):
    path = sample.path
    root = sample.root()
    settings = root.table("settings")
    assert _problem(lambda: root.integer("count")) == f"{path}:3: count: must be a whole number, not 'three'"
    assert _problem(lambda: root.number("title")) == f"{path}:2: title: must be a number, not 'x'"
    assert _problem(lambda: settings.integer("negation_window", minimum=1)) == (
        f"{path}:6: [settings] negation_window: must be at least 1, not 0"
    )
    assert _problem(lambda: settings.flag("flag")) == f"{path}:7: [settings] flag: must be true or false, not 1"
    assert _problem(lambda: settings.strings("words")) == (
        f"{path}:8: [settings] words: every entry must be non-empty text, not ''"
    )
    second = root.tables("sign")[1]
    assert _problem(lambda: second.text("tier", choices=["emergency", "urgent"])) == (
        f"{path}:17: [[sign]] tier: must be one of emergency, urgent, not 'urgnet'"
    )
    second.label = "[[sign]] 'two'"
    assert _problem(lambda: second.text("tier", choices=["urgent"])).startswith(f"{path}:17: [[sign]] 'two' tier: ")


def test_getters_return_typed_values_and_defaults(sample):
    root = sample.root()
    assert root.text("title") == "x"
    assert root.text("subtitle", default="none") == "none"
    assert root.tables("nothing", default=[]) == []
    signs = root.tables("sign")
    assert [s.text("id") for s in signs] == ["one", "two"]
    assert signs[0].string_or_strings("tier") == ["urgent"]
    # a bool is not a whole number, even though Python says True == 1
    bool_doc = Document.read(_write(sample.path.parent, "n = true\n", "bool.toml"))
    with pytest.raises(RulesError, match="n: must be a whole number, not True"):
        bool_doc.root().integer("n")


def test_a_missing_key_says_what_it_must_be(tmp_path):
    doc = Document.read(_write(tmp_path, "[t]\nother = 1\n"))
    assert _problem(lambda: doc.root().table("t").text("name")) == f"{doc.path}:1: [t] name: missing (it must be text)"


def test_done_refuses_keys_nobody_read(sample):
    first = sample.root().tables("sign")[0]
    first.text("id")
    message = _problem(first.done)
    assert message == f"{sample.path}:12: [[sign]] tier: unknown key (allowed here: id)"
    first.text("tier")
    first.done()  # every key read: nothing to refuse


def test_a_misspelt_key_is_named_as_a_typo(sample):
    second = sample.root().tables("sign")[1]
    message = _problem(lambda: second.strings("phrasings"))
    assert message == (
        f"{sample.path}:16: [[sign]] phrasing: unknown key; a typo for 'phrasings'? "
        "('phrasings' is missing: it must be a list of strings)"
    )


def test_line_of_finds_keys_inside_array_tables(sample):
    assert sample.line_of(("sign", 0), "id") == 11
    assert sample.line_of(("sign", 1), "id") == 15
    assert sample.line_of(("sign", 1), "tier") == 17
    assert sample.line_of(("sign", 1), "nothing") == 14  # a key not written: the table's header
    assert sample.line_of(("settings",), "flag") == 7
    assert sample.line_of((), "count") == 3
    assert sample.line_of(("absent",), "x") is None


def test_line_of_nested_array_tables_and_values(tmp_path):
    doc = Document.read(
        _write(
            tmp_path,
            '[comparison]\nasks = ["a"]\n\n[[comparison.ranking]]\ncolumn = "A"\n\n[[comparison.ranking]]\n'
            'asks = [\n  "x",\n  "bad",\n]\ncolumn = "B"\n',
        )
    )
    assert doc.line_of(("comparison", "ranking", 0), "column") == 5
    assert doc.line_of(("comparison", "ranking", 1), "column") == 12
    assert doc.line_of(("comparison", "ranking", 1), "asks", "bad") == 10  # the value's own line in a long list
    assert doc.line_of(("comparison",), "asks") == 2


def test_unreadable_files_are_rules_errors(tmp_path):
    with pytest.raises(RulesError, match=re.escape(f"{tmp_path / 'gone.toml'}: file not found")):
        Document.read(tmp_path / "gone.toml")
    with pytest.raises(RulesError, match=re.escape(f"{tmp_path / 'bad.toml'}: not valid TOML")):
        Document.read(_write(tmp_path, "a = [", "bad.toml"))
    with pytest.raises(RulesError, match="cannot be read"):
        (tmp_path / "latin.toml").write_bytes(b"a = '\xe9'\n")
        Document.read(tmp_path / "latin.toml")


def test_a_project_file_is_named_relative_to_the_project():
    doc = Document.read(PROJECT_ROOT / "data" / "en" / "scope.toml")
    line = _line_containing(doc.path, "back_words =")
    assert (
        str(doc.root().table("topic").error("back_words", "a problem"))
        == f"data/en/scope.toml:{line}: [topic] back_words: a problem"
    )


# -- rules/patterns.py -----------------------------------------------------------------------------


def test_text_prepare_normalises_and_maps_back():
    text = Text.prepare("Can’t PEE ﬁne\x00now")
    assert text.plain == "cant pee fine now"  # NFKC (the ligature), lower case, apostrophe dropped, control blanked
    match = re.search("cant pee", text.plain)
    assert match is not None
    assert text.as_written(*match.span()) == "Can’t PEE"
    assert text.as_written(5, 5) == ""
    assert Text.prepare("Ｈｅｌｌｏ").plain == "hello"  # full-width letters
    assert Text.prepare("don't").plain == Text.prepare("dont").plain == Text.prepare("don`t").plain
    plain_only = Text.prepare("No Apostrophe")
    assert plain_only.index is None and plain_only.as_written(3, 13) == "Apostrophe"


def test_lower_case_keeps_positions_for_letters_that_grow():
    text = Text.prepare("İstanbul")  # "İ".lower() is two characters
    assert len(text.plain) == len(text.written)
    assert text.plain.endswith("stanbul")


def test_vocabulary_macros_expand_and_nest():
    lang = PatternLanguage({"legs": ["legs?", "thighs?"], "limb": ["{legs}", "arms?"]})
    pattern = lang.compile(["weak {limb}"])
    assert pattern.search("weak thigh") and pattern.search("weak arms") and pattern.search("weak leg")
    assert not pattern.search("weak neck")
    assert not pattern.search("weak legsx")  # whole words


def test_gaps_allow_up_to_n_words_and_stop_at_gap_stops():
    lang = PatternLanguage({"legs": ["legs?"]}, gap_stops=["no", "but"])
    pattern = lang.compile(["numb {~2} {legs}"])
    assert pattern.search("numb legs")
    assert pattern.search("numb in my legs")
    assert not pattern.search("numb in both my legs")  # three words in the gap
    assert not pattern.search("numb in no legs")  # a negation in the gap
    assert not pattern.search("numb but legs")
    assert not pattern.search("numb. legs")  # nor across a sentence end



def test_a_gap_steps_over_a_decimal_number_but_not_a_sentence_end():
    pattern = PatternLanguage().compile(["aneurysm {~6} severe"])
    assert pattern.search("aneurysm, 4.8cm at last scan, severe pain")  # "4.8cm" is words, not a full stop
    assert not pattern.search("aneurysm at 4. severe pain")


def test_a_space_matches_punctuation_runs_within_a_sentence_only():
    pattern = PatternLanguage().compile(["pins and needles"])
    for text in ("pins and needles", "pins-and-needles", "pins, and  needles", "pins (and) needles"):
        assert pattern.search(text), text
    for text in (
        "pins and. needles",
        "pins! and needles",
        "pins and? needles",
        "pins; and needles",
        "pins and\nneedles",
        "pinsand needles",
    ):
        assert not pattern.search(text), text
    optional = PatternLanguage().compile(["light ?headed"])
    assert optional.search("lightheaded") and optional.search("light-headed") and optional.search("light headed")


def test_a_space_inside_a_character_class_stays_literal():
    pattern = PatternLanguage().compile(["ab[c ]d"], whole_words=False)
    assert pattern.search("ab d") and pattern.search("abcd")
    assert not pattern.search("ab-d")  # had the space been widened, "-" would match it
    bracket = PatternLanguage().compile(["ab[] ]d"], whole_words=False)  # "]" first in a class is literal
    assert bracket.search("ab]d") and bracket.search("ab d") and not bracket.search("ab-d")
    after = PatternLanguage().compile(["ab[c ]d e"], whole_words=False)  # and a space after the class is widened again
    assert after.search("ab d-e")


def test_patterns_ignore_case_and_apostrophes_but_keep_escapes_and_group_names():
    lang = PatternLanguage()
    assert lang.compile(["Can't Walk"]).search("cant walk")
    assert lang.expand("Foo\\W") == "foo\\W"  # \W stays \W (not \w)
    m = lang.compile(["(?P<side>left|right) (?P<limb>leg|arm)"], whole_words=False).search("my right-arm hurts")
    assert m is not None and (m["side"], m["limb"]) == ("right", "arm")


@pytest.mark.parametrize("pattern", [".*", "a|", "\\w*", "(?:x)?"])
def test_a_pattern_matching_everything_is_refused(pattern):
    with pytest.raises(PatternError, match="matches empty or meaningless text"):
        PatternLanguage().compile(["fine", pattern])


def test_invalid_and_unknown_patterns_are_refused():
    with pytest.raises(PatternError, match=r"unknown \{nope\}: add it to \[vocab\]"):
        PatternLanguage({"yes": ["y"]}).compile(["{nope}"])
    with pytest.raises(PatternError, match="'\\(unclosed' is not a valid pattern"):
        PatternLanguage().compile(["fine", "(unclosed"])
    with pytest.raises(PatternError, match="nested over"):
        PatternLanguage({"a": ["{a}"]}).compile(["{a}"])
    with pytest.raises(PatternError, match="cannot be combined"):
        PatternLanguage().compile(["(?P<x>a)", "(?P<x>b)"])  # each valid, the same group name twice


def test_check_accepts_a_good_pattern_and_refuses_a_broad_one():
    PatternLanguage().check("back pain")
    with pytest.raises(PatternError):
        PatternLanguage().check("x?")


def test_literal_escapes_regex_characters_and_keeps_spaces_flexible():
    assert literal("Can't (really) a.b") == "cant \\(really\\) a\\.b"
    pattern = PatternLanguage().compile([literal("a.b c")], whole_words=False)
    assert pattern.search("a.b-c")
    assert not pattern.search("axb c")  # "." is a dot, not any character


def test_compile_words_matches_whole_words_and_phrases():
    words = compile_words(["low back", "don't", "c.a"])
    assert words.search("my low-back aches")
    assert words.search("i dont know")  # the apostrophe is dropped from the word as from the text
    assert words.search("c.a")
    assert not words.search("lower back")
    assert not words.search("cxa")
    m = words.search("a low back")
    assert m is not None and m.group(1) == "low back"


def test_compile_patterns_without_word_boundaries():
    pattern = compile_patterns(["^\\s*and\\b"])
    assert pattern.search("and then?") and not pattern.search("then and")


# -- rules/negation.py -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def negation() -> NegationRules:
    return NegationRules(
        triggers=compile_words(["no", "without", "havent had"]),
        window=3,
        pseudo=compile_words(["no change in"]),
        breaks=re.compile(r"\bbut\b|[.;!?]"),
        post=re.compile(r"-free\b"),
    )


def _negated(rules: NegationRules, text: str, word: str) -> bool:
    plain = Text.prepare(text).plain
    start = plain.index(word)
    return rules.read(plain).negated_by(start, start + len(word)) is not None


def test_a_trigger_negates_within_its_window(negation):
    assert _negated(negation, "no fever", "fever")
    assert _negated(negation, "no real high fever", "fever")  # two words between
    assert _negated(negation, "without any real high fever", "fever")  # three: the window
    assert not _negated(negation, "no sign of any real fever", "fever")  # four words: out of reach
    assert not _negated(negation, "fever, no", "fever")  # a trigger negates what follows
    assert not _negated(negation, "a fever", "fever")


def test_negated_by_gives_the_triggers_start(negation):
    plain = "i have no fever"
    assert negation.read(plain).negated_by(plain.index("fever")) == plain.index("no")


def test_a_break_ends_the_scope(negation):
    assert not _negated(negation, "no pain but fever", "fever")
    assert not _negated(negation, "no pain. fever", "fever")
    assert not _negated(negation, "no pain; fever", "fever")


def test_a_pseudo_negation_negates_nothing(negation):
    assert not _negated(negation, "no change in fever", "fever")
    assert _negated(negation, "no change in fever, no chills", "chills")  # the next real trigger still counts


def test_a_post_trigger_negates_what_it_follows(negation):
    assert _negated(negation, "I want to be drug-free", "drug")
    plain = "drug-free"
    assert negation.read(plain).negated_by(0, 4) == 4  # the post-trigger's position
    assert negation.read(plain).negated_by(0) is None  # without an end, only triggers before count
    assert not _negated(negation, "drug-freely", "drug")


def test_a_trigger_running_into_the_mention_still_counts(negation):
    # "havent had" ends where "had a fall" starts: the overlap is not a word of the gap
    plain = "i havent had a fall"
    start = plain.index("had a fall")
    assert negation.read(plain).negated_by(start) == plain.index("havent")


def test_a_huge_gap_is_out_of_reach_without_counting_it(negation):
    plain = "no " + "x" * 100_000 + " fever"
    assert negation.read(plain).negated_by(plain.index("fever")) is None


# -- rules/files.py: the shipped data files ------------------------------------------------------------


def test_every_shipped_data_file_reads(fresh_readers):
    structure = read_structure()
    assert {"rest", "heat-cold", "nsaids", "muscle-relaxants", "physical-therapy", "massage", "chiropractic"} <= set(
        structure.ids
    )
    assert {"overview", "integrated-plan", "clinic"} <= set(structure.ids)
    assert "Resource requirements" in dict(structure.table_columns)
    assert structure.table_heading == "comparison"

    vocabulary = read_vocabulary()
    assert vocabulary.many_means == "integrated-plan" and vocabulary.many_at_least >= 2
    assert any("ice" in t.says and t.treatments == ("heat-cold",) for t in vocabulary.terms)
    assert all(set(t.treatments) <= set(structure.ids) for t in vocabulary.terms)

    scope = read_scope()
    assert "back" in scope.back_words and "migraine" in scope.conditions and 0 < scope.min_known_share < 1

    answering = read_answering()
    assert [t.name for t in answering.answer_types] == ["amount", "duration", "timing", "kind", "mechanism", "instruction", "caution", "sedation", "right now", "seriousness", "next step", "gentler", "stronger", "term", "too long on it", "cause", "prevention", "staying still", "definition", "switching"]
    assert answering.levels[0] == "minimal" and answering.negation_window >= 1
    assert {r.column for r in answering.rankings} <= {name for name, _ in structure.table_columns}
    assert {c.column for c in answering.cell_readings} <= {name for name, _ in structure.table_columns}

    assert read_followup().patterns

    red_flags = read_red_flags()
    assert red_flags.signs and {s.tier for s in red_flags.signs} <= {Tier.EMERGENCY, Tier.CRISIS, Tier.URGENT}
    assert len({s.id for s in red_flags.signs}) == len(red_flags.signs)
    assert "no" in red_flags.context["negation"]


def test_medicines_covered_and_uncovered_classes(fresh_readers):
    medicines = read_medicines()
    covered = {c.id for c in medicines.classes if c.covered}
    assert covered == {"nsaid", "muscle-relaxant"}
    assert medicines.covered_treatments == ("nsaids", "muscle-relaxants")
    assert not medicines.klass("opioid").covered and not medicines.klass("paracetamol").covered
    assert medicines.klass("nsaid").treatment == "nsaids"
    nsaid_words = medicines.words_of_class("nsaid")
    assert {"nsaid", "ibuprofen", "advil", "aleve", "voltaren"} <= set(nsaid_words)
    uncovered = set(medicines.uncovered_words())
    assert {"paracetamol", "tylenol", "tramadol", "co-codamol", "gabapentin"} <= uncovered
    assert not uncovered & set(nsaid_words)
    assert not uncovered & set(medicines.words_of_class("muscle-relaxant"))
    ibuprofen = next(m for m in medicines.medicines if m.id == "ibuprofen")
    assert ibuprofen.words[:1] == ("ibuprofen",) and "advil" in ibuprofen.words


def test_medicine_macros(fresh_readers):
    macros = medicine_macros(read_medicines())
    assert {"medicine_nsaid", "medicine_muscle_relaxant", "medicine_opioid", "medicine_any", "medicine_general"} <= set(macros)
    assert "co\\-codamol" in macros["medicine_opioid"]  # literal phrases: regular-expression characters escaped
    assert "pills" in macros["medicine_general"]
    lang = PatternLanguage(macros)
    opioid = lang.compile(["{medicine_opioid}"])
    assert opioid.search("is co-codamol ok") and opioid.search("tramadol") and not opioid.search("ibuprofen")
    any_medicine = lang.compile(["more {medicine_any}"])
    assert any_medicine.search("more advil") and any_medicine.search("more tylenol") and not any_medicine.search("more pills")


# -- rules/files.py: mistakes in a copy ------------------------------------------------------------------


def _copy_with(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is no longer in {source}: update the test"
    copy = tmp_path / source.name
    copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


def test_an_unknown_treatment_id_in_the_vocabulary_names_file_and_line(fresh_readers, tmp_path):
    copy = _copy_with(
        tmp_path, rules.locale.data_file("vocabulary.toml"), 'treatment = "physical-therapy"', 'treatment = "physical-theraphy"'
    )
    line = _line_containing(copy, "physical-theraphy")
    with pytest.raises(RulesError) as info:
        read_vocabulary(path=copy)
    message = str(info.value)
    assert message.startswith(f"{copy}:{line}: [[term]] treatment: unknown treatment id 'physical-theraphy'"), message
    assert "see data/structure.toml" in message


def test_an_unknown_key_in_the_scope_file_is_refused(fresh_readers, tmp_path):
    copy = _copy_with(tmp_path, rules.locale.data_file("scope.toml"), "min_known_share =", "min_known_shar =")
    with pytest.raises(RulesError) as info:
        read_scope(path=copy)
    assert str(info.value).startswith(
        f"{copy}:{_line_containing(copy, 'min_known_shar =')}: [topic] min_known_shar: unknown key; a typo for 'min_known_share'?"
    )


def test_a_mistyped_placeholder_in_a_cell_reading_names_file_and_line(fresh_readers, tmp_path):
    """A typo in how a table cell reads would otherwise fail in a patient's answer (``str.format``), not at start-up."""
    copy = _copy_with(tmp_path, rules.locale.data_file("answering.toml"), "as ideal for {value}.", "as ideal for {valu}.")
    with pytest.raises(RulesError) as info:
        read_answering(path=copy)
    assert str(info.value).startswith(f"{copy}:{_line_containing(copy, 'as ideal for {valu}.')}: [[comparison.cell]] reads: must contain {{value}}")


def test_a_broad_pattern_in_a_data_file_names_its_line(fresh_readers, tmp_path):
    copy = _copy_with(tmp_path, rules.locale.data_file("followup.toml"), '"\\\\bthe other (one|ones)?\\\\b",', '".*",')
    line = _line_containing(copy, '".*"')
    with pytest.raises(RulesError) as info:
        read_followup(path=copy)
    assert str(info.value) == (
        f"{copy}:{line}: [followup] patterns: '.*' matches empty or meaningless text, so it would fire on every message"
    )


MEDICINES_HEAD = """\
[general]
words = ["pills"]
means = "medication"

[[class]]
id = "nsaid"
name = "NSAIDs"
treatment = "nsaids"
words = []
means = "NSAIDs"
"""


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (
            '[[medicine]]\nid = "x"\nclass = "nsiad"\nnames = ["x"]\n',
            "[[medicine]] class: unknown class 'nsiad' (classes: nsaid)",
        ),
        (
            '[[medicine]]\nid = "a"\nclass = "nsaid"\nnames = ["ibu"]\n\n[[medicine]]\nid = "b"\nclass = "nsaid"\nnames = ["IBU"]\n',
            "[[medicine]] names: 'IBU' already names a",
        ),
        (
            '[[class]]\nid = "c"\nname = "C"\ntreatment = "nsaid"\nwords = []\nmeans = "c"\n',
            "[[class]] treatment: unknown treatment id 'nsaid'",
        ),
        (
            '[[class]]\nid = "c"\nname = "C"\ntreatment = "massage"\nwords = []\n',
            "[[class]] means: a class the guide covers needs",
        ),
    ],
    ids=["unknown-class", "same-word-twice", "unknown-treatment", "covered-without-means"],
)
def test_medicines_mistakes(fresh_readers, tmp_path, extra, problem):
    path = _write(tmp_path, MEDICINES_HEAD + "\n" + extra, "medicines.toml")
    with pytest.raises(RulesError, match=re.escape(problem)):
        read_medicines(path)


def test_a_class_without_treatment_is_uncovered(fresh_readers, tmp_path):
    path = _write(
        tmp_path,
        MEDICINES_HEAD + '\n[[class]]\nid = "opioid"\nname = "opioids"\nwords = ["opioid"]\n\n'
        '[[medicine]]\nid = "tramadol"\nclass = "opioid"\nnames = ["tramadol"]\n',
        "medicines.toml",
    )
    medicines = read_medicines(path)
    assert medicines.covered_treatments == ("nsaids",)
    assert medicines.uncovered_words() == ("opioid", "tramadol")


# -- python -m rules check -------------------------------------------------------------------------------


def test_rules_check_passes_on_the_real_files():
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "rules", "check"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "every data file and prompt text reads (" in done.stdout


def test_rules_check_misused_exits_2():
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "rules", "frobnicate"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2


@pytest.fixture
def data_copy(tmp_path, monkeypatch, fresh_readers) -> Path:
    """A copy of the data files the readers use, with ``rules.locale.DATA_DIR`` pointed at it."""
    data = tmp_path / "data"
    (data / "en").mkdir(parents=True)
    for name in ("structure.toml", "medicines.toml"):
        shutil.copy(PROJECT_ROOT / "data" / name, data / name)
    for name in LANGUAGE_READERS:
        shutil.copy(PROJECT_ROOT / "data" / "en" / name, data / "en" / name)
    monkeypatch.setattr(rules.locale, "DATA_DIR", data)
    return data


def test_check_is_clean_on_a_faithful_copy(data_copy):
    assert check(["en"]) == []
    assert read_scope().path == data_copy / "en" / "scope.toml"  # the copy was read, not the real file


def test_check_reports_each_problem_once_with_file_and_line(data_copy, capsys):
    scope = data_copy / "en" / "scope.toml"
    scope.write_text(scope.read_text(encoding="utf-8").replace("min_known_share =", "min_known_shar =", 1), encoding="utf-8")
    structure = data_copy / "structure.toml"
    structure.write_text(
        structure.read_text(encoding="utf-8").replace('id = "massage"', 'id = "massage"\nnmae = "x"', 1), encoding="utf-8"
    )
    problems = check(["en"])
    # structure.toml is read by several readers: reported once; scope.toml's typo is reported too
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"{structure}:{_line_containing(structure, 'nmae')}: [[treatment]] nmae: unknown key"), problems
    assert problems[1].startswith(f"{scope}:{_line_containing(scope, 'min_known_shar =')}: [topic] min_known_shar:"), problems

    assert main(["check", "--language", "en"]) == 1
    err = capsys.readouterr().err
    assert "nmae" in err and "min_known_shar" in err and "rules: 2 problem(s)" in err
