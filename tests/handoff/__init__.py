"""Tests for voice.handoff."""
