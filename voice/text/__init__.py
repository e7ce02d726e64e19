"""Words, below understanding and hand-over alike: normalising, stop words, numbers and
digits as speech, redaction of personal data, and the bot's fixed prompts.

Pure functions over strings; nothing here imports another package of ``voice``.
"""
