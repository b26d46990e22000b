"""What a red flag makes the reply say: the sign-specific texts of ``prompts/<lang>/``, most severe first.

Each sign names the text it needs (``text`` in ``red_flags.toml``): the nerve,
heart, aorta, injury or overdose emergency, the crisis line, or a see-a-doctor
text. A reply shows each needed text once, filled with the plain words of the
signs that asked for it, emergencies before the crisis line before urgent
texts; an emergency or crisis reply shows no urgent text (nothing should
distract from the call). When the symptoms are someone else's, the first text
says what to do for them.
"""

from __future__ import annotations

from contracts import Part, PartKind, Tier
from rules.prompts import Prompts
from safety.triage import TriageResult

_PART = {Tier.EMERGENCY: PartKind.EMERGENCY, Tier.CRISIS: PartKind.CRISIS, Tier.URGENT: PartKind.URGENT}
# Within a tier, these texts go first: a plan or the means ("I don't want to go on. I've been saving up my pills")
# needs the emergency number before the crisis line's gentler words.
_FIRST_IN_TIER = ("crisis_plan",)


def notice_parts(triage: TriageResult, prompts: Prompts) -> list[Part]:
    """The safety texts this conversation needs, as reply parts ([] when it has no red flag)."""
    shown = [Tier.EMERGENCY, Tier.CRISIS] if triage.tier.replaces_answer else [Tier.URGENT]
    parts: list[Part] = []
    for tier in shown:
        signs = [s for s in triage.signs if s.tier is tier]
        texts = sorted(dict.fromkeys(s.text for s in signs), key=lambda text: text not in _FIRST_IN_TIER)  # stable: else as found
        for text in texts:
            labels = ", ".join(dict.fromkeys(s.label for s in signs if s.text == text))
            parts.append(prompts.part(_PART[tier], text, signs=labels))
    if parts and any(s.other_person for s in triage.signs if s.tier in shown):
        first = parts[0]
        parts[0] = Part(first.kind, f"{first.markdown}\n\n{prompts.render('someone_else')}", first.prompt)
    return parts
