"""Prometheus metrics: turn latency by mode and stage, barge-in reaction, live streams."""

from __future__ import annotations

from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0)


class Lines(Protocol):
    """The live calls of an instance (``voice.calls.capacity.LiveLines``)."""

    capacity: int
    turned_away: int

    @property
    def in_use(self) -> int: ...


class Backlog(Protocol):
    """Work waiting for or in a worker pool (speech recognition)."""

    @property
    def backlog(self) -> int: ...


class Metrics:
    """One registry per app, so tests and several apps in a process don't collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.turn_latency = Histogram(
            "voice_turn_latency_seconds",
            "Stream: caller's last voiced frame to first reply frame sent. "
            "Webhook: turn request in to TwiML out.",
            ["mode"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.stage = Histogram(
            "voice_turn_stage_seconds",
            "Time spent in one stage of a turn (endpoint, download, stt, match, tts_first).",
            ["mode", "stage"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.barge_in = Histogram(
            "voice_barge_in_reaction_seconds",
            "Caller's voice onset over the bot to the clear sent to Twilio.",
            buckets=(0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0),
            registry=self.registry,
        )
        self.backchannels = Counter(
            "voice_backchannels_total",
            "Caller speech over the bot judged a backchannel (the bot went on).",
            registry=self.registry,
        )
        self.sound_pauses = Counter(
            "voice_sound_pauses_total",
            "Sounds over the bot that paused it and were not a voice (a cough, a knock, a "
            "tone): the bot resumed its sentence.",
            registry=self.registry,
        )
        self.early_answers_cut = Counter(
            "voice_early_answers_cut_total",
            "Replies begun before the turn was taken (TURN_RECOVER_MS) and cut off because the "
            "caller went on.",
            registry=self.registry,
        )
        self.active_streams = Gauge(
            "voice_active_streams", "Media Streams open now.", registry=self.registry
        )
        self.calls = Counter(
            "voice_calls_total", "Calls answered.", ["mode"], registry=self.registry
        )
        self.lookups = Counter(
            "voice_fulfillment_lookups_total",
            "Lookups at the fulfillment endpoint by outcome: found, not_found, or a failure "
            "(timeout, connect, disconnected, http_status, too_large, bad_json, bad_shape).",
            ["lookup", "outcome"],
            registry=self.registry,
        )
        self.lookup_latency = Histogram(
            "voice_fulfillment_lookup_seconds",
            "Request to complete answer (or failure) at the fulfillment endpoint.",
            ["lookup"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def watch_lines(self, lines: Lines, speech: Backlog | None) -> None:
        """Saturation, read at each scrape: live calls against capacity, calls turned away,
        utterances waiting for (or in) speech recognition."""
        Gauge(
            "voice_live_calls",
            "Live calls on this instance (open or just answered).",
            registry=self.registry,
        ).set_function(lambda: lines.in_use)
        Gauge(
            "voice_live_capacity",
            "MAX_LIVE_CALLS of this instance (0: no limit).",
            registry=self.registry,
        ).set_function(lambda: lines.capacity)
        Gauge(
            "voice_calls_turned_away",
            "New live calls given the busy path since start.",
            registry=self.registry,
        ).set_function(lambda: lines.turned_away)
        if speech is not None:
            Gauge(
                "voice_speech_backlog",
                "Utterances waiting for speech recognition or being recognised.",
                registry=self.registry,
            ).set_function(lambda: speech.backlog)

    def observe_lookup(self, lookup: str, outcome: str, seconds: float) -> None:
        """Record one request to the fulfillment endpoint."""
        self.lookups.labels(lookup=lookup, outcome=outcome).inc()
        self.lookup_latency.labels(lookup=lookup).observe(seconds)

    def observe_turn(self, mode: str, timings: dict[str, float]) -> None:
        """Record a turn's stage timings (milliseconds, as stored on turns)."""
        for key, value in timings.items():
            if key.endswith("_ms") and key not in (
                "total_ms",
                "eos_to_first_audio_ms",
                "played_ms",
            ):
                self.stage.labels(mode=mode, stage=key.removesuffix("_ms")).observe(value / 1000)
        total = timings.get("eos_to_first_audio_ms", timings.get("total_ms"))
        if total is not None:
            self.turn_latency.labels(mode=mode).observe(total / 1000)
