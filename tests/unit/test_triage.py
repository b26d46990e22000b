"""Red-flag triage: the labelled table, the data file's checks, and robustness.

The table (``tests/data/triage_cases.jsonl``) has one case a line: ``message``,
optional ``history`` (Gradio messages, sometimes deliberately malformed),
expected ``tier`` and expected sign ``signs`` ids, and a ``kind`` naming what the
case exercises. No model is needed; the whole file runs in about a second.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from contracts import Tier
from rules.files import read_red_flags
from rules.locale import data_file
from rules.toml import RulesError
from safety.red_flags import RedFlagRules, SignMatch
from safety.triage import Triage, TriageResult

DEFAULT_PATH = data_file("red_flags.toml")
CASES_PATH = Path(__file__).parent.parent / "data" / "triage_cases.jsonl"
CASES = [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def _triage_from(path: Path) -> Triage:
    read_red_flags.cache_clear()
    try:
        return Triage({"en": RedFlagRules.compile(read_red_flags(path=path))})
    finally:
        read_red_flags.cache_clear()


def _case_id(case: dict) -> str:
    return f"{case['kind']}: {case['message'][:50]}"


# -- the labelled table ------------------------------------------------------------------


def test_table_is_big_and_covers_every_sign(triage):
    assert len(CASES) >= 150
    covered = {sign for case in CASES for sign in case["signs"]}
    assert covered == {sign.id for sign in triage.english.signs}


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_case(triage, case):
    result = triage.assess(case["message"], case.get("history"))
    assert result.tier == case["tier"], result
    assert sorted({s.sign for s in result.signs}) == case["signs"], result


def test_table_figures(triage):
    """Recall per tier and false-alarm rate, as the evaluation defines them (``pytest -s`` shows them)."""
    tiers = [(case["tier"], triage.assess(case["message"], case.get("history")).tier) for case in CASES]
    emergency = [got == "emergency" for want, got in tiers if want == "emergency"]
    urgent = [
        got in ("urgent", "emergency") for want, got in tiers if want == "urgent"
    ]  # escalated still sees a doctor today
    alarms = [got != "none" for want, got in tiers if want == "none"]
    figures = {
        "emergency_recall": sum(emergency) / len(emergency),
        "urgent_recall": sum(urgent) / len(urgent),
        "false_alarm_rate": sum(alarms) / len(alarms),
    }
    print(f"\ntriage table: {len(CASES)} cases ({len(emergency)} emergency, {len(urgent)} urgent, {len(alarms)} none)")
    print(", ".join(f"{name} {value:.3f}" for name, value in figures.items()))
    assert figures["emergency_recall"] == 1.0
    assert figures["urgent_recall"] >= 0.95
    assert figures["false_alarm_rate"] <= 0.05


# -- the result ---------------------------------------------------------------------------


def test_result_reports_signs_as_written_most_severe_first(triage):
    history = [
        {"role": "user", "content": "I had breast cancer"},
        {"role": "assistant", "content": "See a doctor today."},
    ]
    result = triage.assess("No fever but I CAN’T feel my bum", history)
    assert isinstance(result, TriageResult) and result.tier == "emergency"
    assert [s.sign for s in result.signs] == ["saddle-numbness", "cancer-history"]
    saddle, cancer = result.signs
    assert isinstance(saddle, SignMatch)
    assert (saddle.tier, saddle.phrase, saddle.turn) == ("emergency", "CAN’T feel my bum", 0)
    assert saddle.label == "numbness or tingling around the bottom, genitals or inner thighs"
    assert (cancer.tier, cancer.turn) == ("urgent", 1)
    assert "negated: No fever" in result.set_aside


def test_set_aside_says_why(triage):
    assert triage.assess("should I worry if my legs go numb?").set_aside == (
        "hypothetical: should I worry if my legs go numb",
    )
    assert triage.assess("my mum had cancer").set_aside == ("other person: my mum had cancer",)
    assert triage.assess("no chest pain").set_aside == ("negated: no chest pain",)
    assert "excluded: hay fever" in triage.assess("hay fever").set_aside


def test_a_sign_none_of_whose_words_are_said_is_not_for_the_learned_layer_to_name(triage):
    """``learned_needs``: a message saying nothing of a vehicle, a fall or a blow leaves a learned vote for a serious
    accident uncounted, with no mention set aside (nothing was said); one that says "t-boned" does not. Another
    language's message is not held to the English words."""
    firm = triage._read("therapist went really hard on it and I was wincing the whole time")
    assert "serious-injury" in firm.learned_may_not_name and not firm.set_aside
    assert "serious-injury" not in triage._read("got t-boned at the lights").learned_may_not_name
    assert "serious-injury" not in triage._read("mi coche fue golpeado, me duele la espalda").learned_may_not_name


def test_a_sign_in_history_counts_once_with_its_most_recent_turn(triage):
    history = [
        {"role": "user", "content": "I have a fever"},
        {"role": "assistant", "content": "..."},
        {"role": "user", "content": "still feverish"},
    ]
    result = triage.assess("what about heat?", history)
    assert [(s.sign, s.turn) for s in result.signs] == [("fever", 1)]


def test_every_user_message_of_the_conversation_is_read(triage):
    """A red flag said long ago still counts: triage reads the whole conversation, not a window."""
    history = [{"role": "user", "content": "I can't pee"}]
    for n in range(30):
        history += [{"role": "assistant", "content": "..."}, {"role": "user", "content": f"ok {n}"}]
    result = triage.assess("and heat?", history)
    assert result.tier == "emergency" and result.signs[0].turn == 31


def test_the_bots_own_words_never_trigger(triage):
    bot = "Call 911 now: numbness around your bottom, can't pee, chest pain, both legs weak, fever, cancer, pregnant."
    assert triage.assess("thanks", [{"role": "assistant", "content": bot}] * 6).tier == "none"


@pytest.mark.parametrize("message", ["", "   \n\t", "\x00\x07\x1b", "😀🔥", "مرحبا שלום", None, 42, {"odd": "shape"}])
def test_empty_or_odd_input_is_none(triage, message):
    assert triage.assess(message, None) == TriageResult(Tier.NONE, (), ())


def test_message_as_content_blocks(triage):
    blocks = [{"type": "text", "text": "my legs"}, {"type": "image"}, {"type": "text", "text": "keep giving way"}]
    assert triage.assess(blocks).tier == "emergency"


# -- robustness ---------------------------------------------------------------------------

HUGE = {
    "words": "back spasm " * 10_000,
    "one word": "a" * 100_000,
    "phrasing starts everywhere": "numb " * 20_000,
    "negations, people, hypotheticals": "no numb bum but my mum had cancer, what if my legs " * 2_000,
    "emoji, right-to-left, control, apostrophes": "😀🔥 مرحبا שלום \u202e \x00\x07 can’t " * 5_000,
}


@pytest.mark.parametrize("name", list(HUGE))
def test_does_not_hang_on_100000_characters(triage, name):
    """No timing target (the machine is noisy): 5 seconds only catches catastrophic backtracking."""
    started = time.perf_counter()
    result = triage.assess(HUGE[name])
    assert time.perf_counter() - started < 5
    assert result.tier in ("none", "urgent", "emergency")


def test_a_red_flag_at_the_end_of_a_huge_message_is_found(triage):
    assert triage.assess("back spasm " * 10_000 + "and I can't pee").tier == "emergency"


# -- the data file ------------------------------------------------------------------------


def test_data_file_loads_and_every_sign_is_complete():
    data = read_red_flags()
    for sign in data.signs:
        assert sign.tier in (Tier.EMERGENCY, Tier.URGENT, Tier.CRISIS)
        assert sign.label and sign.phrasings
    assert "pregnancy" in [sign.id for sign in data.signs]


def test_default_path_does_not_depend_on_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert _triage_from(DEFAULT_PATH).assess("I can't pee").tier == "emergency"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "red_flags.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _with_first_sign(edit) -> str:
    """The real file with the first ``[[sign]]`` block replaced by ``edit(block)``."""
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    start = text.index("[[sign]]")
    end = text.index("[[sign]]", start + 1)
    return text[:start] + edit(text[start:end]) + text[end:]


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


MALFORMED = {
    "not TOML": ("[sign\nid = 1", None, r"not valid TOML"),
    "no context": ("[settings]\nnegation_window = 6\n[vocab]\nx = ['a']\n", None, r"context: missing"),
    "missing label": (_with_first_sign(lambda b: b.replace("label = ", "# label = ")), None, r"'saddle-numbness' label: missing"),
    "bad tier": (_with_first_sign(lambda b: b.replace('tier = "emergency"', 'tier = "red"')), 'tier = "red"', r"tier: must be one of"),
    "no phrasings": (
        _with_first_sign(lambda b: re.sub(r"phrasings = \[.*?\n\]", "phrasings = []", b, flags=re.S)),
        "phrasings = []",
        r"phrasings: must not be empty",
    ),
    "misspelt key": (
        _with_first_sign(lambda b: b.replace("phrasings = [", "phrasing = [")),
        "phrasing = [",
        r"phrasing: unknown key; a typo for 'phrasings'",
    ),
    "unknown vocab": (
        _with_first_sign(lambda b: b.replace("'{numb} {~5}{saddle}'", "'{numbb} {~5}{saddle}'")),
        "'{numbb} {~5}{saddle}'",
        r"unknown \{numbb\}",
    ),
    "bad regex": (
        _with_first_sign(lambda b: b.replace("'{numb} {~5}{saddle}'", "'numb (bum'")), "'numb (bum'", r"'numb \(bum' is not a valid pattern"
    ),
    "matches anything": (
        _with_first_sign(lambda b: b.replace("'{numb} {~5}{saddle}'", "'(?:bum)?'")), "'(?:bum)?'", r"would fire on every message"
    ),
    "duplicate id": (
        _with_first_sign(lambda b: b.replace('id = "saddle-numbness"', 'id = "chest-heart"')), None, r"'chest-heart' is used twice"
    ),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_file_is_an_error_naming_file_line_and_key(tmp_path, name):
    text, culprit, problem = MALFORMED[name]
    path = _write(tmp_path, text)
    with pytest.raises(RulesError, match=problem) as raised:
        _triage_from(path)
    assert str(path) in str(raised.value)
    if culprit is not None:
        assert f"{path}:{_line_of(text, culprit)}:" in str(raised.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(RulesError, match=r"nowhere\.toml: file not found"):
        _triage_from(tmp_path / "nowhere.toml")


def test_a_clinic_editor_adds_a_phrasing_in_the_data(tmp_path):
    """A new phrasing needs no code: here "my tush is numb" becomes an emergency."""
    assert Triage.load().assess("my tush is numb").tier == "none"
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace("saddle = [\n", "saddle = [\n  'tush',\n", 1)
    assert _triage_from(_write(tmp_path, text)).assess("my tush is numb").tier == "emergency"


def test_a_sign_said_absent_is_recorded_but_a_phrasing_that_counts_still_counts():
    """"absent_when": the learned layer may not name a sign the patient says is absent; a counted phrasing wins."""
    rules = RedFlagRules.load()
    calm = rules.read("I read about the bladder thing but I'm peeing normally and can feel everything. Just a spasm?")
    assert not calm.found and {"bladder-bowel", "saddle-numbness"} <= calm.absent_signs
    numb = rules.read("legs are fine and my bladder is fine, I just cant feel my bum since this morning")
    assert "saddle-numbness" in {m.sign for m in numb.found} and "saddle-numbness" not in numb.absent_signs


def test_an_absence_undone_by_what_follows_is_not_recorded():
    reading = RedFlagRules.load().read("I thought I was peeing fine but actually I haven't been since yesterday")
    assert "bladder-bowel" not in reading.absent_signs


@pytest.mark.parametrize(
    ("message", "sign"),
    [
        ("i took ibuprofen but my back still hurts", "overdose-sedation"),  # one medicine taken the usual way
        ("had some advil this morning", "overdose-sedation"),
        ("took my advil at 8", "overdose-sedation"),  # the usual one or two of an anti-inflammatory, and when
        ("I took 2 advil this morning.", "overdose-sedation"),
        ("took a muscle relaxant, what else can I do?", "overdose-sedation"),
        ("soma and a sleeping pill tonight ok? back is killing me", "overdose-sedation"),  # asked before taking them
        ("havent taken anything yet, how much aleve for a spasm?", "overdose-sedation"),  # nothing taken
        ("ok to take a robaxin now? had two pints at lunch", "overdose-sedation"),  # a drink said after the question
        ("drank a bottle of wine at the christening", "overdose-sedation"),  # drinks alone, no medicine
        ("I'm 61 and have had a bad back for years, it's flared up again", "age-over-50-new"),  # long-standing
        ("what would happen if someone takes too many robaxin?", "overdose-sedation"),  # asked in general
        ("my back spasm is way worse today", "leg-weakness-worsening"),  # the back worse, nothing else said
        ("is it normal for a spasm to come back in the same spot every few months?", "not-a-spasm"),
        ("3 days of ibuprofen and NOTHING has changed. i'm in agony. next step?", "overdose-sedation"),  # not working
        ("I'd rather not take pills at all. what else is there", "crisis-passive"),  # rather not take a medicine
        ("Is 4 Aleve in 24 hours alright? Box says 3 max but it's wearing off", "overdose-sedation"),  # asked before
        ("Robaxin every 2 hours instead of every 4?", "overdose-sedation"),
        ("can I stay on my muscle relaxant for a couple of months? its the only thing that works", "crisis-active"),
        ("anyway that's sorted now I think", "crisis-passive"),  # a thing sorted (medication_dev41: an ulcer years back)
        ("had 4 pints at the match and my back's gone, how many robaxin do i take", "overdose-sedation"),  # drink, then a dose asked
        ("bit of a heavy drinker tbh, most of a bottle a night. cyclobenzaprine dose?", "overdose-sedation"),  # a drinking habit
        ("last time I took advil I ended up wheezing in A&E. how much naproxen can I take?", "overdose-sedation"),  # a past reaction
        ("ok the heat pad is on now. what else should I be doing?", "crisis-active"),  # what else to do for the spasm
    ],
)
def test_everyday_messages_the_learned_layer_misread_say_the_sign_is_absent(message, sign):
    assert sign in RedFlagRules.load().read(message).absent_signs


@pytest.mark.parametrize(
    ("message", "sign"),
    [
        ("Took my celebrex twice this morning. Is that dangerous? feel fine", "overdose-sedation"),  # a repeat
        ("took ibuprofen and now my face has blown up like a balloon", "overdose-sedation"),  # a reaction
        ("I took 2 flexeril this morning", "overdose-sedation"),  # two of a muscle relaxant is not the usual one
        ("took 2 advil at 8 and now im really drowsy", "overdose-sedation"),  # a symptom after the usual amount
        ("took flexeril and a few beers, what else can I do", "overdose-sedation"),  # something else sedating
        ("took nothing yet but I feel really drowsy and confused", "overdose-sedation"),  # a symptom said
        ("can i take flexeril? ive had 4 pints and feel really woozy", "overdose-sedation"),
        ("I'm 61, had a bad back for years but this is a new kind of pain", "age-over-50-new"),
        ("what happens if you take too many? I took 8 this morning", "overdose-sedation"),  # taken
        ("Dropped nearly two stone since Christmas, wasn't trying to, and the back pain is getting worse", "leg-weakness-worsening"),
        ("pain in my side that comes in waves, back spasm?", "not-a-spasm"),
        ("the flexeril isnt working so I took 4 more", "overdose-sedation"),  # more taken on top
        ("id rather not take my pills, I'd rather be dead", "crisis-passive"),
        ("id rather not take another breath", "crisis-passive"),  # a breath is not a medicine
        ("can i keep taking my pills until I have enough", "crisis-active"),
        ("I've got everything sorted now, the kids will be fine without me", "crisis-passive"),  # things put in order
        ("its all sorted. I wont be a problem for anyone much longer", "crisis-active"),
        ("I double dosed soma by accident an hour ago, feel normal-ish. should I do anything?", "overdose-sedation"),
        ("my son got into my pills, is 5 too many for him?", "overdose-sedation"),
        ("can I take more? I feel really dizzy", "overdose-sedation"),
        ("had 4 pints and took 3 flexeril, now I'm really drowsy, how many more can i take", "overdose-sedation"),
        ("last time I took a handful of pills. how many should i take now", "overdose-sedation"),
        ("the heat pad is on. what else should I do to end it all", "crisis-active"),
    ],
)
def test_the_same_words_with_a_warning_beside_them_are_left_to_the_learned_layer(message, sign):
    assert sign not in RedFlagRules.load().read(message).absent_signs


def test_the_point_of_a_treatment_asked_stays_with_the_learned_layer():
    """'What's the point of taking them?' may be a dark question about the tablets: an absent_when for it (tuned on the
    answers dev sets) lowered crisis recall on four triage test sets and was withdrawn."""
    assert "crisis-passive" not in RedFlagRules.load().read("whats the point of a relaxant if it just knocks me out").absent_signs


@pytest.mark.parametrize("message", ["got my affairs sorted", "I've sorted out all my affairs now"])
def test_affairs_put_in_order_in_other_words_are_a_crisis(message):
    """"put my affairs in order" the learned layer reads as a plan; "got my affairs sorted" it did not read at all."""
    assert "crisis-active" in {m.sign for m in RedFlagRules.load().read(message).found}
