"""Misspelt medicine names read as the names (rules/spelling.py); everyday words never change."""

from __future__ import annotations

import pytest

from answering.medicines import MedicineNames
from rules.spelling import NameSpelling, build_everyday_words, edit_distance, medicine_spelling, read_everyday_words


@pytest.mark.parametrize(
    ("written", "name"),
    [("Mehtocarbamol", "methocarbamol"), ("cyclobenzprine", "cyclobenzaprine"), ("robaxen", "robaxin"), ("flexiril", "flexeril"),
     ("methocarbimol", "methocarbamol"), ("advill", "advil")],
)
def test_a_name_one_or_two_letters_off_reads_as_the_name(written, name):
    assert medicine_spelling().correct(f"{written} how many hrs apart") == f"{name} how many hrs apart"


@pytest.mark.parametrize("text", ["I don't want to be alive", "should I leave it", "I was relaxing", "is motion ok", "soms"])
def test_everyday_words_and_short_words_stay_as_written(text):
    assert medicine_spelling().correct(text) == text


def test_a_name_with_other_vowels_or_spelt_as_it_sounds_reads_as_the_name():
    """"xeralto" is two letters off "xarelto", more than a seven-letter name allows, but only its vowels differ;
    "plavicks" is three off "plavix", but sounds the same."""
    assert medicine_spelling().correct("im on xeralto") == "im on xarelto"
    assert medicine_spelling().correct("elliquis and warfrin") == "eliquis and warfarin"
    assert medicine_spelling().correct("been on plavicks since last year") == "been on plavix since last year"  # x said "ks"
    spelling = NameSpelling(["bandor", "bendir"], is_everyday=lambda word: False)
    assert spelling.correct("bondur") == "bondur"  # two names alike but for their vowels: no guess


def test_two_names_equally_close_are_not_guessed():
    spelling = NameSpelling(["abcdef", "abcdeg"], is_everyday=lambda word: False)
    assert spelling.correct("abcdex") == "abcdex"
    assert spelling.correct("abcdff") == "abcdef"


def test_a_word_as_close_to_two_spellings_of_one_medicine_is_that_medicine():
    """"iboprofen" is one edit from "ibuprofen" and from its listed misspelling "ibroprofen" (medication_dev45: "can i
    tak iboprofen and how mutch" with stage 3 CKD got no kidney caution): one medicine, not two names equally close."""
    spelling = NameSpelling(["abcdef", "abcdeg", "vwxyzq"], is_everyday=lambda word: False, spellings=[["abcdef", "abcdeg"]])
    assert spelling.correct("abcdex") in {"abcdef", "abcdeg"}
    assert [m.medicine for m in MedicineNames.load().find("can i tak iboprofen and how mutch")] == ["ibuprofen"]


def test_a_swap_of_neighbouring_letters_is_one_edit():
    assert edit_distance("mehto", "metho") == 1 and edit_distance("kitten", "sitting") == 3


def test_the_medicine_vocabulary_finds_a_misspelt_name():
    found = MedicineNames.load().find("Does robaxen make you drowsy?")
    assert [(m.medicine, m.covered) for m in found] == [("methocarbamol", True)]


def test_a_plural_that_is_an_everyday_word_is_not_the_name():
    """Every name also reads with an "s" ("nurofens"), but "pulling weeds" is gardening (medicines.toml ``not_names``)."""
    names = MedicineNames.load()
    assert names.find("I was pulling weeds for four hours and my back seized") == ()
    assert [m.class_id for m in names.find("does smoking weed help a back spasm?")] == ["cannabis"]
    assert [m.medicine for m in names.find("are nurofens ok with food?")] == ["ibuprofen"]


def test_the_shipped_everyday_word_list_is_current_for_the_medicine_names():
    """Built from wordfreq by `python -m rules.spelling build`; the server reads only the list."""
    assert sorted(read_everyday_words()) == build_everyday_words(), "run `python -m rules.spelling build`"


def test_a_very_long_word_is_not_compared_at_all():
    """Its two-letter deletions would number in the hundreds of thousands: an oversized message must stay fast."""
    text = "a" * 5000 + " robaxen"
    assert medicine_spelling().correct(text) == "a" * 5000 + " robaxin"
