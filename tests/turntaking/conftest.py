"""The turn-taking tests hear the same synthesized clips as the speech tests."""

from tests.speech.conftest import executor

__all__ = ["executor"]
