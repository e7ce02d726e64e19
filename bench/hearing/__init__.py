"""The hearing benchmark: the caller-audio corpus spoken through the call paths."""
