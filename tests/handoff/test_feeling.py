"""How the caller feels: cue words, meaning (the real bundled sentence model) and the call."""

from __future__ import annotations

import pytest

from voice.handoff.feeling import CallSigns, FeelingReader
from voice.handoff.frustration import FrustrationTracker
from voice.intents.semantic import SentenceVectors


@pytest.fixture(scope="module")
def reader(sentences: SentenceVectors) -> FeelingReader:
    return FeelingReader(sentences)


def read(reader: FeelingReader, text: str, *, bot_failed: bool = False) -> str:
    signal = FrustrationTracker().observe(text, bot_failed=bot_failed)
    signs = CallSigns(bot_failed, signal.score, signal.reasons)
    return reader.read(text, signs).level


@pytest.mark.parametrize(
    "text",
    [  # the four turns of issue #14, each scored on its own
        "I was charged twice this month and I am really angry about it",
        "I am furious",
        "this is unacceptable, I have been waiting for two weeks",
        "no you are not listening, this is the third time I have called",
    ],
)
def test_the_issues_angry_turns_read_as_angry(reader: FeelingReader, text: str) -> None:
    assert read(reader, text) == "angry"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("I'm so frightened, I think someone is using my bank details", "distressed"),
        ("I'm a little disappointed the engineer was late", "upset"),
        ("brilliant, thanks, that sorted it", "pleased"),
        ("oh great, the line dropped again", "upset"),  # sarcasm: not pleased
    ],
)
def test_levels(reader: FeelingReader, text: str, level: str) -> None:
    got = read(reader, text)
    assert got == level or (level == "upset" and got == "angry")


@pytest.mark.parametrize(
    "text",
    [
        "my card was charged twice, can you check",
        "my old router died and I need a replacement",
        "I'm not angry, I just need my balance",
        "it's 45712",
        "yes please",
        "no",
        "can I speak to a person please",
        "I need help with my account",
    ],
)
def test_routine_and_short_turns_read_as_neutral(reader: FeelingReader, text: str) -> None:
    assert read(reader, text) == "neutral"


def test_what_it_is_about_and_why(reader: FeelingReader) -> None:
    angry = reader.read("I was charged twice this month and I'm furious, third time I'm calling")
    assert angry.level == "angry"
    assert angry.about == "a double charge"
    assert angry.words().startswith("angry about a double charge, third call")
    assert angry.to_dict()["words"] == angry.words()


def test_a_failing_bot_adds_to_anger_already_there(reader: FeelingReader) -> None:
    text = "this is ridiculous"
    calm = reader.read(text, CallSigns(bot_failed=False))
    failed = reader.read(text, CallSigns(bot_failed=True))
    assert failed.scores["angry"] > calm.scores["angry"]
    assert "the bot did not understand" in failed.why
    neutral = reader.read("what are your opening hours", CallSigns(bot_failed=True))
    assert neutral.level == "neutral"  # a failure alone is not a feeling


def test_without_a_model_the_cue_words_still_count() -> None:
    lexical = FeelingReader(None)
    assert lexical.read("I am furious").level == "angry"
    assert lexical.read("I'm terrified and I don't know what to do").level == "distressed"
    assert lexical.read("what time do you open").level == "neutral"


def test_the_policys_own_words_and_examples_count(sentences: SentenceVectors) -> None:
    plain = FeelingReader(None)
    assert plain.read("this is taking the biscuit").level == "neutral"
    own = FeelingReader(None, cues={"angry": {"taking the biscuit": 0.7}})
    assert own.read("this is taking the biscuit").level == "angry"


def test_talking_over_the_bot_adds_to_anger_already_there(reader: FeelingReader) -> None:
    text = "this is ridiculous"
    over = reader.read(text, CallSigns(interrupted=True))
    assert over.scores["angry"] > reader.read(text).scores["angry"]
    assert "talked over the bot" in over.why
    assert reader.read("what are your opening hours", CallSigns(interrupted=True)).level == (
        "neutral"
    )


def test_what_the_caller_said_is_not_kept_in_the_example_memo(sentences: SentenceVectors) -> None:
    said = "my card number is 4111 1111 1111 1111 and I am furious"
    reader = FeelingReader(sentences)
    reader.read(said, CallSigns(bot_failed=False))
    assert said not in sentences._vectors  # read by meaning, but never memoized
