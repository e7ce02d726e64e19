"""Intent understanding: YAML intent files, text normalising, fuzzy matching, slots, replies.

Import from the submodules (``voice.intents.loader``, ``.matcher``, ``.slots``, ...).
"""
