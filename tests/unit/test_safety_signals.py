"""Each safety signal alone, and how triage combines them: language, the learned layer, the notices.

No model: the learned layer is tested with hand-made heads over small vectors
(the mechanism), and the shipped model is checked against its training data
(``python -m safety.training check``) without loading the embedder.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from contracts import PartKind, Tier
from rules.files import read_medicine_risks
from rules.prompts import Prompts
from safety.language import LanguageDetector
from safety.learned import BUCKETS, LearnedSignal, _Head, _matrix, char_features, fit, ngram_weights, read_rows, text_features
from safety.notices import notice_parts
from safety.red_flags import RedFlagRules, SignMatch
from safety.risk_model import LearnedRisks
from safety.triage import Triage, TriageResult
from settings import PROJECT_ROOT, load_settings

# -- language -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(["en", "es", "zh", "fr", "de"])


@pytest.mark.parametrize(
    "text, language",
    [
        ("my back hurts, should I use ice or heat?", "en"),
        ("me duele mucho la espalda y no puedo dormir", "es"),
        ("我的腰很疼，能用热敷吗", "zh"),
        ("j'ai très mal au dos depuis ce matin", "fr"),
        ("ich habe seit gestern starke Rückenschmerzen", "de"),
        ("ok", "en"),  # too short to call
        ("ibuprofen?", "en"),
    ],
)
def test_the_language_of_a_message(detector, text, language):
    assert detector.detect(text) == language


def test_a_short_message_the_detector_is_unsure_of_is_still_read_by_its_likeliest_languages_rules(english_rules, detector):
    """"je sens plus mes jambes" is too short for French texts (they need min_confidence) but not for French rules."""
    assert detector.detect("je sens plus mes jambes") == "en" and detector.rules_language("je sens plus mes jambes") == "fr"
    triage = Triage({"en": english_rules, "fr": RedFlagRules.load("fr")}, None, detector)
    assert triage.assess("je sens plus mes jambes").tier is Tier.EMERGENCY
    assert triage.assess("je vais me tuer").tier is Tier.CRISIS
    assert triage.assess("ce lumbago va me tuer, des conseils ?").tier is Tier.NONE  # a figure of speech


def test_only_enabled_languages_are_detected():
    assert LanguageDetector(["en"]).detect("me duele mucho la espalda y no puedo dormir") == "en"


# -- the learned layer --------------------------------------------------------------------------------


def test_character_features_are_deterministic_and_unit_length():
    index, values = char_features("Can't pee since THIS morning")
    again, same = char_features("cant pee since this morning")
    assert np.array_equal(index, again) and np.allclose(values, same)  # case and apostrophes do not matter
    assert abs(float(np.linalg.norm(values)) - 1.0) < 1e-5 and index.max() < BUCKETS


def test_word_pairs_tell_apart_what_the_same_words_in_another_order_say():
    """N-grams inside words are the same for both; the pairs of adjacent words are not."""
    despair, question = "rather not be here what is the point", "what is the point rather not be here"
    assert np.array_equal(np.sort(char_features(despair)[0]), np.sort(char_features(question)[0]))
    with_pairs = [dict(zip(*text_features(t, 1.0), strict=True)) for t in (despair, question)]
    assert with_pairs[0].keys() != with_pairs[1].keys()
    index, values = text_features(despair, 1.0)
    assert abs(float(np.linalg.norm(values)) - 1.0) < 1e-5 and index.max() < BUCKETS
    assert all(np.array_equal(a, b) for a, b in zip(text_features(despair, 0.0), char_features(despair), strict=True))


def test_a_model_reads_messages_with_the_word_pairs_it_was_fitted_with():
    signal = _signal()
    assert signal.word_pair_weight == 0.0 and np.array_equal(signal.features("my legs")[0], char_features("my legs")[0])
    fitted = LearnedSignal(signal.heads, signal.classes, signal.class_tiers, signal.sign_dense, signal.sign_sparse,
                           signal.sign_bias, signal.thresholds, {"features": {"word_pairs": 1.0}})  # fmt: skip
    assert len(fitted.features("my legs")[0]) == len(char_features("my legs")[0]) + 1  # one pair: "my_legs"


def test_common_words_ngrams_count_less_when_fitting_with_their_idf():
    texts = ["would it help to rest", "would heat help", "would ice help", "saving tablets"]
    assert np.all(ngram_weights(texts, 4.0, 0.0) == 4.0)  # power 0: every n-gram alike
    scales = ngram_weights(texts, 4.0, 1.0)
    common, _ = char_features("would")
    rare, _ = char_features("saving")
    assert scales[common].max() < scales[rare].min()


def test_the_stored_weights_score_plain_features_as_the_fit_scored_scaled_ones():
    texts = ["i cant feel my legs", "would heat help my back", "i want to end it all", "no numbness at all", "fever and chills"] * 2
    tiers = ["emergency", "none", "crisis", "none", "urgent"] * 2
    vectors = np.random.default_rng(0).normal(size=(len(texts), 4)).astype(np.float32)
    arrays = fit(texts, vectors, tiers, ["both-legs", "everyday", "crisis-passive", "negated", "fever"] * 2, 4.0, 4.0, 1.0)
    head = _Head(arrays["crisis_dense"], np.zeros(BUCKETS, dtype=np.float32), float(arrays["crisis_bias"]))
    head.sparse[arrays["crisis_index"]] = arrays["crisis_values"]
    stored = [head.score(v, *char_features(t)) for t, v in zip(texts, vectors, strict=True)]
    fitted = LogisticRegression(C=4.0, max_iter=5000, class_weight="balanced").fit(
        _matrix(texts, vectors, ngram_weights(texts, 4.0, 1.0)), [t == "crisis" for t in tiers]
    )
    assert np.allclose(stored, fitted.predict_proba(_matrix(texts, vectors, ngram_weights(texts, 4.0, 1.0)))[:, 1], atol=1e-4)


def _signal(dimension: int = 8) -> LearnedSignal:
    """An emergency head that fires on the vector's first axis, a crisis head on the second."""
    heads = {}
    for tier, axis in ((Tier.EMERGENCY, 0), (Tier.CRISIS, 1), (Tier.URGENT, 2)):
        dense = np.zeros(dimension, dtype=np.float32)
        dense[axis] = 10.0
        heads[tier] = _Head(dense, np.zeros(BUCKETS, dtype=np.float32), -5.0)
    classes = ["both-legs", "crisis-passive", "fever"]
    sign_dense = np.eye(3, dimension, dtype=np.float32)
    thresholds = {Tier.EMERGENCY: 0.5, Tier.CRISIS: 0.5, Tier.URGENT: 0.5}
    return LearnedSignal(heads, classes, [Tier.EMERGENCY, Tier.CRISIS, Tier.URGENT], sign_dense,
                         np.zeros((3, BUCKETS), dtype=np.float32), np.zeros(3, dtype=np.float32), thresholds, {})  # fmt: skip


def _vector(*axes: int, dimension: int = 8) -> np.ndarray:
    v = np.zeros(dimension, dtype=np.float32)
    v[list(axes)] = 1.0
    return v


def test_a_learned_vote_names_its_tier_and_likeliest_sign():
    votes = _signal().votes("anything", _vector(0))
    assert [(v.tier, v.sign) for v in votes] == [(Tier.EMERGENCY, "both-legs")]
    assert _signal().votes("anything", _vector()) == []


@pytest.fixture(scope="module")
def english_rules() -> RedFlagRules:
    return RedFlagRules.load("en")


def test_triage_adds_what_only_the_learned_layer_saw(english_rules):
    triage = Triage({"en": english_rules}, _signal())
    result = triage.assess("my legs feel like they belong to somebody else", None, lambda texts: np.stack([_vector(0)] * len(texts)))
    assert result.tier is Tier.EMERGENCY
    assert [(s.sign, s.source) for s in result.signs] == [("both-legs", "learned")]


def test_a_learned_vote_does_not_survive_the_rules_negation(english_rules):
    """The rules read "no numbness in my legs" and set it aside: the learned emergency vote is dropped."""
    triage = Triage({"en": english_rules}, _signal())
    result = triage.assess("no numbness in my legs", None, lambda texts: np.stack([_vector(0)] * len(texts)))
    assert result.tier is Tier.NONE and "negated: no numbness in my legs" in result.set_aside


def test_a_sign_that_does_not_quiet_the_learned_layer_leaves_its_votes_standing_when_set_aside(english_rules):
    """A stroke told as past is set aside by the rules; the sign says quiets_learned = false (the learned layer has no
    stroke class), so the emergency the learned layer read still counts. "no numbness in my legs" still drops it."""
    triage = Triage({"en": english_rules}, _signal())
    message = "last spring half my face drooped for an hour, it passed"
    assert "stroke" in english_rules.read(message).set_aside_signs
    result = triage.assess(message, None, lambda texts: np.stack([_vector(0)] * len(texts)))
    assert result.tier is Tier.EMERGENCY and [(s.sign, s.source) for s in result.signs] == [("both-legs", "learned")]


def test_the_learned_layer_reads_earlier_messages_too(english_rules):
    triage = Triage({"en": english_rules}, _signal())
    vectors = {"i feel like giving up on everything": _vector(1), "ok and heat?": _vector()}
    history = [{"role": "user", "content": "i feel like giving up on everything"}, {"role": "assistant", "content": "..."}]
    result = triage.assess("ok and heat?", history, lambda texts: np.stack([vectors[t] for t in texts]))
    assert result.tier is Tier.CRISIS and result.signs[0].turn == 1


def test_a_broken_or_foreign_embedder_leaves_the_rules_deciding(english_rules):
    triage = Triage({"en": english_rules}, _signal())

    def broken(texts: list[str]) -> np.ndarray:
        raise RuntimeError("no model")

    assert triage.assess("I can't pee", None, broken).tier is Tier.EMERGENCY
    wrong_size = triage.assess("my legs feel odd", None, lambda texts: np.ones((len(texts), 5), dtype=np.float32))
    assert wrong_size.tier is Tier.NONE


def test_the_shipped_model_matches_its_training_data():
    done = subprocess.run([sys.executable, "-m", "safety.training", "check"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    meta = json.loads((PROJECT_ROOT / "data" / "triage" / "model.json").read_text(encoding="utf-8"))
    assert set(meta["thresholds"]) == {"emergency", "crisis", "urgent"}
    assert LearnedSignal.load().dimension == 384


def test_the_shipped_risk_model_matches_its_training_data():
    done = subprocess.run([sys.executable, "-m", "safety.risk_training", "check"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    model = LearnedRisks.load()
    assert model.dimension == 384
    assert set(model.ids) <= {r.id for r in read_medicine_risks("en").risks}, "every learned risk has its caution text in the data file"


# -- other languages' rules ------------------------------------------------------------------------


def test_another_languages_rules_overrule_an_english_match_they_set_aside(english_rules):
    """A cognate ("cancer") matched by the English rules in a Spanish sentence about someone's past does not count."""
    spanish = RedFlagRules.load("es")
    triage = Triage({"en": english_rules, "es": spanish}, None, LanguageDetector(["en", "es"]))
    assert english_rules.read("mi madre tuvo cancer hace muchos años").found  # English alone would fire
    assert triage.assess("mi madre tuvo cáncer hace muchos años, ¿es hereditario?").tier is Tier.NONE
    assert triage.assess("no puedo orinar desde ayer y me duele la espalda").tier is Tier.EMERGENCY



# Each language's rules: an illness long over, someone else's past, an idiom after the gym and a question about what
# might happen do not fire; the same words said of the patient now still do.
RULES_IN_EACH_LANGUAGE = [
    ("es", "siento como una descarga que me baja por la pierna derecha hasta el pie", Tier.URGENT),
    ("es", "hace unos días se me durmió el pie un rato pero ya se me pasó, solo me duele la espalda", Tier.NONE),
    ("fr", "J'ai eu de la fièvre avec la grippe il y a dix jours, c'est fini maintenant, mais le dos est raide", Tier.NONE),
    ("de", "Das Taubheitsgefühl im Fuß ist schon weg, nur der Rücken zwickt", Tier.NONE),
    ("de", "ich spritze seit einem Jahr und habe jetzt Rückenschmerzen", Tier.URGENT),
    ("zh", "前几天脚麻了一下，已经好了，现在就是腰酸", Tier.NONE),
    ("de", "Hatte vor zwei Monaten Grippe mit Fieber, längst vorbei. Jetzt Rücken vom Umzug.", Tier.NONE),
    ("de", "Ich habe seit gestern Fieber und Rückenschmerzen", Tier.URGENT),
    ("de", "Wenn ich Fieber dazu bekäme, wäre das schlimm?", Tier.NONE),
    ("de", "seit dem Hexenschuss merke ich gar nicht mehr, wann ich aufs Klo muss", Tier.EMERGENCY),
    ("de", "Bin beim Skifahren mit voller Geschwindigkeit gegen einen Baum gefahren, seitdem Rückenkrampf.", Tier.EMERGENCY),
    ("de", "Ich weiß schon wo ich springe, die Brücke bei uns. Nach Weihnachten ist es vorbei.", Tier.CRISIS),
    ("de", "Darf ich mit dem Rückenkrampf noch ins Schwimmbad, wo ich sonst vom Brett springe?", Tier.NONE),
    ("es", "Tuve fiebre hace un mes con la gripe, ya estoy bien. Ahora me duele la espalda.", Tier.NONE),
    ("es", "Tengo fiebre desde ayer y me duele la espalda", Tier.URGENT),
    ("es", "Tengo las piernas como gelatina después del gimnasio, pero lo que me molesta es la espalda tensa.", Tier.NONE),
    ("es", "el calor no me deja dormir bien y me levanto con la espalda rígida", Tier.NONE),
    ("es", "mi tío murió de un aneurisma hace años, así que me asusto. Es solo la espalda de estar sentado", Tier.NONE),
    ("fr", "Mon mari a eu un zona sur le dos il y a deux ans, moi je n'ai pas de boutons, juste mal", Tier.NONE),
    ("fr", "si je tombe enceinte l'an prochain, je pourrai continuer les exercices ?", Tier.NONE),
    ("fr", "Je suis enceinte de 7 mois et j'ai mal au dos", Tier.URGENT),
    ("zh", "上个月发烧早就好了，现在腰疼是搬家累的", Tier.NONE),
    ("zh", "我发烧了，腰也疼", Tier.URGENT),
    ("zh", "我爸以前得过肺癌，我现在腰疼有点担心，不过应该是搬东西扭到的", Tier.NONE),
    ("zh", "健身完腿软得像面条，腰也有点酸", Tier.NONE),
    ("zh", "腰一侧疼，还长了一圈带状的小水泡", Tier.URGENT),
    ("zh", "腰疼这几天，和老公同房的时候下面几乎没感觉了", Tier.EMERGENCY),
    ("zh", "我已经想好了，周末去江边跳下去，就这样吧", Tier.CRISIS),
    ("zh", "不小心把肌肉松弛药吃了两次，忘了早上已经吃过", Tier.EMERGENCY),
    ("zh", "两条腿都挺好的，有劲也不麻，就腰下面一块疼", Tier.NONE),
    ("zh", "腰疼，吃药时不小心多吃了两倍，现在特别困", Tier.EMERGENCY),
    ("es", "me muero de la vergüenza, se me bloqueó la espalda en plena clase de baile. ¿calor o frío?", Tier.NONE),
    ("es", "me quiero morir de dolor, ya no puedo más con esta espalda", Tier.CRISIS),
    ("fr", "mon frere vient de m'ecrire qu'il va se tuer, il a une arme chez lui", Tier.CRISIS),
    ("fr", "si un jour j'ai les fesses engourdies, je dois faire quoi?", Tier.NONE),
    ("fr", "comme un etau qui me serre la cage thoracique, avec le dos. je mets de la creme chauffante?", Tier.EMERGENCY),
    ("de", "hab ne ganze packung ibu über den tag verteilt geschluckt weil nix hilft, so 12 oder so", Tier.EMERGENCY),
    ("de", "kumpel hatte mal nen unfall mit dem motorrad und seitdem rücken. ich hab nur ne zerrung vom fußball", Tier.NONE),
    ("es", "anoche con mi pareja no senti casi nada ahi abajo, como dormido, y tengo la espalda fatal", Tier.EMERGENCY),
    ("fr", "j'ai mal au dos et j'ai fait dans mon pantalon sans le sentir", Tier.EMERGENCY),
    ("de", "Bin mit dem Rad mit sehr hohem Tempo gestürzt, jetzt ist der Rücken ganz verkrampft", Tier.EMERGENCY),
    ("de", "Bin letzten Winter beim Rodeln gestürzt, ist längst verheilt. Jetzt nur Nackenverspannung vom Laptop.", Tier.NONE),
    ("zh", "今天左脚连拖鞋都勾不住了，走两步就掉，比前两天更没劲", Tier.EMERGENCY),
    ("zh", "腰扭了以后这两天小便特别难尿出来，要使很大劲，是不是肌肉痉挛压到了", Tier.EMERGENCY),
    ("zh", "我的腿比昨天更有劲了，腰也好多了", Tier.NONE),
    ("zh", "没节食也瘦了八斤，背一直疼", Tier.URGENT),  # weight lost without dieting: the dieting exclusion is denied
    ("zh", "在减肥，瘦了八斤，背有点酸", Tier.NONE),
    ("zh", "左腿没啥力气，上楼梯很吃力", Tier.URGENT),
    ("zh", "右腿后面一直麻到小腿都是", Tier.URGENT),  # one leg: "小腿都" is not "both legs"
    # a known aneurysm in one sentence, the sudden pain in the next (``across_sentences`` in each language)
    ("fr", "Ma mère a un anévrisme de l'aorte. Elle vient d'avoir une douleur brutale dans le dos.", Tier.EMERGENCY),
    ("es", "Mi abuelo tiene un aneurisma en la aorta. Ahora le ha dado un dolor de espalda de golpe.", Tier.EMERGENCY),
    ("de", "Meine Oma hat ein Aortenaneurysma. Seit einer Stunde hat sie plötzlich Rückenschmerzen.", Tier.EMERGENCY),
    ("fr", "est-ce qu'une crise cardiaque peut ressembler à un mal de dos ? simple curiosité", Tier.NONE),
    ("fr", "Mon père est suivi pour un lymphome. Il a mal au dos depuis trois jours.", Tier.URGENT),
    ("zh", "前几年脚麻的问题早就好了，现在就是腰有点紧", Tier.NONE),
    ("zh", "背痛了半年了，有时候真希望自己睡着就不要醒过来了", Tier.CRISIS),
    # a stroke or meningitis beside back pain (triage_dev48), and a sleeping position that is not a drooping mouth
    ("zh", "我妈这周一直背痛抽筋，今晚她一边脸歪了，说话也含糊不清", Tier.EMERGENCY),
    # slurring beside a relaxant and sleeping tablets is over-sedation's, read by the rules (the stroke sign sets it aside)
    ("zh", "我老婆把医生开的肌肉松弛剂和安眠药一起吃了，现在叫不太醒，说话也含糊", Tier.EMERGENCY),
    ("es", "¿Es mejor dormir boca arriba o de lado cuando tienes una contractura en la espalda?", Tier.NONE),
    ("fr", "mon père a mal au dos depuis hier et ce soir il a la bouche de travers et parle bizarrement", Tier.EMERGENCY),
    ("de", "Rückenschmerzen, Nacken ganz steif und lila Flecken, die beim Glastest nicht verschwinden", Tier.EMERGENCY),
    # a fever beside confusion, fainting or a fallen blood pressure is sepsis (triage_dev49); puzzled about a fever is only the fever
    ("es", "Contractura en la espalda toda la semana, esta noche 40 de fiebre, tiritando, muy confuso y apenas me tengo en pie. El tensiómetro marca 85/50", Tier.EMERGENCY),
    ("es", "Estoy confundida sobre si esto cuenta como fiebre, la espalda me da calor", Tier.URGENT),
    ("fr", "Mon père a 39,5 de fièvre, il est confus et ne sait plus où il est. Il se plaint du dos depuis une semaine", Tier.EMERGENCY),
    ("fr", "je suis un peu confus entre les deux boîtes, j'ai de la fièvre et mal au dos", Tier.URGENT),
    ("de", "Fieber 39, Blutdruck 85 zu 50, Rückenschmerzen", Tier.EMERGENCY),
    ("de", "Ich bin etwas verwirrt, ob das schon Fieber ist, mein Rücken fühlt sich heiß an", Tier.URGENT),
    ("zh", "我爸发烧39度多，说胡话，认不出人了，他腰疼好几天了", Tier.EMERGENCY),
    ("zh", "我有点糊涂，到底该吃几片布洛芬？发烧38度，腰疼", Tier.URGENT),
]


@pytest.mark.parametrize(("language", "message", "tier"), RULES_IN_EACH_LANGUAGE, ids=[m[:30] for _, m, _ in RULES_IN_EACH_LANGUAGE])
def test_rules_in_each_language(english_rules, language, message, tier):
    rules = RedFlagRules.load(language)
    triage = Triage({"en": english_rules, language: rules}, None, LanguageDetector(["en", language]))
    assert triage.assess(message).tier is tier

# -- notices ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def texts() -> Prompts:
    return Prompts.load(load_settings())


def _match(sign: str, tier: Tier, text: str, label: str, other: bool = False) -> SignMatch:
    return SignMatch(sign, tier, label, "", 0, text, other)


def test_each_sign_gets_its_own_text_once(texts):
    result = TriageResult(Tier.EMERGENCY, (
        _match("saddle-numbness", Tier.EMERGENCY, "emergency_nerves", "numbness around the bottom"),
        _match("bladder-bowel", Tier.EMERGENCY, "emergency_nerves", "trouble peeing"),
        _match("chest-heart", Tier.EMERGENCY, "emergency_heart", "chest pain"),
        _match("fever", Tier.URGENT, "urgent", "a fever"),
    ), ())  # fmt: skip
    parts = notice_parts(result, texts)
    assert [p.kind for p in parts] == [PartKind.EMERGENCY, PartKind.EMERGENCY]  # no urgent text beside an emergency
    assert "(numbness around the bottom, trouble peeing)" in parts[0].markdown and "cauda equina" in parts[0].markdown
    assert "heart" in parts[1].markdown


def test_a_crisis_beside_an_emergency_shows_the_crisis_line_too(texts):
    result = TriageResult(Tier.EMERGENCY, (
        _match("overdose-sedation", Tier.EMERGENCY, "emergency_overdose", "too many tablets"),
        _match("crisis-active", Tier.CRISIS, "crisis_plan", "a plan"),
    ), ())  # fmt: skip
    parts = notice_parts(result, texts)
    assert [p.kind for p in parts] == [PartKind.EMERGENCY, PartKind.CRISIS]
    assert "1-800-222-1222" in parts[0].markdown and "988" in parts[1].markdown


def test_someone_elses_symptoms_get_the_line_for_the_person_helping(texts):
    result = TriageResult(Tier.EMERGENCY, (_match("both-legs", Tier.EMERGENCY, "emergency_nerves", "weak legs", other=True),), ())
    assert "someone else" in notice_parts(result, texts)[0].markdown


def test_thresholds_are_chosen_by_what_the_mistakes_cost_not_by_recall_alone():
    """One missed emergency costs ten false alarms: thirty false alarms to catch it is the worse choice."""
    from safety.training import MISS_COST, _dev_figures, _preference

    emergency = ("emergency", [({Tier.EMERGENCY}, set(), {}, {})])
    missed = ("emergency", [(set(), set(), {Tier.EMERGENCY: 0.4}, {})])
    everyday = [("none", [(set(), set(), {Tier.EMERGENCY: 0.4}, {})]) for _ in range(30)]
    rows = [emergency, missed, *everyday]
    low = {Tier.EMERGENCY: 0.35, Tier.CRISIS: 0.5, Tier.URGENT: 0.5}  # catches both emergencies, alarms all thirty
    high = {Tier.EMERGENCY: 0.45, Tier.CRISIS: 0.5, Tier.URGENT: 0.5}  # misses one, no alarm
    catch_all, quiet = _dev_figures(rows, low), _dev_figures(rows, high)
    assert catch_all["cost"] == 30 * MISS_COST["false_alarms"] and quiet["cost"] == MISS_COST["emergency"]
    assert _preference(quiet) > _preference(catch_all)


def test_one_clause_counts_above_its_threshold_plus_the_margin():
    """A crisis buried in one sentence of a long message: the clause's own reading, held to a higher bar."""
    from safety.training import _dev_figures

    buried = ("crisis", [(set(), set(), {Tier.CRISIS: 0.3}, {Tier.CRISIS: 0.8})])
    thresholds = {Tier.EMERGENCY: 0.5, Tier.CRISIS: 0.5, Tier.URGENT: 0.5}
    assert _dev_figures([buried], thresholds)["crisis"] == 0.0  # clauses not read
    assert _dev_figures([buried], thresholds, {Tier.CRISIS: 0.2})["crisis"] == 1.0
    assert _dev_figures([buried], thresholds, {Tier.CRISIS: 0.4})["crisis"] == 0.0
    assert _dev_figures([buried], thresholds, {Tier.URGENT: 0.1})["crisis"] == 0.0  # another tier's margin


def test_clauses_are_the_sentences_of_a_longer_message():
    from safety.learned import clauses

    assert clauses("my back hurts") == []
    assert clauses("First, is heat ok for longer? Third, I have a stash of pills for Friday. Thanks") == [
        "First, is heat ok for longer?", "Third, I have a stash of pills for Friday.",
    ]
    assert len(clauses("腰疼了大半年，真的不想活了。热敷好还是冷敷好啊？")) == 2


def test_training_rows_read_a_conversation_given_as_turns_or_as_the_patients_messages(tmp_path):
    """The answers sets give a conversation as full turns, the blind sets as the patient's messages alone: the
    refit (``make models``) reads both as the patient's messages (it once stopped on the second kind)."""
    path = tmp_path / "answers_dev.jsonl"
    path.write_text(
        json.dumps({"question": "how often?", "history": [{"role": "user", "content": "heat or ice?"}, {"role": "assistant", "content": "..."}]})
        + "\n" + json.dumps({"question": "any side effects?", "history": ["is flexeril ok?"]}) + "\n",
        encoding="utf-8",
    )
    assert [row["history"] for row in read_rows([path])] == [["heat or ice?"], ["is flexeril ok?"]]


def test_training_rows_read_a_medicine_sets_conversation_given_as_turns(tmp_path):
    """A medicine set may give its conversation as full turns too (medication_dev28 does): the thresholds' refit reads
    the patient's messages of it, not the turns (``make models`` stopped on it with "unhashable type: 'dict'")."""
    path = tmp_path / "medication_dev.jsonl"
    turns = [{"role": "user", "content": "I'm 68"}, {"role": "assistant", "content": "How can I help?"}, {"role": "user", "content": "back seized"}]
    path.write_text(json.dumps({"message": "how much advil?", "history": turns, "expect": "dose_ok"}) + "\n", encoding="utf-8")
    assert [row["history"] for row in read_rows([path])] == [["I'm 68", "back seized"]]


def test_a_plan_beside_thoughts_of_not_going_on_leads_with_the_emergency_number(texts):
    """"I don't want to go on anymore. I've been saving up my pills": both crisis texts, the plan's (call the emergency
    number) first; it came second, after the gentler crisis-line text."""
    result = TriageResult(Tier.CRISIS, (
        _match("crisis-passive", Tier.CRISIS, "crisis", "thoughts of not wanting to go on"),
        _match("crisis-active", Tier.CRISIS, "crisis_plan", "a plan"),
    ), ())  # fmt: skip
    parts = notice_parts(result, texts)
    assert [p.prompt for p in parts] == ["crisis_plan", "crisis"]
    assert "911" in parts[0].markdown and "988" in parts[1].markdown
