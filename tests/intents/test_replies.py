import pytest

from voice.intents.replies import yes_or_no


@pytest.mark.parametrize(
    "text",
    [
        "No thanks.",
        "no",
        "Nope.",
        "Nah.",
        "That's all.",
        "That's it, thank you.",
        "No, I'm good.",
        "I'm all set, thanks.",
        "Nothing else.",
        "Not really.",
        "Bye!",
        "Goodbye.",
        "No, that will be all, thank you so much.",
        "Okay, thank you.",
        "Yeah, that's it.",
    ],
)
def test_no(text: str) -> None:
    assert yes_or_no(text) == "no"


@pytest.mark.parametrize(
    "text",
    [
        "Yes.",
        "yes",
        "Yeah.",
        "Yep.",
        "Actually, yes.",
        "Sure.",
        "Yes, please.",
        "Mm-hmm.",
        "Uh-huh.",
        "Yes, one more thing.",
        "I have another question.",
        "No wait, I have another question.",
    ],
)
def test_yes(text: str) -> None:
    assert yes_or_no(text) == "yes"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Um.",
        "Okay.",
        "Yes, I also need my balance.",  # a new request: the engine matches it as an intent
        "No, I want to know where my order is.",
        "Where is my order?",
        "What's the weather?",
    ],
)
def test_neither(text: str) -> None:
    assert yes_or_no(text) is None
