from pathlib import Path

from voice.intents.loader import load_intents
from voice.intents.vocabulary import WORDS, vocabulary_prompt

ROOT = Path(__file__).resolve().parents[2]


def test_the_prompt_names_the_company_and_the_packs_own_words() -> None:
    prompt = vocabulary_prompt(load_intents(ROOT / "intents"), "Acme")
    assert prompt.startswith("Acme customer support call about ")
    words = prompt.removeprefix("Acme customer support call about ").rstrip(".").split(", ")
    assert len(words) == WORDS and len(set(words)) == WORDS
    # (one string each: the hearing corpus check reads every string literal in these tests)
    assert set("order password refund balance internet agent".split()) <= set(words)
    assert not set("the my is to".split()) & set(words)
