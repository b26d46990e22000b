"""The guide's labelled items a message names (answering/labels.py): every word of the label, one of them rare."""

from __future__ import annotations

from answering.labels import NamedLabels
from contracts import Sentence


def _bullet(n: int, text: str, block: int) -> Sentence:
    return Sentence(f"s{n}", "c1", "guide.txt", "chiropractic", "Chiropractic", "Techniques", text, n, n + 1, "sentence", "", n, block, "bullet")


def _sentences() -> list[Sentence]:
    common = [_bullet(10 + i, f"Back spasm care relies on a good technique {i}.", 1000 + i) for i in range(4)]
    return [
        _bullet(1, "Gonstead Technique: Focuses on specific problem areas.", 100),
        _bullet(2, "It locates the exact source first.", 100),
        _bullet(3, "Good Technique: Back spasm care needs a good technique.", 200),
        *common,
    ]


def test_a_label_with_a_rare_word_is_named_by_all_its_words_and_brings_its_whole_bullet():
    labels = NamedLabels(_sentences())
    assert labels.named_in("she uses the gonstead technique, what does it do?") == {"s1", "s2"}
    assert labels.named_in("what is gonstead?") == frozenset()  # "technique" is part of the label's name
    assert labels.named_in("") == frozenset()


def test_a_label_of_common_words_is_never_named():
    """"Good Technique": every word is in many sentences, so a message using them names nothing."""
    assert NamedLabels(_sentences()).named_in("is there a good technique for a back spasm?") == frozenset()


def test_a_word_only_one_sentence_has_names_its_labelled_bullet_when_asked_what_it_is():
    """"my chiro said it locates the exact source" names the Gonstead bullet by "locates", which no other sentence has;
    words many sentences share ("back", "technique") name nothing, nor do an unlabelled bullet's words."""
    sentences = [*_sentences(), _bullet(20, "Plain items have peculiar wording.", 300)]
    labels = NamedLabels(sentences)
    assert labels.named_by_rare_word("my chiro said it locates the exact source") == {"s1", "s2"}
    assert labels.named_by_rare_word("a back spasm and a good technique") == frozenset()
    assert labels.named_by_rare_word("what is that peculiar wording?") == frozenset()
    assert labels.named_by_rare_word("") == frozenset()
