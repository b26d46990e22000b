"""Questions across treatments, answered from the guide's comparison table.

"What is cheapest?" ranks the rows by the level in the resources column;
"which treatments need no medication?" prefers cells that say so ("no meds",
"drug-free") over cells that say the opposite ("prescription meds"); anything
else takes, for each treatment, the table cell closest to the question. Every
line names its treatment and column and cites the cell it quotes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

import numpy as np

from answering.cell_reading import CellReading
from answering.compose import (
    CITATION_MARKER,
    ComposerTuning,
    Composition,
    Scored,
    cite,
    first_claims,
    quoted_passages,
    score_sentences,
)
from answering.question import QuestionRules, Ranking
from contracts import Chunk, Citation, Sentence

POLARITY_WEIGHT = 0.3  # a cell that agrees with a "no X" question beats mere similarity
MAX_CELLS_SCORED = 300  # the guide has 35 cells; a large corpus keeps its closest ones (a vector product) for word scoring


def _candidates(
    cells: Sequence[Sentence], vectors: np.ndarray, query_vector: np.ndarray, column: str | None, named: Sequence[str] = (),
    past: Sequence[str] = (),
) -> np.ndarray:
    """Rows of the cells worth scoring: the ranking's column only, the treatments the question names only
    (when the table has them: "massage or a chiropractor?" compares those two) or all but those it looks
    past ("alternatives to muscle relaxants?"), and at most the closest few hundred."""
    rows = np.arange(len(cells))
    if column is not None:
        rows = np.array([i for i, c in enumerate(cells) if c.label.lower() == column.lower()], dtype=np.int64)
    others = np.array([i for i in rows if cells[int(i)].treatment not in past], dtype=np.int64)
    if len(others):
        rows = others
    of_named = np.array([i for i in rows if cells[int(i)].treatment in named], dtype=np.int64)
    if len(of_named):
        rows = of_named
    if len(rows) > MAX_CELLS_SCORED:
        cosines = vectors[rows] @ query_vector.ravel()
        rows = np.sort(rows[np.argpartition(-cosines, MAX_CELLS_SCORED - 1)[:MAX_CELLS_SCORED]])
    return rows


def _scored_cells(
    query_vector: np.ndarray, query_tokens: tuple[set[str], set[str]], cells: Sequence[Sentence], vectors: np.ndarray,
    rows: Sequence[int] | np.ndarray, tuning: ComposerTuning, heads: Mapping[str, float] | None,
) -> list[Scored]:
    """The cells of ``rows``, best first: the composer's score, plus their learned heads (``heads``: cell id ->
    probability it answers, ``answering.sentence_heads``). A cell is a few words ("Long-term symptom relief and
    prevention") whose closeness to a question says little of what the question asks of the table ("a long-term
    fix?"); the heads learned it from the example questions whose key phrase a cell holds."""
    scored = score_sentences(query_vector, query_tokens, [cells[int(i)] for i in rows], vectors[rows], {}, tuning)
    if not heads or not tuning.cell_head_weight:
        return scored
    raised = [replace(s, score=s.score + tuning.cell_head_weight * heads.get(s.sentence.id, 0.0)) for s in scored]
    return sorted(raised, key=lambda s: -s.score)


def _ranked_by_level(question_rules: QuestionRules, column: str, descending: bool, scored: list[Scored]) -> list[Scored]:
    """Rows ordered by their level in ``column``: the lowest (or highest) level and the next one."""
    in_column = [s for s in scored if s.sentence.label.lower() == column.lower()]
    levelled = [(lv, s) for s in in_column if (lv := question_rules.level(s.sentence.text)) is not None]
    if not levelled:
        return []
    levelled.sort(key=lambda pair: (-pair[0] if descending else pair[0], -pair[1].score))
    distinct = sorted({lv for lv, _ in levelled}, reverse=descending)[:2]
    return [s for lv, s in levelled if lv in distinct]


def _row_cells_saying(item: Scored, says: re.Pattern[str], cells: Sequence[Sentence], vectors: np.ndarray, column: str) -> list[Scored]:
    """The other cells of ``item``'s row, outside ``column`` (lower case), that say outright what was asked (``says``):
    "Immediate relief, inexpensive" beside heat's resources level, "prescription needed" beside the relaxants' resources
    cell. Scored as ``item``: they are shown with it."""
    return [
        Scored(cell, vectors[i], item.score)
        for i, cell in enumerate(cells)
        if cell.treatment == item.sentence.treatment and cell.label.lower() != column and says.search(cell.text.lower())
    ]


def _with_cells_saying(chosen: list[Scored], ranking: Ranking, cells: Sequence[Sentence], vectors: np.ndarray) -> list[Scored]:
    """``chosen`` (rows ranked by one column), each followed by its row's cells of other columns that say the ranked
    quality outright (``Ranking.says``): the level ranks, the advantage ("inexpensive") is what a patient asking
    what is cheap wants to read."""
    if ranking.says is None:
        return chosen
    return [cell for item in chosen for cell in (item, *_row_cells_saying(item, ranking.says, cells, vectors, ranking.column.lower()))]


def _saying_first(sides: Sequence[Scored], says: re.Pattern[str] | None, cells: Sequence[Sentence]) -> list[Scored]:
    """A choice's sides, those whose row says outright what was asked first ("rest or ice/heat, which gives faster
    relief?": heat and cold's "Immediate relief" before rest's "Natural, accessible"): the side that answers leads,
    the question's order otherwise."""
    if says is None:
        return list(sides)
    saying = {c.treatment for c in cells if says.search(c.text.lower())}
    return sorted(sides, key=lambda s: s.sentence.treatment not in saying)


def _with_polarity(question_rules: QuestionRules, asked: dict[str, bool], scored: list[Scored]) -> list[Scored]:
    """Raise cells that agree with what the question asks to have (or not have); lower those that contradict it."""
    if not asked:
        return scored
    adjusted = []
    for item in scored:
        said = question_rules.polarity(item.sentence.text)
        delta = sum(POLARITY_WEIGHT if said[c] == negated else -POLARITY_WEIGHT for c, negated in asked.items() if c in said)
        adjusted.append(Scored(item.sentence, item.vector, item.score + delta))
    return sorted(adjusted, key=lambda s: -s.score)


def _agrees(question_rules: QuestionRules, asked: dict[str, bool], item: Scored) -> bool:
    said = question_rules.polarity(item.sentence.text)
    return any(c in said and said[c] == negated for c, negated in asked.items())


def _shared_column(scored: Sequence[Scored], treatments: Sequence[str], columns: Collection[str] = ()) -> list[Scored]:
    """Each of ``treatments``' cells from one column, the one with the cell closest to the question (of ``columns``
    when the question asks of some and they have them all, else of any): "massage vs chiropractor for a back that
    keeps locking up?" reads both rows' ideal uses side by side, not massage's ideal use beside the chiropractor's
    cost. [] when no column has them all."""
    by_column: dict[str, dict[str, Scored]] = {}
    for item in scored:
        by_column.setdefault(item.sentence.label.lower(), {}).setdefault(item.sentence.treatment, item)
    complete = {column: cells for column, cells in by_column.items() if all(t in cells for t in treatments)}
    complete = {column: cells for column, cells in complete.items() if column in columns} or complete
    if not complete:
        return []
    best = max(complete.values(), key=lambda cells: max(cells[t].score for t in treatments))
    return [best[t] for t in treatments]


def compose_comparison(
    question: str,
    query_vector: np.ndarray,
    query_tokens: tuple[set[str], set[str]],
    cells: Sequence[Sentence],
    vectors: np.ndarray,
    chunks: dict[str, Chunk],
    question_rules: QuestionRules,
    tuning: ComposerTuning,
    named: Sequence[str] = (),
    past: Sequence[str] = (),
    heads: Mapping[str, float] | None = None,
    said_before: str = "",
) -> Composition | None:
    """A list naming each fitting treatment with its cited table cell, or None without a table.

    ``named``: the treatments it compares, in the question's order (``QuestionRules.compares_only``);
    ``past``: those it names to look beyond (``QuestionRules.looks_past``), whose rows are left out;
    ``said_before``: the patient's previous message, whose concepts ruled out count when the question names none ("I'd
    rather avoid tablets for my back spasms if I can" → "so what are my options": the drug-free rows)."""
    ranking = question_rules.ranking(question)
    rows = _candidates(cells, vectors, query_vector, ranking.column if ranking else None, named, past)
    scored = _scored_cells(query_vector, query_tokens, cells, vectors, rows, tuning, heads)
    if not scored:
        return None
    if ranking is not None:
        chosen = _ranked_by_level(question_rules, ranking.column, ranking.descending, scored)[: tuning.cross_max_rows]
        chosen = _with_cells_saying(chosen, ranking, cells, vectors)
    else:
        # what the previous message ruled out, not every concept it said ("but my sister says see a physical therapist"
        # named no wish for a professional: answers_dev33 read both rows' therapist visits)
        asked = question_rules.polarity(question) or {c: True for c, negated in question_rules.polarity(said_before).items() if negated}
        if any(asked.values()):  # "zero side effects? I'm on a bunch of meds": what it rules out is what it asks
            asked = {concept: True for concept, negated in asked.items() if negated}
        best_per_treatment: dict[str, Scored] = {}
        agreeing_per_treatment: dict[str, Scored] = {}  # each treatment's best cell saying what was asked ("no meds")
        for item in _with_polarity(question_rules, asked, scored):
            best_per_treatment.setdefault(item.sentence.treatment, item)
            if _agrees(question_rules, asked, item):
                agreeing_per_treatment.setdefault(item.sentence.treatment, item)
        ranked = sorted(best_per_treatment.values(), key=lambda s: -s.score)
        if ranked[0].score < tuning.min_score:
            return None
        agreeing = sorted(agreeing_per_treatment.values(), key=lambda s: -s.score)
        if agreeing:  # "no medication": every treatment whose cell says so, even where another of its cells is closer
            chosen = agreeing[: tuning.cross_max_rows]
        else:
            chosen = [s for s in ranked if s.score >= ranked[0].score - tuning.keep_within][: tuning.cross_max_rows]
            chosen = chosen if len(chosen) >= 2 else ranked[:2]
            column_ask = question_rules.column_ask(question)
            if column_ask is not None and not named:  # "whats the fastest way to stop a back spasm": "immediate relief" first
                chosen = _saying_first(chosen, column_ask.says, cells)
            if named:  # "massage or a chiropractor?": those two, in the question's order (rows of others after)
                chosen = sorted(ranked, key=lambda s: named.index(s.sentence.treatment) if s.sentence.treatment in named else len(named))
                chosen = chosen[: tuning.cross_max_rows]
                compared = [s.sentence.treatment for s in chosen if s.sentence.treatment in named]
                if len(compared) >= 2:  # both sides from the same column
                    asked_columns = column_ask.columns if column_ask else frozenset()
                    shared = _shared_column(scored, compared, asked_columns or question_rules.choice_columns)
                    if shared and not asked_columns:  # a choice that asked of no column: a second choice column beside it
                        shared += _next_choice_column(
                            query_vector, query_tokens, cells, vectors, tuning, shared, question_rules.choice_columns, heads
                        )
                    chosen = _saying_first(shared, column_ask.says if column_ask else None, cells) if shared else chosen
    if not chosen:
        return None
    lines, citations = cite(chosen, chunks, cell_reading=question_rules.cell_reading)
    treatments = tuple(s.sentence.treatment for s in chosen)
    return Composition(_listed(lines), citations, chosen[0].score, treatments, kind="cross", passages=quoted_passages(chosen))


def _cells_of(
    query_vector: np.ndarray, query_tokens: tuple[set[str], set[str]], cells: Sequence[Sentence], vectors: np.ndarray,
    tuning: ComposerTuning, treatments: Sequence[str], columns: Collection[str], compared: Sequence[str] = (),
    choice_columns: Collection[str] = (), heads: Mapping[str, float] | None = None,
) -> list[tuple[str, Scored, bool]]:
    """For each of ``treatments`` with a row, its cell closest to the question (of ``columns`` when asked), and
    whether the question asked of that column. The two sides of a choice (``compared``) are read in one column
    (of ``choice_columns`` when the question asked of none): "massage or chiro?" sets their uses side by side."""
    rows = [i for i, c in enumerate(cells) if c.treatment in treatments]
    if not rows:
        return []
    scored = _scored_cells(query_vector, query_tokens, cells, vectors, rows, tuning, heads)
    found: dict[str, Scored] = {}
    sides = [t for t in dict.fromkeys(compared) if t in treatments]
    if len(sides) >= 2:
        found = {s.sentence.treatment: s for s in _shared_column(scored, sides, columns or choice_columns)}
    for treatment in treatments:
        row = [s for s in scored if s.sentence.treatment == treatment]
        asked = [s for s in row if s.sentence.label.lower() in columns]
        if row and treatment not in found:
            found[treatment] = (asked or row)[0]
    return [(t, found[t], found[t].sentence.label.lower() in columns) for t in treatments if t in found]


def _next_choice_column(
    query_vector: np.ndarray, query_tokens: tuple[set[str], set[str]], cells: Sequence[Sentence], vectors: np.ndarray,
    tuning: ComposerTuning, sides: Sequence[Scored], choice_columns: Collection[str], heads: Mapping[str, float] | None = None,
) -> list[Scored]:
    """The sides' cells of the closest other choice column (what each suits, then what it achieves or gives): a choice
    asked of no column is answered by more than one of the row's words. [] when no other choice column has them all."""
    shown = {s.sentence.label.lower() for s in sides}
    treatments = [s.sentence.treatment for s in sides]
    rest = {c for c in choice_columns if c not in shown}
    rows = [i for i, c in enumerate(cells) if c.treatment in treatments and c.label.lower() in rest]
    if not rows:
        return []
    return _shared_column(_scored_cells(query_vector, query_tokens, cells, vectors, rows, tuning, heads), treatments, rest)




def _lines_before(composition: Composition, lines: str, citations: Sequence[Citation], passages: Sequence[str]) -> Composition:
    """``composition`` (a prose answer) after ``lines`` (a table's cited lines and their ``citations``), its markers
    renumbered to follow theirs."""
    shift = len(citations)
    body = CITATION_MARKER.sub(lambda m: f"[{int(m.group(1)) + shift}]", composition.markdown)
    moved = [replace(c, n=c.n + shift) for c in composition.citations]
    return replace(
        composition, markdown=f"{lines}\n\n{body}", citations=[*citations, *moved],
        passages=tuple(dict.fromkeys([*passages, *composition.passages])),
    )


def _led_by_cells(composition: Composition, sides: Sequence[Scored], chunks: dict[str, Chunk], cell_reading: CellReading) -> Composition:
    """Cells as the answer's first lines, the rest renumbered after them: a choice's two sides in one column
    ("expected outcomes: Long-term symptom relief and prevention" beside "Temporary muscle tension relief"), the
    part that says which one does what was asked; or the cells a question asks for outright (what it costs, how
    many visits it takes), which only the table says."""
    lines, citations = cite(list(sides), chunks, cell_reading=cell_reading)
    return _lines_before(composition, _listed(lines), citations, [s.sentence.chunk_id for s in sides])


def _listed(lines: Sequence[str]) -> str:
    """Cells' cited lines as a list, or one cell alone as a sentence (a one-item list reads as a fragment)."""
    return lines[0] if len(lines) == 1 else "\n".join(f"- {line}" for line in lines)


def table_then_prose(table: Composition, prose: Composition | None, tuning: ComposerTuning) -> Composition:
    """The table's lines, followed by the best ``cross_prose`` sentences the prose composer found for the same question
    when it is sure enough of them (``cross_prose_min``): "which one do I take less often?" ranks rows, and the
    guide's sentence with the doses says how often."""
    if tuning.cross_prose <= 0 or prose is None or prose.kind != "answer" or prose.best_score < tuning.cross_prose_min:
        return table
    lead = first_claims(prose, tuning.cross_prose)
    # still the table's answer: its rows' treatments and its passages first (what it was composed from)
    joined = _lines_before(lead, table.markdown, table.citations, table.passages)
    return replace(joined, kind=table.kind, treatments=table.treatments, best_score=table.best_score, opening=None)


def with_table_row(
    composition: Composition,
    query_vector: np.ndarray,
    query_tokens: tuple[set[str], set[str]],
    cells: Sequence[Sentence],
    vectors: np.ndarray,
    chunks: dict[str, Chunk],
    tuning: ComposerTuning,
    named: Sequence[str] = (),
    columns: Collection[str] = (),
    compared: Sequence[str] = (),
    choice_columns: Collection[str] = (),
    heads: Mapping[str, float] | None = None,
    says: re.Pattern[str] | None = None,
    cells_lead: bool = False,
    cell_reading: CellReading = CellReading(),
) -> Composition:
    """A prose answer, followed by the table cell closest to the question of its lead treatment, and of each other
    treatment the question ``named`` when it named more than one (or any, when the lead has no row: an answer opened
    by the closing plan), when that cell is close enough.

    The table says in a few words what the prose spreads over a section, or never says
    ("costly if frequent", "multiple sessions likely", "unresponsive to NSAIDs"): "is massage
    going to get pricey?" is answered by massage's paragraphs and the resources cell of its row;
    "massage or chiro for a back that keeps seizing up?" by the prose and each one's "ideal use" cell.
    Each cell is a line of its own after the prose, cited like any quote; below ``table_row_min``
    (tuned on the answers development sets) nothing is added. When the question asks of some ``columns``
    (``QuestionRules.asked_columns``: "which works better?" asks what each achieves), the cell is the closest of
    those columns and needs only ``min_score``: the question asked for it, however it is worded. The two sides
    of a choice (``compared``: ``QuestionRules.sides``) are read in the same column (``_cells_of``). A row's other
    cells that say outright what the question asks (``says``, of the column entry it matched: "prescription needed"
    for "can I buy muscle relaxers over the counter?") follow its cell. Where the entry says the cells lead
    (``cells_lead``: what a treatment costs, how many visits it takes: the table says it, the prose never does), the
    asked cells open the answer instead.
    """
    if composition.kind != "answer" or not composition.treatments:
        return composition
    treatments = [composition.treatments[0]]
    lead_has_row = any(c.treatment == treatments[0] for c in cells)
    treatments += [t for t in compared if t not in treatments]  # "a hot pack or booking in with a physio?": both sides first
    if len(set(named)) > 1 or not lead_has_row:  # "is physio a big time commitment?" opened from the closing plan: physio's row
        treatments += [t for t in dict.fromkeys(named) if t not in treatments]
    treatments = treatments[: 1 + tuning.table_rows_named]
    found = _cells_of(query_vector, query_tokens, cells, vectors, tuning, treatments, columns, compared, choice_columns, heads)
    close = {t for t, best, was_asked in found if best.score >= (tuning.min_score if was_asked else tuning.table_row_min)}
    if close & set(compared):  # one side of a choice is close enough: the other is read beside it
        close |= set(compared)
    sides = [best for t, best, _ in found if t in compared and t in close]
    led = tuning.choice_cells_first and len(sides) >= 2
    if led:  # "physio or massage for a long-term fix?": the two cells lead
        sides = _saying_first(sides, says, cells)
        if not columns:  # a choice that asked of no column: a second choice column beside the first
            sides = [*sides, *_next_choice_column(query_vector, query_tokens, cells, vectors, tuning, sides, choice_columns, heads)]
        composition = _led_by_cells(composition, sides, chunks, cell_reading)
    leading: list[Scored] = []
    for treatment, best, was_asked in found:
        if treatment not in close:
            continue
        shown = [] if led and treatment in compared else [best]
        if says is not None:
            shown += _row_cells_saying(best, says, cells, vectors, best.sentence.label.lower())  # a row has one cell a column
        if cells_lead and was_asked:  # "what will massage set me back?": its resource requirements, "Moderate to High (costly if frequent)"
            leading += shown
            continue
        for item in shown:
            [line], [citation] = cite([item], chunks, cell_reading=cell_reading)
            n = len(composition.citations) + 1
            line = line.removesuffix(" [1]") + f" [{n}]"
            composition = replace(
                composition, markdown=f"{composition.markdown}\n\n{line}", citations=[*composition.citations, replace(citation, n=n)],
                passages=tuple(dict.fromkeys([*composition.passages, item.sentence.chunk_id])),
            )
    if leading:
        composition = _led_by_cells(composition, leading, chunks, cell_reading)
    return composition
