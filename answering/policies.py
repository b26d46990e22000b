"""The answering policy, one named step per decision, run in order until one replies.

Each step reads the :class:`~answering.turn.Turn` and either replies (the
pipeline stops there) or returns ``None`` (the next step decides). Texts come
from ``turn.texts``: the clinic's prompts in the reply's language. The order is
the policy, written once in :func:`policy_steps`:

1. ``safety``: the triage tier's policy. Emergency and crisis replace the answer
   with their text; urgent leads whatever follows.
2. ``language``: a message in another enabled language gets one line in that
   language saying the assistant answers in English (after any safety text).
3. ``empty``, ``injection``, ``greeting`` (greetings, thanks and goodbyes): fixed texts from ``prompts/``.
   ``clinic``: questions about the clinic itself, from its settings.
4. ``medication``: who is asking (a risk withholds the dose), medicines the guide
   does not cover, maximums and label limits, doses the guide does not give.
5. ``not_in_guide``: a near-topic subject the guide does not cover (a scan, a foam
   roller): said plainly, then the closest thing it does say, marked as such.
6. ``scope``: other subjects, and questions the guide has no words for
   (a follow-up on an earlier topic is always in scope).
   ``learned_scope``: what those rules let through, read by a learned layer from the
   query embedding (a clinic question, a complaint, a question the guide is silent on).
7. ``compose``: a cited answer from the guide's own sentences, or "no answer".

A new capability is a new step in that list, not another branch in a method.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from answering.answerability import Answerability
from answering.compose import Composition
from answering.finder import PassageFinder
from answering.followup import Focus
from answering.label_limit import LearnedLabelLimit
from answering.medicines import MedicineMention, MedicineNames
from answering.scope import ScopeRules, amounts_in
from answering.turn import Reply, Turn
from contracts import Citation, Part, PartKind, ReplyKind, Sentence, guide_link
from index.text import tokenize
from rules.locale import DEFAULT_LANGUAGE
from rules.patterns import Text, compile_words
from safety.medication import MedicationRisks, RiskMatch
from safety.notices import notice_parts
from settings import ClinicSettings, RetrievalSettings, Settings


class PolicyStep(Protocol):
    """One decision of the pipeline: a reply, or ``None`` to let the next step decide."""

    name: str

    def __call__(self, turn: Turn) -> Reply | None: ...


@dataclass
class SafetyStep:
    """The tier's policy: its texts replace the answer (emergency, crisis) or lead it (urgent)."""

    name: str = "safety"

    def __call__(self, turn: Turn) -> Reply | None:
        tier = turn.triage.tier
        parts = notice_parts(turn.triage, turn.texts)
        if tier.replaces_answer:
            return Reply(ReplyKind(tier.value), parts)
        turn.lead.extend(parts)
        return None


@dataclass
class LanguageStep:
    """Another enabled language: answers are quoted from an English guide, so say so, in that language."""

    name: str = "language"

    def __call__(self, turn: Turn) -> Reply | None:
        if turn.texts.language == DEFAULT_LANGUAGE:
            return None
        return turn.reply(ReplyKind.LANGUAGE, turn.texts.part(PartKind.NOTICE, "language_notice"))


@dataclass
class EmptyStep:
    name: str = "empty"

    def __call__(self, turn: Turn) -> Reply | None:
        return None if turn.text else turn.reply(ReplyKind.EMPTY, turn.texts.part(PartKind.EMPTY, "empty_input"))


def _decline(turn: Turn) -> Reply:
    return turn.reply(ReplyKind.DECLINE, turn.texts.part(PartKind.DECLINE, "out_of_scope"), out_of_scope=True)


@dataclass
class InjectionStep:
    """Attempts to re-instruct the assistant, or requests for other kinds of text, are declined."""

    scope: ScopeRules
    name: str = "injection"

    def __call__(self, turn: Turn) -> Reply | None:
        return _decline(turn) if self.scope.is_injection(turn.text) else None


@dataclass
class GreetingStep:
    """Greetings and thank-yous get a short reply, not the guide. The rules (``scope.toml``) read the usual words;
    the learned layer (``answering.answerability``, label ``closing``) reads a goodbye or a compliment in the
    patient's own words ("that's all for now, have a good one"), from the query vector triage already computed,
    and only in a message that leaves nothing open (no question, number, "but" or request)."""

    scope: ScopeRules
    model: Answerability | None = None
    finder: PassageFinder | None = None
    name: str = "greeting"

    def __call__(self, turn: Turn) -> Reply | None:
        social = self.scope.social(turn.text)  # "greeting" | "thanks" | None
        if social is None and self._learned_closing(turn.text):
            social = "thanks"
        if social is None:
            return None
        return turn.reply(ReplyKind.GREETING, turn.texts.part(PartKind.GREETING, social))

    def _learned_closing(self, text: str) -> bool:
        if self.model is None or self.finder is None or not self.scope.leaves_nothing_open(text):
            return False
        vector = self.finder.message_vector(text)
        return vector.shape[-1] == self.model.dimension and self.model.label(text, vector) == "closing"


@dataclass
class ClinicStep:
    """Questions about the clinic itself (opening hours, prices, booking): never the guide's sentences.

    Answered from ``config.toml`` ``[clinic]`` when the clinic has set the answer,
    else "please contact the clinic" with whatever contact it has set. Where the
    guide speaks to the topic too (``guide_answers``: a clinic page's "schedule a
    consultation"), the clinic's details lead and the guide's answer follows.
    """

    scope: ScopeRules
    clinic: ClinicSettings
    name: str = "clinic"

    def __call__(self, turn: Turn) -> Reply | None:
        entry = self.scope.logistics_topic(turn.text)
        if entry is None:
            return None
        value = getattr(self.clinic, entry.setting, "")
        if entry.setting == "booking_url" and value:
            value = f"[book an appointment]({value})"
        if value:
            part = turn.texts.part(PartKind.NOTICE, "clinic_info", topic=entry.topic, details=value)
        else:  # "please contact the clinic", then what the guide says, or nothing more
            prompt = "clinic_arrange" if entry.guide_answers else "clinic_contact"
            part = turn.texts.part(PartKind.NOTICE, prompt, topic=entry.topic, contact=self._contact())
        if entry.guide_answers:
            turn.lead.append(part)
            return None
        return turn.reply(ReplyKind.CLINIC, part, out_of_scope=True)

    def _contact(self) -> str:
        return clinic_contact(self.clinic)


def clinic_contact(clinic: ClinicSettings) -> str:
    """", on (555) 010-0199 or [online](https://...)": whatever the clinic has set."""
    ways = [w for w in (f"on {clinic.phone}" if clinic.phone else "",
                        f"[online]({clinic.booking_url})" if clinic.booking_url else "") if w]
    return (", " + " or ".join(ways)) if ways else ""


@dataclass
class MedicationStep:
    """Medicines, by who is asking: a dose is only ever the guide's own sentence, for a medicine the
    guide covers, to someone it is safe to show it to.

    In order: a risk said anywhere in the conversation (pregnancy, a child, a blood
    thinner ...; ``safety.medication``) for a medicine it applies to → its caution
    leads, no dose follows, and the guide's drug-free treatments may; a medicine the
    guide does not cover → "the guide doesn't cover X"; a maximum, a daily total or
    more than the label → "follow the packet" leads the guide's sentence; a dose the
    guide does not give → "the guide gives no dose" leads its answer when that names no
    amount, else the dose decline (as for an amount the patient names that the guide does not give).
    """

    scope: ScopeRules
    finder: PassageFinder
    medicines: MedicineNames
    risks: MedicationRisks
    limits: LearnedLabelLimit | None = None  # past-the-label questions the phrasings miss (answering.label_limit)
    name: str = "medication"
    # (medicine, treatment) -> whether the guide's section names it: read once, the index does not change under a step
    _named_in_section: dict[tuple[str, str], bool] = field(default_factory=dict, init=False, repr=False)
    # guide sentence id -> whether it names a medicine (for the drug-free answer): read once, as above
    _names_a_medicine: dict[str, bool] = field(default_factory=dict, init=False, repr=False)

    def __call__(self, turn: Turn) -> Reply | None:
        text = turn.text
        asks_dose = self.scope.asks_for_dose(text)
        # An amount of the patient's own is weighed against the guide's (``_no_dose_in_guide``: "900mg of methocarbamol?"
        # gets "the guide gives no dose" and none of a neighbour's amounts), and a medicine said in passing is not asked
        # about; else the learned head may add to the phrasings. Whether the medicine is said in
        # passing is read only where it decides something (most messages name no medicine at all), and once.
        background: bool | None = None
        asks_limit = said_limit = self.scope.asks_label_limit(text)
        if asks_limit and not asks_dose and self._limit_of_something_else(turn):
            asks_limit = False  # "spasm is easing. how do i get back to normal stuff, all at once?": the pace, not a packet
        elif not asks_limit and not amounts_in(text) and not self._about_another_treatment(turn) and self._learned_limit(text):
            background = self._medicine_is_background(text)
            asks_limit = not background
        if not (asks_dose or asks_limit):
            self._when_medicines_ruled_out(turn)
        named = self._medicines_asked_about(turn, asks_dose, asks_limit)
        classes = {m.class_id for m in named}
        if not classes:
            self._no_dose_unasked_at_risk(turn)
            return None
        said = self._risks_said(turn, [text, *turn.earlier])
        risks = [r for r in said if set(r.applies_to) & classes]
        asked = asked_about_the_guide(text, self.finder)  # "I'm trying CBD oil as well, but how do I use the heat pad?"
        in_question = named if asked is None else self.medicines.find(asked)  # each name once: read the question's own
        uncovered = [m for m in in_question if not m.covered and not m.context] + self._unnamed(in_question, said_limit, asked or text)
        names = _joined(list(dict.fromkeys(m.written for m in uncovered))) if uncovered else ""
        not_covered = turn.texts.part(PartKind.CAUTION, "not_covered", medicine=names) if uncovered else None
        if risks:
            # "on warfarin, can I take Tylenol instead of Advil?": the risk's caution first, then what the guide lacks
            own_question = not (asks_dose or asks_limit) and self._asks_past_the_medicines(turn)
            return self._cautions(turn, risks, [not_covered] if not_covered else [], own_question=own_question)
        if not_covered is not None:
            guide_treatments = set(turn.expansion.treatments) - self.scope.medication_treatments
            composition = turn.found.composition
            dose_nearby = composition is not None and bool(amounts_in(composition.markdown))  # another medicine's dose would mislead
            if not any(m.covered and m not in uncovered for m in named) and (not guide_treatments or dose_nearby):
                return turn.reply(ReplyKind.DECLINE, not_covered, out_of_scope=True)
            turn.lead.append(not_covered)  # "tylenol with my advil?", "gabapentin and heat?": say so, then the guide
        two_of = self._two_of_a_class(text)
        if (asks_limit or two_of) and classes & self.medicines.covered_classes():
            # two anti-inflammatories at once add up the same side effects: that caution, not only the packet's
            turn.lead.append(turn.texts.part(PartKind.CAUTION, f"label_limit_two_{two_of}" if two_of else "label_limit"))
            return None  # the guide's own sentence follows, with its citation: never a computed total
        if asks_dose and not self._guide_gives_dose(turn):
            return self._no_dose_in_guide(turn, named)
        if not (asks_dose or asks_limit) and (self._medicine_is_background(text) if background is None else background):
            self._past_the_medicines(turn, {m.treatment for m in named if m.treatment})
        self._no_dose_unasked_at_risk(turn, said)  # "im on warfarin ... what helps": the warfarin was the one named
        return None

    def _two_of_a_class(self, text: str) -> str:
        """The class (of ``ScopeRules.two_of_a_class``) of which the message names two medicines to take at once
        ("ibuprofen and naproxen together?", "voltaren gel on top of my advil?"), else ""."""
        if not self.scope.two_of_a_class or not self.scope.asks_together(text):
            return ""
        named = self.medicines.find(text)
        for class_id in self.scope.two_of_a_class:
            if len({m.medicine for m in named if m.class_id == class_id and m.medicine}) >= 2:
                return class_id
        return ""

    def _medicine_is_background(self, text: str) -> bool:
        """The medicine is said, and the question looks past it or names another treatment: "took a couple of
        advil already. what else can I do at home?", "on aleve for my back. should I rest for a bit?". Its
        section would answer a question nobody asked. A question about it in other words ("my doctor mentioned
        carisoprodol. how long would I be on it?") is not background."""
        rules = self.finder.question_rules
        asked, parts = rules.asked_clauses(text)
        if not asked or len(asked) >= parts:
            return False
        if any(self.medicines.find(q) or self.scope.is_about_medication(q, set()) for q in asked):
            return False
        question = " ".join(asked)
        if not self._told_besides(text, asked) and not self.finder.followups.asks_beyond(question):
            return False  # "and the other one? the aleve": all it says besides the question is the medicine's name
        if rules.refers_back is not None and any(rules.refers_back.search(q) for q in asked):
            return False  # "my relaxant has kicked in. should I do anything while it's working": it is the medicine
        other = set(self.finder.expansion_of(question).treatments) - self.scope.medication_treatments
        return rules.looks_past(question) or bool(other)

    def _past_the_medicines(self, turn: Turn, sections: set[str]) -> None:
        """The answer composed again from the passages found, without the sections of the medicines said in
        passing ("took some advil already, what else can I do?" is not answered by more advil), else at least
        without amounts."""
        composition = turn.found.composition
        if composition is None or not set(composition.treatments) & sections:
            return
        said = self._said_of_the_medicine(turn.text)
        others = self.finder.recompose(
            turn, lambda s: (s.treatment not in sections or bool(said & set(tokenize(s.text)))) and not amounts_in(s.text)
        )
        if others is not None:
            turn.found.composition = others
        else:
            self._without_amounts(turn)

    def _said_of_the_medicine(self, text: str) -> set[str]:
        """The words of what the patient says besides the question, without the medicines' names and the words most of
        the guide's passages hold (back, spasm, pain): "ibuprofen wrecks my stomach" says "wreck", "stomach". A sentence
        of the medicine's own section that shares one answers what was said of it ("If oral NSAIDs cause stomach upset,
        a topical diclofenac gel…") and stays when the answer looks past the medicine."""
        asked, _ = self.finder.question_rules.asked_clauses(text)
        return {word for word in self._told_besides(text, asked) if self.finder.retriever.bm25.idf(word) >= SAID_MIN_IDF}

    def _told_besides(self, text: str, asked: list[str]) -> set[str]:
        """The content words of ``text`` outside its questions (``asked``), without the medicines' names."""
        names = {word for m in self.medicines.find(text) for word in tokenize(m.written)}
        return set(tokenize(text)) - set(tokenize(" ".join(asked))) - names

    def _no_dose_unasked_at_risk(self, turn: Turn, said: Sequence[RiskMatch] | None = None) -> None:
        """The answer would quote a dose nobody asked for (the guide's ibuprofen range among what to do for a spasm right
        now) in a conversation that says a risk for that medicine ("my dad is 82, ... he won't budge, what do i do for
        him"; "im on warfarin and my back keeps spasming what helps", where the warfarin is the medicine named): the
        answer goes without the amounts, as a caution would have it had the medicine been asked about; the medicines
        note every answer ends with says whom to ask. The search runs here a step early (the scope step after would run
        it); the conversation's risks (``said``, when already read) are read only when the answer quotes an amount."""
        composition = turn.found.composition
        if composition is None or not amounts_in(composition.markdown):
            return
        quoted = {m.class_id for m in self.medicines.find(composition.markdown)}
        if said is None:
            said = self._risks_said(turn, [turn.message, *turn.earlier])
        if any(set(r.applies_to) & quoted for r in said):
            self._without_amounts(turn)

    def _risks_said(self, turn: Turn, messages: list[str]) -> tuple[RiskMatch, ...]:
        """The medicine risks the conversation says (``messages``: newest first), by the risk rules and their learned
        layer, and those triage's rules found in the patient's own words (each risk once)."""
        vectors = self.risks.vectors_for(messages, self.finder.embed_messages)  # triage embedded them: no new model call
        said = self.risks.assess_texts(messages, vectors)
        return said + tuple(r for r in self.risks.named_by_triage(turn.triage.signs, messages) if r.risk not in {m.risk for m in said})

    def _without_amounts(self, turn: Turn) -> None:
        """The answer composed again from the passages found without the sentences holding amounts, when it quotes one."""
        composition = turn.found.composition
        if composition is not None and amounts_in(composition.markdown):
            turn.found.composition = self.finder.recompose(turn, lambda s: not amounts_in(s.text)) or composition

    def _when_medicines_ruled_out(self, turn: Turn) -> None:
        """Medicines ruled out ("any natural way to ease it? I don't like taking tablets"): never a dose. When every
        kind of medicine the message names is ruled out too, or it names none ("I'd rather avoid tablets, what can I
        do?", "I don't want painkillers, any tips?"), the drug-free treatments only; "muscle relaxants without a
        prescription?" asks about the relaxants, "I don't like ibuprofen every day, is the gel ok?" about the gel, and
        "not bothering with the methocarbamol the doctor gave me" about the one medicine it names. A medicine named as
        background ("my dad's on Xarelto ... apart from tablets") is none of those asked about."""
        text = turn.text
        rules = self.finder.question_rules
        # a medicine taken as background ("my dad's on Xarelto") is not one asked about
        said = [m for m in self.medicines.find(text) if not m.context]
        negated = rules.polarity(text).get("medication", False)
        if any(m.medicine for m in said):
            ruled_out = False
        else:
            ruled_out = rules.negates_each(text, [m.written for m in said]) if said else negated
        if ruled_out:
            self._drug_free_only(turn)
        elif negated:
            self._without_amounts(turn)

    def _drug_free_only(self, turn: Turn) -> None:
        """The answer composed again without the medicines' sentences and table cells, but with those that speak against
        them ("drug-free", "no meds"), when the patient rules medicines out ("I'd rather avoid tablets, what can I do?"
        opened with Flexeril); else the comparison table's drug-free treatments. A comparison already orders first the
        rows its question asks for."""
        composition = turn.found.composition
        medicines = self.scope.medication_treatments
        if composition is None or composition.kind == "cross" or not set(composition.treatments) & medicines:
            self._without_amounts(turn)
            return
        kept = self._own_question_without_medicines(turn)
        turn.found.composition = kept or self.finder.drug_free_options(self.scope.drug_free_question) or composition

    def _without_medicines(self, sentence: Sentence) -> bool:
        """Whether a sentence of the guide speaks without medicines: of another treatment and naming none, or against
        them ("Drug-free, addresses joint dysfunction"); the closing plan's "...short-term use of an over-the-counter
        NSAID" names one."""
        if self.finder.question_rules.polarity(sentence.text).get("medication"):
            return True
        return sentence.treatment not in self.scope.medication_treatments and not self._sentence_names_a_medicine(sentence)

    def _sentence_names_a_medicine(self, sentence: Sentence) -> bool:
        """Whether a sentence of the guide names a medicine. The drug-free answer asks it of every passage ranked, and
        the names are read with their spelling corrected (17 ms over the guide's 230 sentences): once per sentence."""
        known = self._names_a_medicine.get(sentence.id)
        if known is None:
            known = self._names_a_medicine[sentence.id] = bool(self.medicines.find(sentence.text))
        return known

    def _about_another_treatment(self, turn: Turn) -> bool:
        """Whether the conversation is about a treatment other than medicines and names no medicine: the learned head
        reads only the message's wording, and "massage helps a bit" → "what else could i add if its not enough" asks
        past a massage, not past a packet (answers_dev23 led with "Follow the packet"). "how many can I give him? he's
        only 5" names nothing and stays the head's to read."""
        if not self._others_than_medicines(t for t in (turn.focus.treatment, *turn.expansion.treatments) if t):
            return False
        return self._no_medicine_in_view(turn)

    def _limit_of_something_else(self, turn: Turn) -> bool:
        """Limit words ("all at once", "the most") where nothing medicinal is in view: no message of the conversation
        names a medicine or speaks of one, and the passages found are of other treatments. "spasm is easing up. how do
        i get back to normal stuff, all at once?" asks the pace of getting back to normal (answers_dev21 had led it
        with "Follow the packet")."""
        composition = turn.found.composition
        quoted = set(composition.treatments) if composition is not None else set()
        if not quoted or quoted & self.scope.medication_treatments:
            return False
        return self._no_medicine_in_view(turn)

    def _no_medicine_in_view(self, turn: Turn) -> bool:
        """No message of the conversation names a medicine or speaks of one (pills, a dose)."""
        return not any(self.scope.is_about_medication(message, set()) or self.medicines.find(message) for message in (turn.text, *turn.earlier))

    def _learned_limit(self, text: str) -> bool:
        """The learned head's reading of the message's query vector (triage embedded it: no new model call)."""
        if self.limits is None or not text.strip():
            return False
        vector = self.finder.embed_messages([text])[0]
        return vector.shape[0] == self.limits.dimension and self.limits.asks(text, vector)

    def _medicines_asked_about(self, turn: Turn, asks_dose: bool, asks_limit: bool) -> list[MedicineMention]:
        """The medicines the message is about: named in it, else its treatment's, else the conversation's.

        "How much should I take?" after "I bought some motrin" is about motrin;
        "what can I take?" with nothing named is about every medicine the guide covers.
        A message that names another treatment ("the most effective massage", "the heat
        pad twice a day") is not about medicines, whatever its limit words.
        A medicine told as background only ("I'm on warfarin", ``MedicineMention.context``) is said beside the one
        asked about: "I'm on warfarin, what can I take?" is about what the guide offers, "eliquis 5mg" after "how much
        aleve can I take?" about the aleve, and the blood thinner's caution applies to both. Not when the question rules
        the medicines out ("my dad's on Xarelto, what can he do apart from tablets"): the drug-free answer needs no caution;
        nor when it names another treatment ("on prednisolone ... should I try a massage?"): the massage is asked about.
        """
        named = list(self.medicines.find(turn.text))
        if named and (not all(m.context for m in named) or self._asks_past_the_medicines(turn) or self._asks_another_treatment(turn)):
            return named
        return named + self._asked_besides_background(turn, asks_dose, asks_limit)

    def _others_than_medicines(self, treatments: Iterable[str]) -> set[str]:
        """The guide's treatments among ``treatments`` besides its medicines and the plan's combination words."""
        combination = self.finder.retriever.vocabulary.combination  # "at the same time", "daily": no treatment of its own
        return set(treatments) - self.scope.medication_treatments - {combination}

    def _asks_another_treatment(self, turn: Turn) -> bool:
        """Whether the message, or its question alone, names a treatment of the guide besides its medicines: "been on
        prednisolone tablets ... should I try a massage?" (the whole message reads as the plan's, its tablets and massage
        together; the question is the massage's)."""
        if self._others_than_medicines(turn.expansion.treatments):
            return True
        asked, _ = self.finder.question_rules.asked_clauses(turn.text)
        return bool(asked) and bool(self._others_than_medicines(self.finder.expansion_of(" ".join(asked)).treatments))

    def _asked_besides_background(self, turn: Turn, asks_dose: bool, asks_limit: bool) -> list[MedicineMention]:
        """The medicines a message is about when it names none, or only background ones (``_medicines_asked_about``)."""
        covered = self.scope.medication_treatments
        if treatments := set(turn.expansion.treatments) & covered:
            return self.medicines.of_treatments(treatments)
        if turn.focus.treatment in covered:
            return self.medicines.of_treatments([turn.focus.treatment])
        if self._others_than_medicines(turn.expansion.treatments):  # "how often can I use the heat pad in a day?"
            return []
        about_medicines = asks_dose or asks_limit or self.scope.is_about_medication(turn.text, set())
        followups = self.finder.followups
        # "so is it time to see someone?" after "heat, ice, ibuprofen, the lot" leans on nothing: not about the ibuprofen
        if not about_medicines and (not followups.leans_on_context(turn.text) or followups.asks_for_a_professional(turn.text)):
            return []
        for earlier in turn.earlier:
            if earlier_named := self.medicines.find(earlier):
                if treatment := next((m.treatment for m in earlier_named if m.treatment), None):
                    turn.lean_on(Focus(treatment, f"medicine named earlier: {earlier[:60]!r}"))
                return list(earlier_named)
        if not about_medicines:
            return []
        if (asks_dose or asks_limit) and not turn.earlier and not self.scope.mentions_topic(turn.text):
            # "whats the max i can take in a day": no medicine, no conversation and no word of the subject, yet a medicine
            # question; it is answered from the one section that gives amounts (the scope rules declined it as off-topic)
            dosed = [t for t in sorted(covered) if any(amounts_in(s) for s in self.finder.treatment_sentences(t))]
            if len(dosed) == 1:
                turn.lean_on(Focus(dosed[0], "a dose or a limit asked, no medicine named"))
        return self.medicines.of_treatments(covered)

    def _cautions(self, turn: Turn, risks: Sequence[RiskMatch], also: Sequence[Part] = (), own_question: bool = False) -> Reply | None:
        """Each risk's caution, first (then ``also``: "the guide doesn't cover Tylenol"); then what all of them allow
        (``after``): the guide's own answer when it holds no dose, else its drug-free treatments, or nothing (a pet).

        When the question asks no dose and rules the medicines out (``own_question``, ``_asks_past_the_medicines``), the
        guide's own answer to it without the medicines' sentences follows: "breastfeeding ... what can I do right now
        that's not tablets" gets the ice pack, where the table's drug-free cells had opened with chiropractic's
        "drug-free, addresses joint dysfunction" (medication_dev44 judged it 2). A question about a medicine ("can I
        take Advil? I'm pregnant") gets the table's drug-free treatments."""
        cautions = [*(turn.texts.part(PartKind.CAUTION, r.text) for r in risks), *also]
        after = {r.after for r in risks}
        if "nothing" in after:
            return turn.reply(ReplyKind.DECLINE, *cautions)
        if after == {"guide"}:
            composition = turn.found.composition
            if composition is not None and not amounts_in(composition.markdown):
                turn.lead.extend(cautions)
                return None  # the guide's answer follows ("muscle relaxants cause drowsiness ..."), with no dose in it
        options = (self._own_question_without_medicines(turn) if own_question else None) or self.finder.drug_free_options(
            self.scope.drug_free_question
        )
        if options is None:
            return turn.reply(ReplyKind.DECLINE, *cautions)
        parts = [
            *cautions,
            turn.texts.part(PartKind.NOTICE, "non_medicine_options"),
            Part(PartKind(options.kind), options.markdown),
            Part(PartKind.SOURCES, sources_markdown(options.citations, self.finder.settings.clinic.guide_url)),
        ]
        return Reply(ReplyKind.ANSWER, [*turn.lead, *parts], list(options.citations), passages=options.passages)

    def _asks_past_the_medicines(self, turn: Turn) -> bool:
        """Whether the question asks about something besides the medicines, having ruled them out: "breastfeeding ...
        what can I do right now that's not tablets", "had an ulcer so can't do anti-inflammatories. would a TENS machine
        or hot water bottle help?", "I'm 78 and don't like taking tablets. How should I sleep with this back spasm?". Not
        "is ibuprofen ok?", "what can I take?", "can I rub voltaren on my back im 12", nor "will they knock me out?" after
        relaxants were mentioned: those ask about a medicine, and the drug-free treatments answer them."""
        if turn.focus.treatment in self.scope.medication_treatments:
            return False
        text = turn.text
        rules = self.finder.question_rules
        if said := [m.written for m in self.medicines.find(text) if not m.context]:
            return rules.negates_each(text, said)
        return not self.scope.is_about_medication(text, set()) or bool(rules.polarity(text).get("medication"))

    def _own_question_without_medicines(self, turn: Turn) -> Composition | None:
        """The guide's answer to the patient's question, its medicines' sentences set aside (no new embedding); None for a
        question the comparison rows answer across treatments, which the table's drug-free cells answer as well."""
        composition = turn.found.composition
        if composition is None or composition.kind == "cross":
            return None
        return self.finder.recompose_past(turn, self._without_medicines)

    def _no_dose_in_guide(self, turn: Turn, named: Sequence[MedicineMention]) -> Reply | None:
        """No dose from the guide for what was asked: say so first, then the guide's own words on it.

        - The guide gives this medicine a dose, but the patient names another amount ("is 200mg enough or
          400?", "my 500mg prescription, once or twice a day?"): "the guide doesn't give that amount", then
          its own dose sentence, so the patient sees the guide's range beside their own number; an amount
          above every one the guide gives ("1200mg of ibuprofen?") gets "follow the packet" first instead.
        - The guide gives no dose for it (a muscle relaxant): its answer without any amount ("follow your
          doctor's instructions precisely", "two to three weeks"); when the passages found carry a neighbouring
          medicine's dose, the medicine's own section is composed again without the sentences holding amounts.
          Only for a medicine the guide names ("diazepam" is a muscle relaxant it never mentions: declined).
        - Nothing of the guide's left to quote: decline.
        """
        composition = turn.found.composition
        if composition is not None:
            quoted = amounts_in(composition.markdown)
            if not quoted:
                turn.lead.append(turn.texts.part(PartKind.CAUTION, "dose_not_in_guide"))
                return None
            asked = amounts_in(turn.text)
            if asked and self._guide_gives_dose(turn, check_named=False):
                guide_most = max(float(n) for n in quoted)
                over = any(float(n) > guide_most for n in asked)  # "1200mg at a time?": the packet's limit first
                turn.lead.append(turn.texts.part(PartKind.CAUTION, "label_limit" if over else "amount_not_in_guide"))
                return None
        sections = [t for t in dict.fromkeys(m.treatment for m in named if m.covered and self._guide_names(m)) if t]
        if len(sections) == 1 and (own := self.finder.compose_within(turn, sections[0], lambda s: not amounts_in(s.text))):
            turn.found.composition = own
            turn.lead.append(turn.texts.part(PartKind.CAUTION, "dose_not_in_guide"))
            return None
        caution = turn.texts.part(PartKind.CAUTION, "medication_caution")
        return turn.reply(ReplyKind.DECLINE, turn.texts.part(PartKind.DECLINE, "dose_decline"), caution, out_of_scope=True)

    def _unnamed(self, mentions: Sequence[MedicineMention], said_limit: bool, question: str) -> list[MedicineMention]:
        """Medicines of a kind the guide covers, by a name it never uses ("tizanidine", "Valium" are muscle relaxants
        it does not name), when the question names no medicine the guide does: what the guide says of the kind is
        not said of them. Not for "the most baclofen in a day?" in the phrasings' words (``said_limit``): the packet's
        limit answers that; the learned head's reading alone is too loose for it ("aspirin instead? how many?"). A name the guide
        uses beside them ("on valium for panic attacks, how often can I take robaxin?") is what is asked about, unless
        the question weighs one against the other ("tizanidine vs flexeril?", medication_dev36): both are asked about."""
        covered = [m for m in mentions if m.covered and not m.context]
        unnamed = [m for m in covered if not self._guide_names(m)]
        if said_limit or not unnamed or (len(unnamed) < len(covered) and not self._weighed(question, unnamed)):
            return []
        return unnamed

    def _weighed(self, question: str, mentions: Sequence[MedicineMention]) -> bool:
        """Whether the question sets one of ``mentions`` against another medicine ("X vs Y", "X or Y", "better than")."""
        sides = self.finder.question_rules.sides(question, lambda words: [m.written.lower() for m in self.medicines.find(words)])
        return sides is not None and any(m.written.lower() in sides for m in mentions)

    def _guide_names(self, mention: MedicineMention) -> bool:
        """The medicine itself (or, when only its kind is named, the kind) is in its section of the guide."""
        if mention.medicine is None or mention.treatment is None:
            return True
        key = (mention.medicine, mention.treatment)
        if key not in self._named_in_section:
            self._named_in_section[key] = bool(self._naming([mention.medicine], self.finder.treatment_sentences(mention.treatment)))
        return self._named_in_section[key]

    def _naming(self, medicines: Sequence[str], sentences: Sequence[str]) -> list[str]:
        """The sentences that name one of ``medicines`` by any of its names (generic, brand, misspelling)."""
        words = {w.lower() for m in medicines for w in self.medicines.words_of(m) or (m,)}
        return [s for s in sentences if any(w in s.lower() for w in words)]

    def _guide_gives_dose(self, turn: Turn, check_named: bool = True) -> bool:
        """True when the guide states a dose for the medicine asked about, and (``check_named``) any amount named is the guide's."""
        expansion = turn.found.search.expansion
        treatments = [t for t in expansion.treatments if t in self.scope.medication_treatments]
        if not treatments:
            return True  # "how much rest?" is not a medicine dose
        sentences = [s for t in treatments for s in self.finder.treatment_sentences(t)]
        named = [w.lower() for w in expansion.matched]
        about_drug = [s for s in sentences if any(w.rstrip("s") in s.lower() for w in named)]
        medicines = [m.medicine for m in self.medicines.find(turn.text) if m.medicine]
        if not medicines:
            about_drug = []  # only the kind is named ("which anti-inflammatory ..., how much?"): its section's doses answer
        elif not about_drug:
            # a medicine named by a brand the guide doesn't use ("Nurofen") is about the guide's sentences naming it
            # by another of its names ("Ibuprofen (Advil, Motrin)"); one the guide never names ("aspirin") has no dose
            # there, and must not get a neighbour's ("400-600mg" is ibuprofen's)
            about_drug = self._naming(medicines, sentences)
            if not about_drug:
                return False
        dosed = [s for s in (about_drug or sentences) if amounts_in(s)]
        if not dosed:
            return False
        guide_numbers = {n for s in dosed for n in amounts_in(s)}
        return not check_named or all(n in guide_numbers for n in amounts_in(turn.text))


# A word said of a medicine counts when at most a few of the guide's passages hold it (BM25 idf; "back" and "spasm"
# are 0.8 in this guide, "stomach" 3.2): a word nearly every passage holds says nothing of what the patient means.
SAID_MIN_IDF = 2.0


def _joined(names: Sequence[str]) -> str:
    """"Tylenol", "Tylenol and tramadol", "Tylenol, tramadol and gabapentin"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def decline_with_nearest(turn: Turn, said: Part, closest: Part | None, guide_url: str, finder: PassageFinder) -> Reply:
    """"The guide doesn't cover this", then (with ``closest``, the line that marks it as such) the
    closest thing it does say, cited, without its doses; or the plain statement alone when nothing
    close was found. A dose is never the nearest thing to a question the guide does not answer:
    "how many can I give him? he's only 5" must not get the adult dose."""
    composition = turn.found.composition if closest is not None else None
    if composition is not None and amounts_in(composition.markdown):
        composition = finder.recompose(turn, lambda s: not amounts_in(s.text))
    if composition is None or closest is None:
        return turn.reply(ReplyKind.DECLINE, said, out_of_scope=True)
    parts = [said, closest, Part(PartKind(composition.kind), composition.markdown),
             Part(PartKind.SOURCES, sources_markdown(composition.citations, guide_url))]
    return Reply(ReplyKind.DECLINE, [*turn.lead, *parts], list(composition.citations), out_of_scope=True, passages=_passages(composition))


def asked_about_the_guide(text: str, finder: PassageFinder) -> str | None:
    """The questions of a message that also says other things, when they name a treatment of the guide
    (plain text, joined); None otherwise. A subject named only outside them is background: "Back went
    during yoga. What ibuprofen dose?", "I'm trying CBD oil as well, but how do I use the heat pad?"."""
    asked, parts = finder.question_rules.asked_clauses(text)
    if asked and len(asked) < parts and finder.retriever.vocabulary.expand(" ".join(asked)).treatments:
        return " ".join(asked)
    return None


@dataclass
class NotInGuideStep:
    """A near-topic subject the loaded guide does not cover ("is a foam roller good?"): say so plainly,
    then the closest thing the guide does say, marked as such (or nothing, where it would mislead).

    The subjects are data (``[[not_in_guide]]`` in scope.toml); one counts only when the loaded
    guide lacks one of its words, so a guide that covers MRI scans answers them.
    """

    scope: ScopeRules
    finder: PassageFinder
    guide_url: str
    name: str = "not_in_guide"
    _active: list[tuple[re.Pattern[str], bool]] | None = field(default=None, repr=False)

    def __call__(self, turn: Turn) -> Reply | None:
        found = self._match(turn.text)
        if found is None:
            return None
        subject, nearest = found
        said = turn.texts.part(PartKind.DECLINE, "not_in_guide", subject=subject)
        closest = turn.texts.part(PartKind.NOTICE, "nearest_in_guide", subject=subject)
        return decline_with_nearest(turn, said, closest if nearest else None, self.guide_url, self.finder)

    def _match(self, text: str) -> tuple[str, bool] | None:
        """The first subject named (as the patient wrote it) in what is asked, and whether the nearest
        answer may follow. When the questions of a longer message name something the guide covers,
        only they count: "Back went during yoga. What ibuprofen dose?" asks about ibuprofen, not yoga
        (but "My doctor mentioned injections. How do those work?" still asks about injections);
        "I'm doing yoga too, but how long should I ice?" asks about ice."""
        prepared = Text.prepare(text)
        asked = asked_about_the_guide(text, self.finder) or self._asked_what_to_do(text)
        if self._asks_a_dose_of_the_guide(text if asked is None else asked):
            return None
        searched = self.scope.without_figures_of_speech(prepared.plain)
        for pattern, nearest in self._subjects():
            for m in pattern.finditer(searched):
                if asked is None or m.group(0) in asked:
                    return prepared.as_written(*m.span()), nearest
        return None

    def _asked_what_to_do(self, text: str) -> str | None:
        """The questions of a longer message when they ask what to do about the back and point back at nothing
        before them: "Desk job and this office chair is killing me. What should I do today?" asks about the back (the
        chair is the story), "My doctor mentioned injections. How do those work?" asks about the injections."""
        asked, parts = self.finder.question_rules.asked_clauses(text)
        joined = " ".join(asked)
        if asked and len(asked) < parts and self.scope.asks_care(joined) and not self.finder.followups.leans_on_context(joined):
            return joined
        return None

    def _asks_a_dose_of_the_guide(self, text: str) -> bool:
        """Whether the message asks for a dose and names a treatment of the guide: "My cat knocked the Aleve off
        the shelf lol, anyway how many should I take for my back?" asks about Aleve, not the cat (the medicine
        step, before this one, has already withheld the dose wherever a risk applies)."""
        return self.scope.asks_for_dose(text) and bool(self.finder.expansion_of(text).treatments)  # the message's: read already

    def _subjects(self) -> list[tuple[re.Pattern[str], bool]]:
        """The groups' subjects the loaded guide lacks a word of (checked once per loaded index)."""
        if self._active is None:
            idf = self.finder.retriever.bm25.idf
            active = []
            for group in self.scope.not_in_guide:
                missing = [s for s in group.subjects if group.always or any(idf(w) <= 0 for w in tokenize(s))]
                if missing:
                    active.append((compile_words(missing), group.nearest))
            self._active = active
        return self._active


@dataclass
class LearnedScopeStep:
    """What the rules let through that the guide cannot answer, read by the learned layer
    (``answering.answerability``) from the message's query embedding: a question only the
    clinic can answer, a complaint, or a near-topic question the guide is silent on (said
    plainly, then the closest thing it does say, marked as such). Runs after the rules, so it
    only adds; a message with a conversation before it is left to the rules and the answer."""

    model: Answerability | None
    finder: PassageFinder
    medicines: MedicineNames
    clinic: ClinicSettings
    guide_url: str
    name: str = "learned_scope"

    def __call__(self, turn: Turn) -> Reply | None:
        if self.model is None or not self._reads(turn):
            return None
        vector = self.finder.message_vector(turn.text)
        if vector.shape[-1] != self.model.dimension:  # fitted on another embedder's vectors: the rules alone
            return None
        label = self.model.label(turn.text, vector)
        if label == "clinic":
            part = turn.texts.part(PartKind.NOTICE, "clinic_question", contact=clinic_contact(self.clinic))
            return turn.reply(ReplyKind.CLINIC, part, out_of_scope=True)
        if label == "complaint":
            return turn.reply(ReplyKind.GREETING, turn.texts.part(PartKind.GREETING, "complaint"))
        if label != "not_in_guide":
            return None
        said = turn.texts.part(PartKind.DECLINE, "guide_silent")
        return decline_with_nearest(turn, said, turn.texts.part(PartKind.NOTICE, "nearest_general"), self.guide_url, self.finder)

    def _reads(self, turn: Turn) -> bool:
        """Only what the rules have not already placed: a single question (the layer learned from
        those; a follow-up leans on its conversation), with nothing leading its reply (an urgent
        sign, a medicine risk, the clinic's details), naming no medicine the guide has a section on, nor asking which
        kind of professional to see (the guide says who: "who do I book" is not a question of the clinic's diary)."""
        if turn.history or turn.lead or self.finder.followups.asks_whom_to_see(turn.text):
            return False
        return not any(m.covered for m in self.medicines.find(turn.text))


@dataclass
class ScopeStep:
    """Is the guide about this? Decided in one place: a follow-up on an earlier topic is;
    words of another subject are not; otherwise the evidence of the search decides."""

    scope: ScopeRules
    finder: PassageFinder
    thresholds: RetrievalSettings
    name: str = "scope"

    def __call__(self, turn: Turn) -> Reply | None:
        if turn.focus.treatment:
            return None  # leans on the conversation: never declined for its words alone
        if self.scope.is_off_topic(turn.text, bool(turn.expansion.treatments)):
            return _decline(turn)
        if turn.found.followed or self._in_scope(turn):
            return None
        return _decline(turn)

    def _in_scope(self, turn: Turn) -> bool:
        """Evidence that the guide is about this: back-care words, a treatment named in lay words, a comparison
        that ranks or sets a concept aside (the comparison table's questions), the guide's own vocabulary (most
        of the question's words, one of them specific to the guide), a close dense match, a question very like
        one the guide is known to answer ("bent over to tie my shoe and now I can't stand up straight"), or a
        self-care question that names no subject ("how do I stop this from happening again?")."""
        search = turn.found.search
        if self.scope.mentions_topic(turn.text) or search.expansion.treatments or self.scope.asks_care(turn.text):
            return True
        if search.query_vector is not None and self.finder.closest_example(search.query_vector) >= self.thresholds.min_example_in_scope:
            return True
        rules = self.finder.question_rules  # "which one is easiest to do without any kit?": the treatments' table answers it
        if rules.asks_comparison(turn.text) and (rules.ranking(turn.text) is not None or rules.polarity(turn.text)):
            return True
        idf = self.finder.retriever.bm25.idf
        weights = [idf(t) for t in tokenize(turn.text)]
        known = [w for w in weights if w > 0]
        if weights and len(known) / len(weights) > self.scope.min_known_share and max(known) >= self.thresholds.min_idf_in_scope:
            return True
        return search.best_dense >= self.thresholds.min_dense_in_scope


@dataclass
class ComposeStep:
    """The answer: the guide's own sentences with citations, its sources, and the medication caution."""

    scope: ScopeRules
    guide_url: str
    name: str = "compose"

    def __call__(self, turn: Turn) -> Reply:
        found = turn.found
        composition = found.composition
        if composition is None:
            return turn.reply(ReplyKind.NO_ANSWER, turn.texts.part(PartKind.NO_ANSWER, "no_answer"))
        parts = [*turn.lead, Part(PartKind(composition.kind), composition.markdown)]
        parts.append(Part(PartKind.SOURCES, sources_markdown(composition.citations, self.guide_url)))
        cited = {c.treatment for c in composition.citations}
        # "Which treatments don't need any medication?" names medicines only to set them aside: an
        # answer citing none of them needs no caution about them.
        drug_free = self.scope.asks_drug_free(turn.text) and not cited & self.scope.medication_treatments
        if not drug_free and self.scope.is_about_medication(turn.text, cited | set(found.search.expansion.treatments)):
            parts.append(turn.texts.part(PartKind.CAUTION, "medication_caution"))
        return Reply(ReplyKind.ANSWER, parts, composition.citations, passages=_passages(composition))


def sources_markdown(citations: Sequence[Citation], guide_url: str) -> str:
    """The numbered source list; with a guide URL, each links to the quoted passage."""
    lines = []
    for c in citations:
        lines.append(f"[{c.n}] [{c.section}]({guide_link(guide_url, c.quote)})" if guide_url else f"[{c.n}] {c.section}")
    return "**Sources**\n\n" + "\n".join(f"- {line}" for line in lines)


def _passages(composition: Composition) -> tuple[str, ...]:
    """A comparison lists the passages it quoted first in ``Answer.retrieved`` (what it was composed from)."""
    return composition.passages if composition.kind == "cross" else ()


def policy_steps(
    scope: ScopeRules, finder: PassageFinder, settings: Settings, medicines: MedicineNames, risks: MedicationRisks,
    answerability: Answerability | None = None, limits: LearnedLabelLimit | None = None,
) -> tuple[PolicyStep, ...]:
    """The policy, in order (see the module docstring)."""
    return (
        SafetyStep(),
        LanguageStep(),
        EmptyStep(),
        InjectionStep(scope),
        GreetingStep(scope, answerability, finder),
        ClinicStep(scope, settings.clinic),
        MedicationStep(scope, finder, medicines, risks, limits),
        NotInGuideStep(scope, finder, settings.clinic.guide_url),
        ScopeStep(scope, finder, settings.retrieval),
        LearnedScopeStep(answerability, finder, medicines, settings.clinic, settings.clinic.guide_url),
        ComposeStep(scope, settings.clinic.guide_url),
    )
