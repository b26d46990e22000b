"""Compose a reply from the guide's own sentences, each followed by its citation marker.

Grounded by construction: the composer never writes a claim. It picks whole
sentences that ingest cut from the source, puts the one that best answers the
question first, adds a few supporting ones in the guide's order, and numbers a
citation for each, so every sentence carries a marker and every number in it
is in the quoted passage. (Questions across treatments are composed from the
comparison table by ``answering.comparison``.)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from answering.cell_reading import CellReading
from answering.question import AnswerType
from answering.roles import RoleRules
from answering.scope import amounts_in
from contracts import Chunk, Citation, Sentence
from index.text import bullet_label, tokenize

MECHANISM = "mechanism"  # the answer type (data/<lang>/answering.toml) of "why …?", "how does it work?"
KIND = "kind"  # ... and of "what types of massage are there?"
CITATION_MARKER = re.compile(r"\[(\d+)\]")  # "[2]" after a claim: its citation's number
_CLAIM_END = re.compile(r"(?<=\])\s+")  # between two cited claims


@functools.cache
def _roles() -> RoleRules:
    """The words of an opening that leans on the sentence before it (``[roles]`` in answering.toml), read once."""
    return RoleRules.load()


def _points_back(text: str) -> bool:
    """A sentence that leans on the one before it ("This …", "They …", "Conversely, …") reads badly as an opening line."""
    return _roles().opens_by_pointing_back(text)


@dataclass(frozen=True)
class ComposerTuning:
    """Weights and limits, tuned on the development sets (tests/data/dev_questions.jsonl, eval/heldout/answers_dev.jsonl)."""

    max_sentences: int = 5
    min_sentences: int = 3
    lexical_weight: float = 0.25  # share of the question's words a sentence contains
    chunk_weight: float = 0.15  # how much the retrieval rank of the sentence's chunk counts
    answer_type_bonus: float = 0.15  # the sentence holds the kind of answer asked for (an amount, a duration)
    named_label_bonus: float = 0.5  # the sentence's bullet is named by its label in the conversation ("the gonstead technique")
    defined_bonus: float = 1.0  # the sentence's bullet is what the follow-up asks the meaning of ("what does that mean?" after
    # "...said my back was guarding"): it leads over the section's best-rated items (Core Strengthening's prior is higher)
    expansion_share: float = 0.5  # a word that only the lay-vocabulary expansion added counts this much
    opening_penalty: float = 0.2  # "This …", "They …": keep such sentences out of first place (0.08 -> 0.2, 0.3, 0.4 on the
    # 18 answers dev sets: first cited right up on 5, 9, 10 sets; key facts lost on none at 0.2, on 4-5 sets above it)...
    labelled_opening_penalty: float = 0.08  # ... but after a bullet's label less ("For recurring or chronic spasms: This is
    # where you might integrate weekly physical therapy": the label says what "this" is; 0.08 here: answers_dev12 first
    # cited 0.915 -> 0.930, dev9 0.884 -> 0.887, nothing else moves)
    keep_within: float = 0.3  # supporting sentences score at least best - this (tuned on eval/heldout/answers_dev.jsonl)
    concrete_within: float = 1.2  # ... or up to this much lower still, when it adds a fact (``_adds_a_fact``)...
    concrete_facts: float = 1.0  # ... concrete content (answering.roles concreteness) at least this...
    concrete_extra: int = 2  # ... up to this many beyond ``max_sentences`` (0.8-1.6 and 2-3 tried on the ten answers dev sets:
    # key facts 2,320 -> 2,360-2,371 of 3,252, flat from 1.2; only concrete ones of the lead's treatment, so no filler joins)
    min_score: float = 0.30  # below this the guide has no answer worth quoting
    redundancy: float = 0.88  # cosine above which two sentences say the same thing
    cross_max_rows: int = 5
    cross_prose: int = 2  # a table's answer across treatments is followed by up to this many of the prose composer's sentences
    # of the rows shown... (0, 1, 2 tried on the 16 answers dev sets: key facts 3,190, 3,211, 3,219 of 4,112; none down, first cited unchanged)
    cross_prose_min: float = 0.9  # ... when the best of them scores at least this (0.6 alike; answering.comparison.table_then_prose)
    prior_weight: float = 0.03  # how much a sentence's informativeness (answering.roles) counts, per unit (0.10 raised dev, lowered test: not kept)
    generic_cut: float = -1.0  # a prior below this marks a generic sentence: it does not lead an answer while a better one is near
    example_weight: float = 5.0  # closeness to questions a sentence is known to answer (answering.exemplars), per unit...
    example_floor: float = 0.6  # ...above this cosine (both tuned on eval/heldout/answers_dev*.jsonl)
    head_weight: float = 1.0  # the per-sentence heads' probability (answering.sentence_heads), per unit
    cell_head_weight: float = 2.0  # a table cell's head's probability, per unit (answering.comparison; 1, 2 and 4 tried on the 15 answers dev sets: key facts 3,002 -> 3,067, 3,074, 3,079 of 3,969, none down at 1 or 2; 2 keeps fewer cells beside the point than 4)
    example_join: float = 0.65  # a passage outside the top k joins when one of its sentences' examples is this close
    head_join: float = 0.5  # ... or when one of its sentences' heads is this sure
    head_sure: float = 0.8  # a sentence whose head is this sure may open though it reads generic (``generic_cut``)...
    head_sure_margin: float = 0.15  # ... by up to this much (no margin: the stress plan stays out of 19 stress questions;
    # no limit: "cornerstone", "patching a leaky pipe" and a massage line open physio questions, answers dev)
    table_row_min: float = 0.7  # a prose answer gains its lead treatment's closest table cell scoring this much (answering.comparison.with_table_row; 0.6-0.9 tried on the dev sets: lower added more key facts and more cells beside the point)
    table_rows_named: int = 2  # when a question names several treatments ("massage or chiro?"), up to this many more of them each add their closest cell the same way (0 tried on the dev sets: fewer key facts)
    opener_gap: float = 0.3  # a bullet's first sentence this far below a later one that stands alone is left out (its label kept)
    lead_in_words: int = 6  # a bullet's first sentence this short after its label ("The pattern becomes more complex.") only leads in
    choice_cells_first: bool = True  # a choice between two treatments opens with their cells of one column (answering.comparison.with_table_row)
    after_list: int = 1  # a list answer ("Lying immobile … can lead to: …") is followed by up to this many sentences from outside its passage...
    after_list_within: float = 1.0  # ... scoring at least the best - this (1.0 and 1.5, 1 and 2 sentences, only ones adding a fact or any: 9-10 more key facts of 3,969 on the answers dev sets, alike)
    list_intro_gap: float = 0.3  # a list item that would open gives way to its list's introduction and items when the introduction scores this close (0-0.3 alike on the answers dev sets; -9, never: one key fact fewer)


@dataclass(frozen=True)
class Scored:
    sentence: Sentence
    vector: np.ndarray
    score: float
    prior: float = 0.0  # informativeness (answering.roles): generic sentences never lead
    facts: float = 0.0  # concrete content (answering.roles: a time, a dose, a named technique): may join from farther


@dataclass(frozen=True)
class Composition:
    """What the composer chose: Markdown with markers, its citations, and how sure it was."""

    markdown: str
    citations: list[Citation]
    best_score: float
    treatments: tuple[str, ...]
    kind: str = "answer"  # "answer" | "cross"
    passages: tuple[str, ...] = ()  # chunk ids quoted, in citation order
    opening: Sentence | None = None  # the sentence it opens with (a prose answer)


def score_sentences(
    query_vector: np.ndarray,
    query_tokens: tuple[set[str], set[str]],
    sentences: Sequence[Sentence],
    vectors: np.ndarray,
    chunk_rank: dict[str, int],
    tuning: ComposerTuning,
    wanted: Sequence[AnswerType] = (),
    idf: Callable[[str], float] = lambda term: 1.0,
    priors: Mapping[str, float] | None = None,
    examples: Mapping[str, float] | None = None,
    heads: Mapping[str, float] | None = None,
    facts: Mapping[str, float] | None = None,
    named: frozenset[str] = frozenset(),
    defined: frozenset[str] = frozenset(),
) -> list[Scored]:
    """Cosine to the question, plus word overlap, chunk rank, the answer type asked for, informativeness,
    closeness to example questions the sentence answers (``examples``: sentence id -> cosine), and the
    sentence's learned head (``heads``: sentence id -> probability it answers this question). A sentence of a bullet
    the conversation names by its label (``named``: ``answering.labels``) gains ``named_label_bonus``; one the follow-up asks
    the meaning of (``defined``: ``NamedLabels.named_by_rare_word``) gains ``defined_bonus``.

    ``query_tokens`` is (the patient's own words, words the lay vocabulary added):
    the patient's words count fully, the added ones partly, so "bed rest" added
    for "stay in bed" helps without drowning what was actually asked. Words count
    by their rarity in the guide (``idf``): sharing "chronic" says more than sharing "back".
    """
    if not len(sentences):
        return []
    own, added = query_tokens
    added = added - own
    weight = {t: idf(t) for t in own | added}
    total = sum(weight[t] for t in own) or 1.0
    cosines = vectors @ query_vector.ravel()
    scored = []
    for sentence, vector, cosine in zip(sentences, vectors, cosines):
        words = _words(sentence.text)
        shared = sum(weight[t] for t in words & own) + tuning.expansion_share * sum(weight[t] for t in words & added)
        overlap = min(shared / total, 1.5)
        rank = chunk_rank.get(sentence.chunk_id, 10)
        score = float(cosine) + tuning.lexical_weight * overlap + tuning.chunk_weight / rank
        # Each kind of answer asked for that the sentence holds counts ("which first?" + "ice or heat?").
        score += tuning.answer_type_bonus * sum(t.weight for t in wanted if t.met_by(sentence.text))
        prior = priors.get(sentence.id, 0.0) if priors else 0.0
        score += tuning.prior_weight * max(-3.0, min(3.0, prior))
        if examples:
            score += tuning.example_weight * max(0.0, examples.get(sentence.id, 0.0) - tuning.example_floor)
        if heads:
            score += tuning.head_weight * heads.get(sentence.id, 0.0)
        if sentence.id in named:
            score += tuning.named_label_bonus
        if sentence.id in defined:
            score += tuning.defined_bonus
        if any(t.leads and t.met_by(sentence.text) for t in wanted):
            prior = max(prior, 0.0)  # the kind of answer asked for outright is not filler: "A back spasm is essentially
            # an involuntary, sustained muscle contraction." may open "what even is a back spasm"
        elif heads and heads.get(sentence.id, 0.0) >= tuning.head_sure and prior >= tuning.generic_cut - tuning.head_sure_margin:
            prior = tuning.generic_cut  # nor is a sentence barely generic that the learned head is sure answers the question:
            # "For spasms linked to stress or systemic issues: ..." (-1.03) for "stress at work makes my back seize up"
            # (answers_dev29); "This approach is a cornerstone treatment ..." (-1.97) still does not open
        scored.append(Scored(sentence, vector, score, prior, facts.get(sentence.id, 0.0) if facts else 0.0))
    return sorted(scored, key=lambda s: -s.score)


@functools.lru_cache(maxsize=1 << 18)
def _words(text: str) -> frozenset[str]:
    """A passage's search terms; the guide's sentences recur across questions, so they are cached."""
    return frozenset(tokenize(text))


def _opening(scored: list[Scored], firsts: dict[int, Scored], tuning: ComposerTuning, items: dict[int, list[Scored]]) -> Scored:
    """The best sentence that can stand first on its own.

    A later sentence of a bullet that needs the bullet's first sentence will be shown
    after it (``with_bullet_context``), so as an opening it is worth what the pair is
    worth; a sentence starting "This…"/"They…" pays ``opening_penalty`` (``labelled_opening_penalty`` after a bullet's
    label).
    """

    def standalone(s: Scored) -> float:
        first = firsts.get(s.sentence.block)
        if first is not None and needs_opener(s, first, tuning):
            return (s.score + first.score) / 2
        if not _points_back(_body(s.sentence.text)):
            return s.score
        # under a bullet's label, its own or borrowed from a first sentence that only leads in ("For recurring or
        # chronic spasms: The pattern becomes more complex. This is where you might integrate weekly physical therapy …")
        labelled = s.sentence.block_kind == "bullet" and (bool(bullet_label(s.sentence.text)) or (first is not None and _is_lead_in(first, tuning)))
        return s.score - (tuning.labelled_opening_penalty if labelled else tuning.opening_penalty)

    candidates = [
        s for s in scored[:8]
        if s.prior >= tuning.generic_cut and (not _is_list_intro(s.sentence) or id(s) in items) and not _is_lead_in(s, tuning)
    ]
    return max(candidates or scored[:5], key=standalone)


def best_standalone(scored: list[Scored], tuning: ComposerTuning) -> Scored | None:
    """The best of ``scored`` (one treatment's sentences, best first) that reads alone as a line of its own: not
    generic, not a list's introduction or a bullet's lead-in, not leaning on the sentence before it. For a side
    of a choice ("chiro or physio?"), shown under that treatment's name."""
    firsts = _bullet_firsts(scored)
    for item in scored[:8]:
        if item.score < tuning.min_score:
            return None
        first = firsts.get(item.sentence.block)
        if (
            item.prior < tuning.generic_cut
            or _is_list_intro(item.sentence)
            or _is_lead_in(item, tuning)
            or _points_back(_body(item.sentence.text))
            or (first is not None and needs_opener(item, first, tuning))
        ):
            continue
        return item
    return None


def _is_lead_in(item: Scored, tuning: ComposerTuning) -> bool:
    """A short, uninformative sentence (prior below the document's average) that leads in to what follows: a labelled
    bullet's first sentence ("For recurring or chronic spasms: The pattern becomes more complex."), whose next
    sentence reads well under the label alone, or a paragraph's ("Start by assessing your current situation.", which
    opened "how do i stop these spasms coming back for good", answers_dev29). "Daily Movement: Walk a little." is an
    instruction, not a lead-in."""
    text = item.sentence.text
    if item.prior >= 0.0 or (item.sentence.block_kind == "bullet" and not bullet_label(text)):
        return False
    return len(_body(text).split()) <= tuning.lead_in_words


def _is_list_intro(sentence: Sentence) -> bool:
    """"… a cascade of negative effects:": it means nothing without the list after it."""
    return sentence.text.rstrip().endswith(":")


def _sole_items(chosen: list[Scored]) -> dict[int, Scored]:
    """For each list introduction in ``chosen`` ("… a cascade of negative effects:") with exactly one of its items
    after it, that item, keyed by ``id`` of the introduction. The two are one unit: trimmed together, counted as
    one sentence. An introduction cut from its list reads as a sentence cut off."""
    sole: dict[int, Scored] = {}
    for intro in chosen:
        if _is_list_intro(intro.sentence):
            items = [
                o for o in chosen
                if o.sentence.block_kind == "bullet" and o.sentence.chunk_id == intro.sentence.chunk_id
                and o.sentence.position > intro.sentence.position
            ]
            if len(items) == 1:
                sole[id(intro)] = items[0]
    return sole


def _list_items(scored: list[Scored], limit: int, within: int = 8) -> dict[int, list[Scored]]:
    """Each list introduction among the ``within`` best (those that could open), with the first sentences
    of the bullets right after it (at most ``limit``): an introduction may open an answer only together
    with its list. Keyed by ``id`` of the introduction."""
    intros = [s for s in scored[:within] if _is_list_intro(s.sentence)]
    lists: dict[int, list[Scored]] = {}
    for intro in intros:
        later = sorted(
            (s for s in scored if s.sentence.chunk_id == intro.sentence.chunk_id and s.sentence.position > intro.sentence.position),
            key=lambda s: s.sentence.position,
        )
        bullets: list[Scored] = []
        for item in later:
            if item.sentence.block_kind != "bullet":
                break
            if not bullets or item.sentence.block != bullets[-1].sentence.block:
                bullets.append(item)
        if bullets:
            lists[id(intro)] = bullets[:limit]
    return lists


def _whole_list(item: Scored, scored: list[Scored], tuning: ComposerTuning) -> list[Scored]:
    """A list item chosen to open ("Muscle Atrophy: The deep core muscles … weaken") read with what it is an item of:
    the list's introduction ("Lying immobile for more than a day or two can lead to a cascade of negative effects:")
    and its items, when the introduction is about as close to the question (``list_intro_gap``) and does not itself
    lean on an earlier sentence ("This mechanism offers…"). Empty when the item should open alone."""
    intro = _close_list_intro(item, scored, tuning)
    if intro is None:
        return []
    same_chunk = sorted((s for s in scored if s.sentence.chunk_id == item.sentence.chunk_id), key=lambda s: s.sentence.position)
    lists = _list_items([intro, *same_chunk], tuning.max_sentences - 1, within=1)
    bullets = lists.get(id(intro), [])
    if not any(b is item for b in bullets):
        return []
    return [intro, *bullets]


def _close_list_intro(item: Scored, scored: list[Scored], tuning: ComposerTuning) -> Scored | None:
    """The introduction of the list a bullet ``item`` belongs to ("Lying immobile for more than a day or two can lead
    to a cascade of negative effects:"), when it is about as close to the question (``list_intro_gap``) and does not
    itself lean on an earlier sentence ("This mechanism offers…"); else None."""
    if item.sentence.block_kind != "bullet":
        return None
    here = item.sentence
    intro = max(  # the nearest sentence before it, in its passage, that is not a bullet
        (s for s in scored if s.sentence.chunk_id == here.chunk_id and s.sentence.position < here.position and s.sentence.block_kind != "bullet"),
        key=lambda s: s.sentence.position,
        default=None,
    )
    if (
        intro is None
        or not _is_list_intro(intro.sentence)
        or intro.score < item.score - tuning.list_intro_gap
        or _points_back(_body(intro.sentence.text))
    ):
        return None
    return intro


def _bullet_firsts(pool: list[Scored]) -> dict[int, Scored]:
    """Each bullet's first sentence, by block number."""
    firsts: dict[int, Scored] = {}
    for item in pool:
        s = item.sentence
        if s.block_kind == "bullet" and (s.block not in firsts or s.start < firsts[s.block].sentence.start):
            firsts[s.block] = item
    return firsts


def _body(text: str) -> str:
    """A bullet's sentence without its lead-in label ("Daily Movement: Instead of …" → "Instead of …")."""
    head, sep, rest = text.partition(": ")
    return rest if sep and len(head.split()) <= 5 else text


def select(scored: list[Scored], firsts: dict[int, Scored], tuning: ComposerTuning) -> list[Scored]:
    """An opening sentence, then supporting ones close to it in score and not repeating it, then up to
    ``concrete_extra`` farther ones that each add a fact of its treatment (``_adds_a_fact``).

    ``firsts`` maps each bullet to its first sentence (``_bullet_firsts`` of ``scored``).
    """
    if not scored or scored[0].score < tuning.min_score:
        return []
    items = _list_items(scored, tuning.max_sentences - 1)
    best = _opening(scored, firsts, tuning, items)
    lifted = _whole_list(best, scored, tuning)
    if lifted:
        return _after_list(lifted, scored, tuning)
    if id(best) in items:  # "… a cascade of negative effects:" and its list, as one unit
        return _after_list([best, *items[id(best)]], scored, tuning)
    chosen = [best]
    for candidate in scored:
        if candidate is best:
            continue
        if candidate.score < tuning.min_score:
            break
        farther = candidate.score < scored[0].score - tuning.keep_within and len(chosen) >= tuning.min_sentences
        if farther and candidate.score < scored[0].score - tuning.keep_within - tuning.concrete_within:
            break
        if len(chosen) >= tuning.max_sentences + tuning.concrete_extra:
            break
        if (farther or len(chosen) >= tuning.max_sentences) and not _adds_a_fact(candidate, best, tuning):
            continue  # past the close and the first few: only a sentence that adds a fact
        if any(float(candidate.vector @ c.vector) > tuning.redundancy for c in chosen) or _is_list_intro(candidate.sentence):
            continue
        chosen.append(candidate)
    # A list item shown without its introduction ("Delayed Healing: gentle movement promotes blood flow") is read
    # with it ("Lying immobile for more than a day or two can lead to a cascade of negative effects:").
    for item in list(chosen[1:]):
        intro = _close_list_intro(item, scored, tuning)
        if intro is not None and all(intro is not c for c in chosen):
            chosen.append(intro)
    # Answer first, then the rest in the order the guide tells it.
    rest = sorted(chosen[1:], key=lambda s: (s.sentence.source, s.sentence.position))
    return [best] + rest


def _after_list(unit: list[Scored], scored: list[Scored], tuning: ComposerTuning) -> list[Scored]:
    """A list and its introduction, then up to ``after_list`` sentences from other passages within ``after_list_within``
    of the best: "should I stay in bed?" gets the harms of bed rest and what to do instead ("try short, slow walks
    around your home")."""
    passage = unit[0].sentence.chunk_id
    extra: list[Scored] = []
    for candidate in scored:
        if len(extra) >= tuning.after_list or candidate.score < scored[0].score - tuning.after_list_within:
            break
        if candidate.sentence.chunk_id == passage or _is_list_intro(candidate.sentence):
            continue
        if any(float(candidate.vector @ c.vector) > tuning.redundancy for c in [*unit, *extra]):
            continue
        extra.append(candidate)
    return [*unit, *extra]


def _adds_a_fact(candidate: Scored, best: Scored, tuning: ComposerTuning) -> bool:
    """Whether a sentence farther from the question than ``keep_within`` may still join the answer: a concrete
    one (a time, a dose, a named technique: ``facts``) of the opening sentence's treatment that stands on its own.
    The question "what do they do at physio?" is answered by its opening sentence, and the named exercises
    (pelvic tilts, bird-dog, planks) two sentences later in the same section are what the patient can act on."""
    return (
        candidate.facts >= tuning.concrete_facts
        and not amounts_in(candidate.sentence.text)  # a dose is shown where it is asked for (the medication policies), never as an extra
        and candidate.sentence.treatment == best.sentence.treatment
        and not _points_back(_body(candidate.sentence.text))
    )


def needs_opener(item: Scored, first: Scored, tuning: ComposerTuning) -> bool:
    """Whether a later sentence of a bullet must be shown after the bullet's first sentence.

    It must when it leans on it ("This…", "They…"), unless the first sentence only leads in
    (``_is_lead_in``: the label carries it), or when the first sentence is itself close
    to the question. Otherwise the first sentence is only the bullet's opening line ("Sleeping
    Positions: Find a position that minimizes strain.") and would lead the answer with nothing
    the patient asked: the later sentence stands alone, under the bullet's label.
    """
    if first is item or item.sentence.block_kind != "bullet" or _is_lead_in(first, tuning):
        return False
    return _points_back(item.sentence.text.strip()) or first.score >= item.score - tuning.opener_gap


def with_bullet_context(
    chosen: list[Scored], firsts: dict[int, Scored], tuning: ComposerTuning, explains: AnswerType | None = None
) -> tuple[list[Scored], dict[str, Sentence]]:
    """Put a bullet's first sentence before a later sentence of the same bullet that needs it
    (``needs_opener``); a sentence that does not gets the bullet's label instead. Returns the
    sentences and, by sentence id, the bullet first sentence whose label each borrows.

    An opening that gives the explanation asked for (``explains``: "why does ice help?") leads under its bullet's
    label even when it leans on the bullet's first sentence: "**Initial Injury (First 48 Hours):** This constricts
    blood vessels, numbs nerve endings, and reduces swelling.", not the instruction before it that nobody asked for."""
    result: list[Scored] = []
    labels: dict[str, Sentence] = {}
    emitted: set[int] = set()  # shown, or left out because a later sentence of its item stands alone under its label
    for index, item in enumerate(chosen):
        if id(item.sentence) in emitted:
            continue
        first = firsts.get(item.sentence.block)
        if first is not None and first is not item and id(first.sentence) not in emitted:
            explained = (
                index == 0 and explains is not None and _points_back(_body(item.sentence.text))
                and explains.met_by(_body(item.sentence.text))
            )
            if needs_opener(item, first, tuning) and not explained:
                result.append(first)
            else:
                labels[item.sentence.id] = first.sentence
            emitted.add(id(first.sentence))
        result.append(item)
        emitted.add(id(item.sentence))
    return result, labels


def _span(chunk: Chunk, start: int, end: int) -> str:
    """Source text between two offsets inside ``chunk`` (chunks are verbatim spans of their source)."""
    return chunk.text[start - chunk.start : end - chunk.start]


def cite(
    chosen: list[Scored], chunks: dict[str, Chunk], labels: Mapping[str, Sentence] | None = None,
    cell_reading: CellReading = CellReading(),
) -> tuple[list[str], list[Citation]]:
    """Sentences with markers; the sentences of one passage share one citation, whose quote is the
    verbatim span from the first to the last of them (one source entry per passage, not one per line).
    A sentence shown under a borrowed bullet label (``labels``) quotes from the label on; a table cell reads
    as ``cell_reading`` words it."""
    labels = labels or {}
    by_chunk: dict[str, list[Sentence]] = {}
    for item in chosen:
        if item.sentence.is_cell:
            by_chunk.setdefault(f"{item.sentence.chunk_id}#{item.sentence.id}", []).append(item.sentence)  # a cell stands alone
        else:
            by_chunk.setdefault(item.sentence.chunk_id, []).extend(
                [labels[item.sentence.id], item.sentence] if item.sentence.id in labels else [item.sentence]
            )
    number: dict[str, int] = {}
    citations: list[Citation] = []
    for key, group in by_chunk.items():
        number[key] = len(citations) + 1
        first = min(group, key=lambda s: s.start)
        start, end = first.start, max(s.end for s in group)
        quote = _span(chunks[first.chunk_id], start, end)
        citations.append(Citation(number[key], first.source, first.treatment, first.section, quote, start, end))
    lines: list[str] = []
    for item in chosen:
        s = item.sentence
        key = f"{s.chunk_id}#{s.id}" if s.is_cell else s.chunk_id
        shown = render_sentence(s, labels.get(s.id), cell_reading)
        if not lines and shown == s.text.strip() and _leans_back(shown) and (title := _lead_in_title(chunks[s.chunk_id])):
            shown = f"**{title}:** {shown}"  # "They are often prescribed when NSAIDs alone are insufficient": they who?
        lines.append(f"{shown} [{number[key]}]")
    return lines, citations


def _leans_back(text: str) -> bool:
    """An opening that points back at what came before it ("They are …", "This not only …"), not an "it" that points
    at nothing ("It is crucial to adhere …", "It's important to …")."""
    return _roles().leans_on_the_one_before(text)


def _lead_in_title(chunk: Chunk) -> str:
    """The treatment's title as a bold lead-in for an opening line that leans on what came before it in the guide
    ("**Muscle Relaxants:** They are often prescribed ..."): a short title only, not a page's headline."""
    title = chunk.title.strip()
    return title if title and len(title) <= _LEAD_IN_TITLE_MAX and not any(mark in title for mark in ":|?!") else ""


_LEAD_IN_TITLE_MAX = 48  # "Spinal Manipulation and Chiropractic Care" fits; "Your Path to a Spasm-Free Back: …" does not


def one_citation_per_section(composition: Composition, texts: Mapping[str, str]) -> Composition:
    """``composition`` with one citation per section of the guide: sentences from two passages of one section
    ("Heat and Cold Therapy › … › Practical Examples" is two chunks) or two cells of one table row were listed twice
    under the same label. Their citations become one, quoting the source from the first to the last of them, and the
    markers are renumbered in order. ``texts`` are the sources' texts by name (``source_texts``); a source missing
    there, or whose text no longer holds a quote, keeps its citations as they are."""
    groups: dict[tuple[str, str], list[Citation]] = {}
    for citation in composition.citations:
        groups.setdefault((citation.source, citation.section), []).append(citation)
    if all(len(group) == 1 for group in groups.values()):
        return composition
    renumbered: dict[int, int] = {}
    citations: list[Citation] = []
    for (source, _), group in groups.items():
        text = texts.get(source)
        if len(group) > 1 and text is not None and all(text[c.start : c.end] == c.quote for c in group):
            start, end = min(c.start for c in group), max(c.end for c in group)
            citations.append(replace(group[0], n=len(citations) + 1, quote=text[start:end], start=start, end=end))
            renumbered.update((c.n, len(citations)) for c in group)
            continue
        for citation in group:
            citations.append(replace(citation, n=len(citations) + 1))
            renumbered[citation.n] = len(citations)
    markdown = CITATION_MARKER.sub(lambda m: f"[{renumbered.get(int(m.group(1)), int(m.group(1)))}]", composition.markdown)
    return replace(composition, markdown=markdown, citations=citations)


def quoted_passages(chosen: list[Scored]) -> tuple[str, ...]:
    """The chunks the chosen sentences come from, first quoted first."""
    return tuple(dict.fromkeys(c.sentence.chunk_id for c in chosen))


def render_sentence(sentence: Sentence, labelled_by: Sentence | None = None, cell_reading: CellReading = CellReading()) -> str:
    """A quoted sentence as shown: a table cell reads as a sentence naming its row and column (``cell_reading``);
    a list item's label reads as a bold lead-in ("**Contrast Therapy:** For stubborn spasms …"), not a fragment;
    a later sentence of a list item shown without the item's first one (``labelled_by``) gets its label."""
    if sentence.is_cell:
        return cell_reading.read(sentence)
    text = sentence.text.strip()
    if labelled_by is not None and (borrowed := bullet_label(labelled_by.text)):
        return f"**{borrowed}:** {text}"
    own = bullet_label(text) if sentence.block_kind == "bullet" else ""
    return f"**{own}:** {text[len(own) + 2 :]}" if own else text


def compose(
    query_vector: np.ndarray,
    query_tokens: tuple[set[str], set[str]],
    sentences: Sequence[Sentence],
    vectors: np.ndarray,
    chunk_rank: dict[str, int],
    chunks: dict[str, Chunk],
    tuning: ComposerTuning,
    wanted: Sequence[AnswerType] = (),
    idf: Callable[[str], float] = lambda term: 1.0,
    priors: Mapping[str, float] | None = None,
    examples: Mapping[str, float] | None = None,
    heads: Mapping[str, float] | None = None,
    facts: Mapping[str, float] | None = None,
    sides: Sequence[Scored] = (),
    named: frozenset[str] = frozenset(),
    defined: frozenset[str] = frozenset(),
) -> Composition | None:
    """A cited paragraph answering the question, or None when nothing scores high enough.

    ``sides``: for a choice ("chiro or physio?"), each side's best sentence (``best_standalone``), shown first, one
    line each under its treatment's name, before the paragraph (the finder decides when: ``PassageFinder._sides``)."""
    prose = [i for i, s in enumerate(sentences) if not s.is_cell]
    scored = score_sentences(
        query_vector, query_tokens, [sentences[i] for i in prose], vectors[prose], chunk_rank, tuning, wanted, idf, priors,
        examples, heads, facts, named, defined,
    )
    firsts = _bullet_firsts(scored)
    chosen = select(scored, firsts, tuning)
    if not chosen:
        return None
    explains = next((t for t in wanted if t.name == MECHANISM), None)
    chosen, labels = with_bullet_context(chosen, firsts, tuning, explains)
    # Context lines push out the weakest supporting sentence; a list's introduction and its one item go together,
    # counted as one. Trimming the item alone, or the introduction with it counted as two, or never the pair: each
    # lost 1 to 3 key facts on the 18 answers dev sets; this loses none, and shows no introduction without an item.
    while len(chosen) - len(sole := _sole_items(chosen)) > tuning.max_sentences and len(chosen) > 1:
        weakest = min((c for c in chosen[1:] if all(c is not i for i in sole.values())), key=lambda s: s.score, default=None)
        if weakest is None:
            break
        chosen = [c for c in chosen if c is not weakest and c is not sole.get(id(weakest))]
    if sides:
        shown = {s.sentence.id for s in sides}
        rest = [c for c in chosen if c.sentence.id not in shown]
        chosen = [*sides, *rest]
    lines, citations = cite(chosen, chunks, labels)
    treatments = tuple(dict.fromkeys(c.sentence.treatment for c in chosen))
    markdown = " ".join(lines)
    if sides:
        opening = "\n".join(f"- **{s.sentence.title}**: {line}" for s, line in zip(sides, lines))
        markdown = f"{opening}\n\n{' '.join(lines[len(sides):])}".rstrip()
    return Composition(markdown, citations, chosen[0].score, treatments, passages=quoted_passages(chosen), opening=chosen[0].sentence)


def first_claims(composition: Composition, claims: int) -> Composition:
    """The first ``claims`` cited sentences of a prose answer, its citations renumbered from 1; a list's introduction
    ("… a cascade of negative effects:") keeps the item after it, never ends the cut."""
    units = _CLAIM_END.split(composition.markdown.strip())
    end = min(claims, len(units))
    while 0 < end < len(units) and CITATION_MARKER.sub("", units[end - 1]).rstrip().endswith(":"):
        end += 1
    kept = units[:end]
    numbers = list(dict.fromkeys(int(n) for unit in kept for n in CITATION_MARKER.findall(unit)))
    new_n = {old: i + 1 for i, old in enumerate(numbers)}
    by_n = {c.n: c for c in composition.citations}
    body = " ".join(CITATION_MARKER.sub(lambda m: f"[{new_n[int(m.group(1))]}]", unit) for unit in kept)
    return replace(composition, markdown=body, citations=[replace(by_n[old], n=new_n[old]) for old in numbers if old in by_n])


def step_past_first(composition: Composition, past: Composition | None) -> Composition:
    """The first claim of ``past`` (an answer from other treatments' passages), then ``composition`` without it: "what if
    it doesn't work?" after ibuprofen opens with the muscle relaxants' "often prescribed when NSAIDs alone are
    insufficient", then what the guide says of the treatment tried. Leading with the step past was judged the better
    opening for 16 of 30 changed dev follow-ups, the worse for 8 (a blind pairwise judge, answers_dev*)."""
    if past is None or past.kind != "answer":
        return composition
    step = first_claims(past, 1)
    said = CITATION_MARKER.sub("", step.markdown).strip()
    units = [u for u in _CLAIM_END.split(composition.markdown.strip()) if CITATION_MARKER.sub("", u).strip() != said]
    shift = len(step.citations)
    body = " ".join(CITATION_MARKER.sub(lambda m: f"[{int(m.group(1)) + shift}]", unit) for unit in units)
    return replace(
        composition, markdown=f"{step.markdown} {body}".strip(), citations=[*step.citations, *(replace(c, n=c.n + shift) for c in composition.citations)],
        passages=tuple(dict.fromkeys([*past.passages[:1], *composition.passages])),
    )
