"""Parsing the guide's structure, and other sources' headings (no model needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.sources import SourceError, read_source
from ingest.structure import StructureRules, parse_structure
from tests.conftest import GUIDE

TREATMENTS = ["rest", "heat-cold", "nsaids", "muscle-relaxants", "physical-therapy", "massage", "chiropractic"]


@pytest.fixture(scope="module")
def guide():
    doc = read_source(GUIDE)
    return doc, parse_structure(doc)


def test_seven_treatments_and_the_other_parts_in_order(guide):
    _, blocks = guide
    order = list(dict.fromkeys(b.treatment for b in blocks))
    assert order == ["overview", *TREATMENTS, "integrated-plan", "clinic"]


def test_every_block_is_a_verbatim_span(guide):
    doc, blocks = guide
    for block in blocks:
        text = doc.text[block.start : block.end]
        assert text == text.strip() and text
        for cell in block.cells:
            assert block.start <= cell.start < cell.end <= block.end


def test_each_table_row_belongs_to_its_treatment_with_named_columns(guide):
    doc, blocks = guide
    rows = [b for b in blocks if b.kind == "table_row"]
    assert [r.treatment for r in rows] == TREATMENTS
    columns = ["Implementation complexity", "Resource requirements", "Expected outcomes", "Ideal use cases", "Key advantages"]
    for row in rows:
        assert [c.column for c in row.cells] == columns
    rest = rows[0]
    cells = {c.column: doc.text[c.start : c.end] for c in rest.cells}
    assert "no equipment or meds needed" in cells["Resource requirements"]
    assert cells["Ideal use cases"] == "Mild to moderate spasms, early recovery phase"
    assert cells["Key advantages"].startswith("Natural, accessible, no side effects")
    chiro = {c.column: doc.text[c.start : c.end] for c in rows[-1].cells}
    assert chiro["Key advantages"].startswith("Drug-free")  # "&" in the row's name still maps to chiropractic


def test_placeholders_and_footer_are_not_content(guide):
    doc, blocks = guide
    content = "\n".join(doc.text[b.start : b.end] for b in blocks)
    for noise in ("thumbnail 7", "Infographic showing", "The following infographic", "The following video", "Leave a Comment", "email address will not be published"):
        assert noise not in content
    # ...while the words right after a placeholder are kept
    assert "This visual timeline emphasizes" in content


def test_section_paths_follow_subheadings(guide):
    _, blocks = guide
    sections = {" › ".join(b.section) for b in blocks if b.treatment == "heat-cold"}
    assert "Heat and Cold Therapy › Implementing a Balanced Approach › Practical Examples" in sections
    assert "Heat and Cold Therapy › The Problem with a One-Size-Fits-All Approach" in sections
    # a lead-in sentence ending in a colon is not a heading
    assert not any("dual benefit" in s for b in blocks for s in b.section)


def test_closing_part_and_clinic_call_to_action(guide):
    doc, blocks = guide
    plan = [b for b in blocks if b.treatment == "integrated-plan"]
    assert plan[0].section[0].startswith("Your Path to a Spasm-Free Back")
    clinic = [b for b in blocks if b.treatment == "clinic"]
    assert len(clinic) == 1 and "Schedule a consultation" in doc.text[clinic[0].start : clinic[0].end]


def test_markdown_headings_give_ids_to_a_new_source(tmp_path: Path):
    page = tmp_path / "acupuncture.md"
    page.write_text(
        "# Acupuncture for Back Pain\n\nAn intro paragraph.\n\n## How It Works\n\nThin needles are placed.\n\n"
        "## Cupping\n\n### What to Expect\n\n- Cups are warmed.\n- Marks fade in days.\n",
        encoding="utf-8",
    )
    blocks = parse_structure(read_source(page))
    assert [b.treatment for b in blocks] == ["acupuncture-for-back-pain", "how-it-works", "cupping", "cupping"]
    assert blocks[-1].section == ("Cupping", "What to Expect")
    assert blocks[-1].kind == "bullet"


def test_html_source_uses_its_headings_and_visible_text(tmp_path: Path):
    page = tmp_path / "inflammation.html"
    page.write_text(
        "<html><head><title>x</title><style>p{color:red}</style></head><body><nav>Home | About</nav>"
        "<h1>Reducing Inflammation</h1><p>Food &amp; rest <b>both</b> matter.</p>"
        "<h2>Turmeric</h2><p>Some people take it.</p><script>alert(1)</script></body></html>",
        encoding="utf-8",
    )
    doc = read_source(page)
    blocks = parse_structure(doc)
    texts = [doc.text[b.start : b.end] for b in blocks]
    assert texts == ["Food & rest both matter.", "Some people take it."]
    assert [b.treatment for b in blocks] == ["reducing-inflammation", "turmeric"]
    assert "alert" not in doc.text and "Home | About" not in doc.text


def test_unstructured_text_still_becomes_paragraphs(tmp_path: Path):
    page = tmp_path / "notes.txt"
    page.write_text("just some notes about stretching. more notes here.\n\nanother paragraph of notes.\n", encoding="utf-8")
    blocks = parse_structure(read_source(page))
    assert len(blocks) == 2 and {b.treatment for b in blocks} == {"notes"}


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"   \n\n", "empty"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("latin1.txt", "caf\xe9 au lait".encode("latin-1"), "UTF-8"),
        ("nothing.html", b"<html><body><script>x()</script></body></html>", "no visible text"),
        ("slides.pdf", b"%PDF-1.4", "unsupported"),
    ],
)
def test_unusable_sources_get_one_clear_line(tmp_path: Path, name: str, content: bytes, problem: str):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError) as error:
        read_source(path)
    message = str(error.value)
    assert name in message and problem in message and "\n" not in message


def test_missing_source(tmp_path: Path):
    with pytest.raises(SourceError, match=re.escape(f"{tmp_path / 'gone.txt'}: file not found")):
        read_source(tmp_path / "gone.txt")


def test_structure_rules_errors_are_clear(tmp_path: Path):
    bad = tmp_path / "structure.toml"
    bad.write_text("[[treatment]]\nid = 'x'\n", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"{bad}:1: [[treatment]] name: missing")):
        StructureRules.load(bad)
