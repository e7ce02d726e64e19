"""Short answers to "Is there anything else I can help with?".

Rule: the reply is read word by word after ``normalise`` (so "um", "please", "actually"
and leading "okay"/"well" are already gone).

* A closing phrase ("that's all", "that's it", "I'm good", "nothing else", "bye", ...) or
  a leading no-word ("no", "nope", "nah", "not really") means ``"no"``.
* A yes-word ("yes", "yeah", "sure", "mm-hmm", ...) or announcing more ("one more thing",
  "I have another question", even after "no") means ``"yes"``.
* Thanks alone ("okay thank you") means ``"no"``; "yeah that's it" closes too.
* Either only counts when the words left over (not yes/no/closing/politeness words) are
  at most ``MAX_EXTRA_WORDS``. More than that is a new request ("yes I also need my
  balance") and the answer is ``None``: the engine matches it as an intent instead.
* Nothing recognisable, or both a yes-word and a no-signal: ``None``.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from voice.text.normalise import normalise

MAX_EXTRA_WORDS: Final = 2


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_YES_WORDS: Final = frozenset(
    {"yes", "yeah", "yea", "yep", "yup", "sure", "absolutely", "definitely", "correct"}
    | {"mhm", "uhhuh", "affirmative", "ya"}
)
_NO_WORDS: Final = frozenset({"no", "nope", "nah", "negative"})
_CLOSING_PHRASES: Final = (
    "that is all",
    "that is it",
    "that will be all",
    "that would be all",
    "that is everything",
    "that is about it",
    "nothing else",
    "not really",
    "not today",
    "i am good",
    "i am fine",
    "i am all set",
    "i am done",
    "all good",
    "all set",
    "i think that is it",
    "we are good",
    "we are done",
    "bye",
    "goodbye",
    "good bye",
    "have a good day",
    "have a nice day",
    "i am ok",
    "i am okay",
)
# Words that neither answer the question nor make a new request.
_NEUTRAL: Final = _word_set(
    "thanks thank you very much so a lot for your help i am it is that is all think "
    "good fine great perfect ok okay cheers one more thing there i have another question "
    "got something else wait do can you help me with"
)
# A further request announced without details: the caller wants to go on.
_MORE_PHRASES: Final = ("another question", "one more thing", "one more question", "something else")
_THANKS: Final = frozenset({"thanks", "thank"})
_SPOKEN_YES: Final = re.compile(r"\b(mm+[- ]?hmm+|uh[- ]?huh)\b", re.IGNORECASE)


def yes_or_no(text: str) -> Literal["yes", "no"] | None:
    """Classify a reply to "anything else?"; see the module docstring for the rule."""
    text = _SPOKEN_YES.sub(" mhm ", text)
    words = normalise(text).split()
    if not words:
        return None
    joined = " ".join(words)
    closing = [p for p in _CLOSING_PHRASES if re.search(rf"\b{p}\b", joined)]
    leftover = joined
    for phrase in closing:
        leftover = re.sub(rf"\b{phrase}\b", " ", leftover)
    rest = [w for w in leftover.split() if w not in _YES_WORDS | _NO_WORDS]
    if len([w for w in rest if w not in _NEUTRAL]) > MAX_EXTRA_WORDS:
        return None
    if any(re.search(rf"\b{p}\b", joined) for p in _MORE_PHRASES):
        return "yes"
    says_yes = any(w in _YES_WORDS for w in words)
    thanks_only = not says_yes and any(w in _THANKS for w in words)
    says_no = bool(closing) or words[0] in _NO_WORDS or thanks_only
    if says_no and says_yes:
        return "no" if closing else None  # "yeah that's it" closes; "no, yes" is unclear
    if says_no:
        return "no"
    return "yes" if says_yes else None
