from pathlib import Path

import pytest

from voice.intents.loader import IntentSet, load_intents
from voice.intents.matcher import Matcher

INTENTS_DIR = Path(__file__).resolve().parents[2] / "intents"


@pytest.fixture(scope="session")
def intent_set() -> IntentSet:
    return load_intents(INTENTS_DIR)


@pytest.fixture(scope="session")
def matcher(intent_set: IntentSet) -> Matcher:
    return Matcher(intent_set)
