"""The learned label-limit head (``answering.label_limit``): what it learns from, how it is scored, and the shipped model.

No model call: the head is read from its data files. Its effect on whole replies
is checked through ``/api/ask`` in ``tests/integration/test_medicines.py`` and
measured by ``python -m eval.heldout medication``.
"""

from __future__ import annotations

import subprocess
import sys

from answering.label_limit import LABEL, LearnedLabelLimit, dev_figures, training_examples
from settings import PROJECT_ROOT


def test_only_questions_that_say_either_way_teach_the_head():
    rows = [
        {"message": "can I take it every 2 hours?", "expect": "label_limit"},
        {"message": "how much ibuprofen?", "expect": "dose_ok"},
        {"message": "I'm pregnant, how much advil?", "expect": "caution_no_dose"},  # answered by its caution, whatever it asks
        {"message": "took 10 advil", "expect": "poison_control"},  # triage's
        {"question": "is heat or ice better?", "history": []},
        {"question": "how long each time?", "history": [{"role": "user", "content": "heat?"}]},  # leans on its conversation
    ]
    assert training_examples(rows) == [("can I take it every 2 hours?", True), ("how much ibuprofen?", False), ("is heat or ice better?", False)]


def test_dev_figures_count_recall_on_limit_lines_and_false_alarms_on_plain_ones():
    rows = [
        {"message": "every hour?", "expect": "label_limit"}, {"message": "max a day?", "expect": "label_limit"},
        {"message": "how much?", "expect": "dose_ok"}, {"message": "gel in pregnancy?", "expect": "non_medicine"},
        {"message": "pregnant, how much?", "expect": "caution_no_dose"},
    ]  # fmt: skip
    asks = {"every hour?", "gel in pregnancy?", "pregnant, how much?"}.__contains__
    assert dev_figures(asks, rows) == {"recall": 0.5, "false_alarms": 0.5}


def test_the_shipped_label_limit_head_matches_its_training_data():
    done = subprocess.run([sys.executable, "-m", "answering.label_limit", "check"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    model = LearnedLabelLimit.load()
    assert model.ids == (LABEL,) and model.dimension == 384 and 0.0 < model.threshold < 1.0
