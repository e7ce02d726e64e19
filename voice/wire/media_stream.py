"""Twilio Media Streams messages as typed values, and the messages we send back. No I/O.

Shapes follow https://www.twilio.com/docs/voice/media-streams/websocket-messages: JSON text
frames whose counters (``sequenceNumber``, ``media.chunk``, ``media.timestamp``) are decimal
strings; audio is base64 G.711 mu-law at 8 kHz, mono, with no header, usually 20 ms
(160 bytes) a message. Parsing is strict about the fields we use and ignores any others, so
a field Twilio adds tomorrow cannot break a call; an event we do not know becomes
``Unknown`` with the whole message kept.

The server side parses Twilio's messages with ``parse_message`` and builds its own with
``media_message``/``mark_message``/``clear_message``; the simulated Twilio peer parses those
with ``parse_outbound``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from voice.errors import VoiceError

MAX_MESSAGE_BYTES = 64 * 1024
"""Largest message accepted (UTF-8 bytes); a 20 ms media message is about 300."""
FRAME_BYTES = 160
"""One 20 ms frame of 8 kHz mu-law."""
FRAME_SECONDS = 0.020
MULAW_SILENCE = 0xFF
"""The mu-law byte for a zero sample."""
STREAM_TOKEN_PARAMETER = "streamToken"
"""The ``<Parameter>`` of ``<Stream>`` that carries the call's single-use stream ticket;
Twilio hands it back in ``start.customParameters``."""


class ProtocolError(VoiceError):
    """A Media Streams message is malformed; the message says which field and why."""


# ---------------------------------------------------------------------------------------------
# Inbound: what Twilio sends us


@dataclass(frozen=True)
class Connected:
    """First message of every stream; it has no sequence number."""

    protocol: str
    version: str


@dataclass(frozen=True)
class MediaFormat:
    encoding: str  # "audio/x-mulaw"
    sample_rate: int  # Hz, 8000
    channels: int  # 1


@dataclass(frozen=True)
class Start:
    sequence: int
    stream_sid: str
    account_sid: str
    call_sid: str
    tracks: tuple[str, ...]
    custom_parameters: dict[str, str]  # the <Parameter> values of <Stream>
    media_format: MediaFormat


@dataclass(frozen=True)
class Media:
    sequence: int
    stream_sid: str
    track: str  # "inbound" (the caller) or "outbound"
    chunk: int  # 1 for the first media message, then +1
    timestamp_ms: int  # presentation time from the start of the stream
    payload: bytes  # mu-law bytes, base64 already decoded


@dataclass(frozen=True)
class Dtmf:
    sequence: int
    stream_sid: str
    track: str  # "inbound_track"
    digit: str


@dataclass(frozen=True)
class Mark:
    """Twilio's echo of a mark we sent: the audio before it has played (or was cleared)."""

    sequence: int
    stream_sid: str
    name: str


@dataclass(frozen=True)
class Stop:
    sequence: int
    stream_sid: str
    account_sid: str
    call_sid: str


@dataclass(frozen=True)
class Unknown:
    """An event this module does not know; harmless, kept whole for logging."""

    event: str
    raw: dict[str, Any]


StreamEvent = Connected | Start | Media | Dtmf | Mark | Stop | Unknown


def parse_message(text: str | bytes) -> StreamEvent:
    """Parse one message from Twilio; raise ``ProtocolError`` if it is malformed."""
    message = _load(text)
    event = message["event"]
    if event == "connected":
        return Connected(_str(message, "protocol"), _str(message, "version"))
    if event == "start":
        start = _obj(message, "start")
        fmt = _obj(start, "mediaFormat", where="start.")
        return Start(
            sequence=_int(message, "sequenceNumber"),
            stream_sid=_stream_sid(message, start),
            account_sid=_str(start, "accountSid", where="start."),
            call_sid=_str(start, "callSid", where="start."),
            tracks=_tracks(start),
            custom_parameters=_parameters(start),
            media_format=MediaFormat(
                encoding=_str(fmt, "encoding", where="start.mediaFormat."),
                sample_rate=_int(fmt, "sampleRate", where="start.mediaFormat."),
                channels=_int(fmt, "channels", where="start.mediaFormat."),
            ),
        )
    if event == "media":
        media = _obj(message, "media")
        return Media(
            sequence=_int(message, "sequenceNumber"),
            stream_sid=_str(message, "streamSid"),
            track=_str(media, "track", where="media."),
            chunk=_int(media, "chunk", where="media."),
            timestamp_ms=_int(media, "timestamp", where="media."),
            payload=_payload(media),
        )
    if event == "dtmf":
        dtmf = _obj(message, "dtmf")
        return Dtmf(
            sequence=_int(message, "sequenceNumber"),
            stream_sid=_str(message, "streamSid"),
            track=_str(dtmf, "track", where="dtmf."),
            digit=_str(dtmf, "digit", where="dtmf."),
        )
    if event == "mark":
        return Mark(
            sequence=_int(message, "sequenceNumber"),
            stream_sid=_str(message, "streamSid"),
            name=_str(_obj(message, "mark"), "name", where="mark."),
        )
    if event == "stop":
        stop = _obj(message, "stop")
        return Stop(
            sequence=_int(message, "sequenceNumber"),
            stream_sid=_str(message, "streamSid"),
            account_sid=_str(stop, "accountSid", where="stop."),
            call_sid=_str(stop, "callSid", where="stop."),
        )
    return Unknown(event, message)


# ---------------------------------------------------------------------------------------------
# Outbound: what we send Twilio (bidirectional <Connect><Stream> only)


@dataclass(frozen=True)
class OutboundMedia:
    stream_sid: str
    payload: bytes  # mu-law 8 kHz, base64 already decoded


@dataclass(frozen=True)
class OutboundMark:
    stream_sid: str
    name: str


@dataclass(frozen=True)
class OutboundClear:
    stream_sid: str


OutboundMessage = OutboundMedia | OutboundMark | OutboundClear | Unknown


def media_message(stream_sid: str, mulaw: bytes) -> str:
    """Audio for Twilio to play: raw 8 kHz mu-law bytes (no WAV header), any length."""
    payload = base64.b64encode(mulaw).decode("ascii")
    return _dump({"event": "media", "streamSid": stream_sid, "media": {"payload": payload}})


def mark_message(stream_sid: str, name: str) -> str:
    """Ask Twilio to echo ``name`` once the audio sent before it has played (or is cleared)."""
    return _dump({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear_message(stream_sid: str) -> str:
    """Drop all audio Twilio has buffered; it then echoes every pending mark (barge-in)."""
    return _dump({"event": "clear", "streamSid": stream_sid})


def parse_outbound(text: str | bytes) -> OutboundMessage:
    """Parse a message sent to Twilio (what the simulated Twilio peer reads)."""
    message = _load(text)
    event = message["event"]
    if event == "media":
        return OutboundMedia(_str(message, "streamSid"), _payload(_obj(message, "media")))
    if event == "mark":
        name = _str(_obj(message, "mark"), "name", where="mark.")
        return OutboundMark(_str(message, "streamSid"), name)
    if event == "clear":
        return OutboundClear(_str(message, "streamSid"))
    return Unknown(event, message)


def frames(mulaw: bytes, frame_bytes: int = FRAME_BYTES) -> list[bytes]:
    """Split mu-law audio into frames of ``frame_bytes`` (160 = 20 ms at 8 kHz).

    The last frame is padded with mu-law silence (0xFF); empty audio gives no frames.
    """
    if frame_bytes <= 0:
        raise ValueError(f"frame_bytes must be positive, got {frame_bytes}")
    out = [mulaw[i : i + frame_bytes] for i in range(0, len(mulaw), frame_bytes)]
    if out and len(out[-1]) < frame_bytes:
        out[-1] = out[-1] + bytes([MULAW_SILENCE]) * (frame_bytes - len(out[-1]))
    return out


# ---------------------------------------------------------------------------------------------
# Field readers: each names the field and what was wrong with it


def _load(text: str | bytes) -> dict[str, Any]:
    if len(text) > MAX_MESSAGE_BYTES:  # characters: each is at least one byte
        raise ProtocolError(f"message is over the {MAX_MESSAGE_BYTES}-byte limit")
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message is {size} bytes, over the {MAX_MESSAGE_BYTES}-byte limit")
    try:
        message = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise ProtocolError(f"message is not valid JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise ProtocolError(f"message is a JSON {type(message).__name__}, expected an object")
    if "event" not in message:
        raise ProtocolError("message has no 'event' field")
    if not isinstance(message["event"], str):
        raise ProtocolError(f"'event' must be a string, got {message['event']!r}")
    return message


def _field(obj: dict[str, Any], key: str, where: str) -> Any:
    if key not in obj or obj[key] is None:
        raise ProtocolError(f"message has no '{where}{key}' field")
    return obj[key]


def _str(obj: dict[str, Any], key: str, where: str = "") -> str:
    value = _field(obj, key, where)
    if not isinstance(value, str):
        raise ProtocolError(f"'{where}{key}' must be a string, got {value!r}")
    return value


def _int(obj: dict[str, Any], key: str, where: str = "") -> int:
    """A non-negative integer, sent as a decimal string (Twilio's way) or a JSON number."""
    value = _field(obj, key, where)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    raise ProtocolError(f"'{where}{key}' must be a non-negative integer, got {value!r}")


def _obj(obj: dict[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = _field(obj, key, where)
    if not isinstance(value, dict):
        raise ProtocolError(f"'{where}{key}' must be an object, got {value!r}")
    return value


def _payload(media: dict[str, Any]) -> bytes:
    text = _str(media, "payload", where="media.")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError(f"'media.payload' is not valid base64: {exc}") from exc


def _stream_sid(message: dict[str, Any], start: dict[str, Any]) -> str:
    """Twilio repeats the stream SID at the top level and in ``start``; either will do."""
    if message.get("streamSid") is not None:
        return _str(message, "streamSid")
    return _str(start, "streamSid", where="start.")


def _tracks(start: dict[str, Any]) -> tuple[str, ...]:
    value = start.get("tracks", [])
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ProtocolError(f"'start.tracks' must be a list of strings, got {value!r}")
    return tuple(value)


def _parameters(start: dict[str, Any]) -> dict[str, str]:
    value = start.get("customParameters")
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ProtocolError(f"'start.customParameters' must be an object of strings, got {value!r}")
    return dict(value)


def _dump(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))
