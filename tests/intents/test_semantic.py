"""The semantic layer: the numpy-free BERT encoder, the per-intent scores, the refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from voice.errors import ConfigError
from voice.intents.embedding import Encoder
from voice.intents.loader import IntentSet
from voice.intents.matcher import MEANING_FLOOR, Matcher
from voice.intents.schema import IntentSpec
from voice.intents.semantic import SemanticIndex, SentenceVectors
from voice.speech.models import bundled_model_dir, resolve_sentence_model


def test_vectors_are_unit_length_and_deterministic(sentences: SentenceVectors) -> None:
    texts = ["I forgot my password", "where is my parcel", "a"]
    first = sentences.encoder.encode(texts)
    assert first.shape == (3, sentences.encoder.dim)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-4)
    assert np.allclose(first, sentences.encoder.encode(texts), atol=1e-6)


def test_batches_give_the_same_vectors_as_single_texts(sentences: SentenceVectors) -> None:
    texts = ["short", "a much longer sentence about a parcel that never arrived at my door"]
    together = sentences.encoder.encode(texts)
    alone = np.stack([sentences.encoder.encode([t])[0] for t in texts])
    # Padding is masked out of attention and pooling; only the int8 activation scale, set per
    # batch, differs a little.
    assert ((together * alone).sum(axis=1) > 0.98).all()


def test_paraphrases_are_closer_than_unrelated_sentences(sentences: SentenceVectors) -> None:
    a, b, c = sentences.encoder.encode(
        ["I can't remember my password", "I forgot my login details", "Is it raining in Paris?"]
    )
    assert float(a @ b) > 0.5
    assert float(a @ b) > float(a @ c) + 0.3


def test_int8_stays_close_to_the_float_model(sentences: SentenceVectors) -> None:
    folder = bundled_model_dir()
    assert folder is not None
    exact = Encoder(folder, quantize=False)
    texts = ["where is my order", "my card was stolen and there are charges I didn't make"]
    cosines = (exact.encode(texts) * sentences.encoder.encode(texts)).sum(axis=1)
    assert (cosines > 0.97).all(), cosines


def test_memo_encodes_each_text_once(sentences: SentenceVectors) -> None:
    memo = SentenceVectors(sentences.encoder)
    calls: list[list[str]] = []
    encode = memo.encoder.encode

    class Counting:
        dim = memo.encoder.dim

        def encode(self, texts: list[str]) -> np.ndarray:
            calls.append(list(texts))
            return encode(texts)

    memo.encoder = Counting()  # type: ignore[assignment]
    memo.vectors(["a", "b", "a"])
    memo.vectors(["b", "c"])
    assert calls == [["a", "b"], ["c"]]


def test_intent_score_is_the_mean_of_its_two_nearest_examples(
    sentences: SentenceVectors,
) -> None:
    examples = [["where is my order", "track my parcel", "what colour is the sky"], ["hello"]]
    index = SemanticIndex(sentences, examples)
    query = "where's my package"
    q = sentences.encoder.encode([query])[0]
    near = sorted((float(v @ q) for v in sentences.vectors(examples[0])), reverse=True)
    lone = float(sentences.vectors(["hello"])[0] @ q)
    scores = index.scores(query)
    assert scores[0] == pytest.approx((near[0] + near[1]) / 2, abs=1e-5)
    assert scores[1] == pytest.approx(max(lone, 0.0), abs=1e-5)


def test_an_unrelated_request_is_refused_for_its_meaning(
    intent_set: IntentSet, sentences: SentenceVectors
) -> None:
    # "date" and "today" lift track_order lexically; in meaning it is nowhere near.
    match = Matcher(intent_set, semantic=sentences).match("What's the date today?")
    assert match.intent is None
    lexical = Matcher(intent_set).match("What's the date today?")
    assert lexical.confidence > match.confidence


def test_refusal_reasons(intent_set: IntentSet, sentences: SentenceVectors) -> None:
    matcher = Matcher(intent_set, semantic=sentences)
    assert matcher.match("Thanks.").refused == "nothing"
    assert matcher.match("I forgot my password").refused is None
    strict = Matcher(intent_set, semantic=sentences, threshold=0.99)
    assert strict.match("where is my order please").refused == "threshold"
    close = Matcher(intent_set, semantic=sentences, threshold=0.0, margin=0.99)
    assert close.match("where is my order please").refused == "margin"
    loose = Matcher(intent_set, semantic=sentences, threshold=0.0, margin=0.0)
    far = loose.match("Tell me a joke.")
    assert far.refused == "meaning"
    assert far.intent is None


def test_meaning_floor_does_not_apply_to_the_lexical_matcher(intent_set: IntentSet) -> None:
    match = Matcher(intent_set, threshold=0.0, margin=0.0).match("Tell me a joke.")
    assert match.refused is None and match.intent is not None
    assert 0 < MEANING_FLOOR < 1


def test_a_small_pack_is_understood_from_a_few_examples(sentences: SentenceVectors) -> None:
    def spec(name: str, examples: list[str]) -> IntentSpec:
        return IntentSpec(
            name=name, description=name, examples=examples, outcome="answer", answer="ok"
        )

    pack = IntentSet(
        intents={
            "cancel_subscription": spec(
                "cancel_subscription",
                [
                    "cancel my subscription",
                    "stop my membership",
                    "I don't want the service any more",
                    "please terminate my account",
                    "how do I unsubscribe",
                ],
            ),
            "change_address": spec(
                "change_address",
                [
                    "I moved house",
                    "update my address",
                    "my address has changed",
                    "send my mail somewhere else",
                    "new home address",
                ],
            ),
        },
        source={},
    )
    matcher = Matcher(pack, semantic=sentences)
    # No content word in common with the examples: only the meaning ranks these right (too
    # far from any example to be accepted outright, they are offered as the best guess).
    assert matcher.match("I'd like to end my plan").ranked[0][0] == "cancel_subscription"
    assert matcher.match("We relocated to another city").ranked[0][0] == "change_address"
    assert Matcher(pack).match("We relocated to another city").ranked[0][0] != "change_address"
    # Close wordings are accepted.
    assert matcher.match("please cancel my membership").intent == "cancel_subscription"
    assert matcher.match("I have a new address").intent == "change_address"


def test_resolving_the_sentence_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_sentence_model("off") is None
    assert resolve_sentence_model("OFF") is None
    assert resolve_sentence_model("all-MiniLM-L6-v2") == bundled_model_dir()
    folder = bundled_model_dir()
    assert folder is not None
    copy = tmp_path / "my-model"
    shutil.copytree(folder, copy)
    assert resolve_sentence_model(str(copy)) == copy
    with pytest.raises(ConfigError, match="neither a model folder"):
        resolve_sentence_model("./missing-folder")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match="could not be downloaded"):
        resolve_sentence_model("someone/not-a-model-here")


def test_a_folder_without_weights_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match=r"missing model\.safetensors, tokenizer\.json"):
        Encoder(tmp_path)


def test_eval_predicts_what_the_matcher_decides(
    intent_set: IntentSet, sentences: SentenceVectors
) -> None:
    """The report replays decisions from stored rankings: at the matcher's own settings it
    must agree with the matcher, meaning veto included."""
    from voice.intents.evaluate import Case, evaluate

    matcher = Matcher(intent_set, semantic=sentences)
    texts = [
        "What's the date today?",
        "what is the date today",
        "where is my parcel",
        "Tell me a joke.",
        "I want my money back",
        "Thanks.",
        "I'd like to order a pizza.",
    ]
    report = evaluate(matcher, [Case(t, None) for t in texts])
    assert list(report.predictions) == [matcher.match(t).intent for t in texts]
    vetoed = [o for o in report.outcomes if not o.close_in_meaning]
    assert vetoed, "the date questions are vetoed for their meaning"
    assert all(o.predict(0.0, 0.0) is None for o in vetoed)  # whatever the settings


def test_an_order_number_written_digit_by_digit_is_still_a_request(
    intent_set: IntentSet, sentences: SentenceVectors
) -> None:
    # How Whisper writes "order seven, zero, zero, zero, seven" read with pauses: before
    # digit runs were joined, the meaning floor refused it (0.63 of meaning short).
    heard = "Yes, calling about order eight. Eight. One. Two. Zero."
    assert Matcher(intent_set, semantic=sentences).match(heard).intent == "track_order"
