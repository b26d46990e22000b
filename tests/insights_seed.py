"""Seeded insights for the tests and the README's screenshot: a month of plausible events, written through the real store.

The events are built by ``insights.events`` from ``contracts.Answer`` objects,
exactly as the web front builds them, at chosen hours; nothing here is a
patient's message (the stored questions are invented, and redacted on the way in).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from contracts import Answer, Citation, Part, PartKind, ReplyKind, RetrievedPassage, Tier
from insights.db import Database
from insights.events import ReplyEvent, VoteEvent, refused_event, reply_event, vote_event
from insights.store import write_events
from settings import PrivacySettings

TREATMENTS = {
    "heat-cold": "Heat and Cold Therapy › Practical Examples",
    "rest": "Rest and Activity Modification › Finding the Balance",
    "nsaids": "NSAIDs › Common Options",
    "massage": "Massage Therapy › What to Expect",
    "physical-therapy": "Physical Therapy › Stretches",
    "muscle-relaxants": "Muscle Relaxants › Cautions",
    "chiropractic": "Chiropractic Care › Adjustments",
}
WEIGHTS = {"heat-cold": 9, "rest": 6, "nsaids": 5, "massage": 4, "physical-therapy": 4, "muscle-relaxants": 3, "chiropractic": 2}
UNANSWERED = [
    ("decline", "Can you help with my tax return? My name is Ann Lee", None),
    ("no_answer", "Is acupuncture covered by my insurance? call me on 555-201-7788", "clinic"),
    ("no_answer", "How long until I can run a marathon again?", "physical-therapy"),
    ("decline", "what's a good diet for weight loss", None),
    ("no_answer", "can I use a TENS machine with a heat pad?", "heat-cold"),
]
REASONS = ("unanswered", "wrong", "hard_to_read")  # the thumbs-down chips (clinic.feedback.REASONS)
INTENTS = ("general", "general", "general", "amount", "duration", "timing", "kind", "comparison")
SIGNS = {
    Tier.EMERGENCY: "trouble peeing, or losing control of the bladder or bowels",
    Tier.CRISIS: "thoughts of suicide or self-harm",
    Tier.URGENT: "a fever with back pain",
}


def answer(kind: ReplyKind, triage: Tier = Tier.NONE, treatment: str | None = None, text: str = "", intent: str | None = None) -> Answer:
    """A reply of ``kind``; an answer cites ``treatment``'s section."""
    citations = [Citation(1, "guide.txt", treatment, TREATMENTS[treatment], "A quote.", 0, 8)] if treatment and kind is ReplyKind.ANSWER else []
    retrieved = [RetrievedPassage("c1", treatment, TREATMENTS.get(treatment, ""), 0.7)] if treatment else []
    parts = [Part(PartKind.ANSWER, text or f"{kind} about {treatment} [1]"), Part(PartKind.REFERRAL, "When to get help…")]
    signs = [SIGNS[triage]] if triage in SIGNS else []
    return Answer(parts, citations, triage, kind is ReplyKind.DECLINE, {"total": 20.0}, signs, retrieved, kind, intent=intent)


def seed(db: Database, days: int = 30, end: datetime | None = None, privacy: PrivacySettings | None = None, seed: int = 15) -> dict[str, int]:
    """Write ``days`` days of events ending at ``end`` (default now); returns how many of each were written."""
    rng = random.Random(seed)
    privacy = privacy or PrivacySettings(store_questions=True)
    end = end or datetime.now(UTC)
    events: list[ReplyEvent | VoteEvent] = []
    counts = {"replies": 0, "votes": 0, "down": 0}
    treatments = list(WEIGHTS)
    for back in range(days - 1, -1, -1):
        day = end - timedelta(days=back)
        for _ in range(rng.randint(6, 22) + (8 if day.weekday() == 0 else 0)):
            hour = rng.randint(7, 21)
            when = day.replace(hour=min(hour, end.hour) if back == 0 else hour)  # nothing in the future
            roll = rng.random()
            treatment = rng.choices(treatments, [WEIGHTS[t] for t in treatments])[0]
            if roll < 0.03:
                reply, message = answer(ReplyKind.EMERGENCY, Tier.EMERGENCY), "(emergency)"
            elif roll < 0.04:
                reply, message = answer(ReplyKind.CRISIS, Tier.CRISIS), "(crisis)"
            elif roll < 0.10:
                reply, message = answer(ReplyKind.ANSWER, Tier.URGENT, treatment, intent=rng.choice(INTENTS)), "(urgent)"
            elif roll < 0.18:
                kind, message, topic = rng.choice(UNANSWERED)
                reply = answer(ReplyKind(kind), Tier.NONE, topic, intent=rng.choice(INTENTS))
            elif roll < 0.22:
                reply, message = answer(ReplyKind.GREETING), "hello"
            else:
                reply, message = answer(ReplyKind.ANSWER, Tier.NONE, treatment, intent=rng.choice(INTENTS)), "(question)"
            events.append(reply_event(reply, message, rng.choice(("api", "chat")), rng.uniform(15, 90), privacy, when))
            counts["replies"] += 1
            if reply.kind is ReplyKind.ANSWER and rng.random() < 0.25:
                down = rng.random() < 0.3
                reason = rng.choice([*REASONS, "too long for me to read, email me at a@b.example"]) if down else None
                events.append(vote_event("down" if down else "up", reason, message, reply.text, "chat", privacy, REASONS, when))
                counts["votes"] += 1
                counts["down"] += down
        if back % 10 == 3:
            events.append(refused_event("none", "en", "x" * 3000, "api", 1.0, privacy, day))
            counts["replies"] += 1
    write_events(db, events)
    return counts
