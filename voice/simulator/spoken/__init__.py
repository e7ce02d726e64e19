"""Spoken evaluation: what callers' requests become after the phone line and the service's
hearing (voice detection, end of turn, Whisper), through the real call code paths."""
