from pathlib import Path

import pytest

from voice.intents.loader import IntentSet, load_intents
from voice.intents.matcher import Matcher
from voice.intents.semantic import SentenceVectors

INTENTS_DIR = Path(__file__).resolve().parents[2] / "intents"


@pytest.fixture(scope="session")
def intent_set() -> IntentSet:
    return load_intents(INTENTS_DIR)


@pytest.fixture(scope="session", params=["semantic", "lexical"])
def matcher(request: pytest.FixtureRequest, intent_set: IntentSet) -> Matcher:
    """The matcher as shipped (with the bundled sentence model) and lexical only
    (INTENT_MODEL=off): both must understand the starter pack and refuse what is not in it."""
    if request.param == "lexical":
        return Matcher(intent_set)
    sentences: SentenceVectors = request.getfixturevalue("sentences")
    return Matcher(intent_set, semantic=sentences)
