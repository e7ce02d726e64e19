"""Look-alike words respelt as the pack's own (``voice.intents.sounds_like``), and the
matcher's second try with them. The transcripts are Whisper tiny.en's, of the hearing
corpus's dev rows spoken by its caller voices over the phone path (issue #10)."""

from __future__ import annotations

import pytest

from voice.intents.loader import IntentSet
from voice.intents.matcher import REPLY_WORDS, STOP_WORDS, Matcher
from voice.intents.normalise import normalised_tokens
from voice.intents.semantic import SentenceVectors
from voice.intents.sounds_like import SoundsLike


@pytest.fixture(scope="module")
def sounds_like(intent_set: IntentSet) -> SoundsLike:
    words = [
        token
        for spec in intent_set.intents.values()
        for example in spec.examples
        for token in normalised_tokens(example)
    ]
    return SoundsLike(words, keep=STOP_WORDS | REPLY_WORDS)


def _respell(sounds_like: SoundsLike, text: str) -> str | None:
    respelt = sounds_like.respell(normalised_tokens(text))
    return None if respelt is None else " ".join(respelt)


@pytest.mark.parametrize(
    ("heard", "respelt"),
    [
        ("Billings.", "billing"),  # one word, a letter off
        ("Building issue with my last statement.", "billing issue with my last statement"),
        ("Here's the next work down right now.", "here is the network down right now"),
        ("No, my wife, I isn't working.", "no my wifi i is not working"),
    ],
)
def test_look_alikes_become_the_packs_words(
    sounds_like: SoundsLike, heard: str, respelt: str
) -> None:
    assert _respell(sounds_like, heard) == respelt


@pytest.mark.parametrize(
    "heard",
    [
        "my internet is down",  # every word is the pack's own
        "the dog ate it",  # short words are never respelt
        "what are your hours this weekend",
        "Rich earns.",  # too far off to guess
    ],
)
def test_known_short_or_distant_words_stay(sounds_like: SoundsLike, heard: str) -> None:
    assert _respell(sounds_like, heard) is None


def test_a_word_is_not_stretched_into_a_longer_one(sounds_like: SoundsLike) -> None:
    # Jaro-Winkler alone scores "every" close to "everything": the spelling ratio stops it.
    respelt = sounds_like.respell(["dropping", "every", "few", "minutes"])
    assert respelt is None or "every" in respelt


def test_two_known_words_are_not_joined(sounds_like: SoundsLike) -> None:
    assert sounds_like.respell(["my", "bill"]) is None


def test_the_matcher_understands_a_misheard_request(matcher: Matcher) -> None:
    found = matcher.match("Building issue with my last statement.")
    assert found.intent == "billing_question"
    assert found.respelt == "billing issue with my last statement"


def test_the_words_as_heard_were_refused_by_the_sentence_model(
    intent_set: IntentSet, sentences: SentenceVectors
) -> None:
    # ``respelt`` is set only when the first try picked nothing (the lexical matcher alone
    # already understands this one, on the words "down right now").
    found = Matcher(intent_set, semantic=sentences).match("Here's the next work down right now.")
    assert found.intent == "report_outage" and found.respelt is not None


def test_a_request_understood_as_heard_is_not_respelt(matcher: Matcher) -> None:
    found = matcher.match("My wifi keeps dropping every few minutes.")
    assert found.intent == "report_outage" and found.respelt is None


@pytest.mark.parametrize("heard", ["D cell phones.", "Whether forecast for tomorrow."])
def test_out_of_scope_stays_refused(matcher: Matcher, heard: str) -> None:
    found = matcher.match(heard)
    assert found.intent is None and found.respelt is None
