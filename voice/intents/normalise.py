"""Moved to ``voice.text.normalise`` (the base layer); this name stays for the benchmarks."""

from voice.text.normalise import joined_digit_runs, normalise, normalised_tokens

__all__ = ["joined_digit_runs", "normalise", "normalised_tokens"]
