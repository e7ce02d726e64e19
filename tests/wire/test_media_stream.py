"""Media Streams messages: Twilio's documented examples parse, malformed ones are refused."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from voice.wire.media_stream import (
    MAX_MESSAGE_BYTES,
    Connected,
    Dtmf,
    Mark,
    Media,
    MediaFormat,
    OutboundClear,
    OutboundMark,
    OutboundMedia,
    ProtocolError,
    Start,
    Stop,
    StreamEvent,
    Unknown,
    clear_message,
    frames,
    mark_message,
    media_message,
    parse_message,
    parse_outbound,
)

# Examples from https://www.twilio.com/docs/voice/media-streams/websocket-messages, verbatim
# except the media payloads: the docs abbreviate them ("no+JhoaJjpz..."), which is not
# valid base64, so they are cut to the longest valid prefix.
SID = "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
ACCOUNT = "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
CALL = "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
PAYLOAD = "no+JhoaJjpzS"

DOC_CONNECTED = {"event": "connected", "protocol": "Call", "version": "1.0.0"}
DOC_START = {
    "event": "start",
    "sequenceNumber": "1",
    "start": {
        "accountSid": ACCOUNT,
        "streamSid": SID,
        "callSid": CALL,
        "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        "customParameters": {"FirstName": "Jane", "LastName": "Doe", "RemoteParty": "Bob"},
    },
    "streamSid": SID,
}
DOC_MEDIA_OUTBOUND = {
    "event": "media",
    "sequenceNumber": "3",
    "media": {"track": "outbound", "chunk": "1", "timestamp": "5", "payload": PAYLOAD},
    "streamSid": SID,
}
DOC_MEDIA_INBOUND = {
    "event": "media",
    "sequenceNumber": "4",
    "media": {"track": "inbound", "chunk": "2", "timestamp": "5", "payload": PAYLOAD},
    "streamSid": SID,
}
DOC_STOP = {
    "event": "stop",
    "sequenceNumber": "5",
    "stop": {"accountSid": ACCOUNT, "callSid": CALL},
    "streamSid": SID,
}
DOC_DTMF = {
    "event": "dtmf",
    "streamSid": SID,
    "sequenceNumber": "5",
    "dtmf": {"track": "inbound_track", "digit": "1"},
}
DOC_MARK = {
    "event": "mark",
    "sequenceNumber": "4",
    "streamSid": SID,
    "mark": {"name": "my label"},
}
# Messages we send, from the same page ("Send WebSocket messages to Twilio").
DOC_SEND_MEDIA = {"event": "media", "streamSid": SID, "media": {"payload": PAYLOAD}}
DOC_SEND_MARK = {"event": "mark", "streamSid": SID, "mark": {"name": "my label"}}
DOC_SEND_CLEAR = {"event": "clear", "streamSid": SID}

RAW = base64.b64decode(PAYLOAD)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (DOC_CONNECTED, Connected("Call", "1.0.0")),
        (
            DOC_START,
            Start(
                sequence=1,
                stream_sid=SID,
                account_sid=ACCOUNT,
                call_sid=CALL,
                tracks=("inbound",),
                custom_parameters={"FirstName": "Jane", "LastName": "Doe", "RemoteParty": "Bob"},
                media_format=MediaFormat("audio/x-mulaw", 8000, 1),
            ),
        ),
        (DOC_MEDIA_OUTBOUND, Media(3, SID, "outbound", 1, 5, RAW)),
        (DOC_MEDIA_INBOUND, Media(4, SID, "inbound", 2, 5, RAW)),
        (DOC_STOP, Stop(5, SID, ACCOUNT, CALL)),
        (DOC_DTMF, Dtmf(5, SID, "inbound_track", "1")),
        (DOC_MARK, Mark(4, SID, "my label")),
    ],
    ids=["connected", "start", "media-outbound", "media-inbound", "stop", "dtmf", "mark"],
)
def test_documented_messages_parse(message: dict[str, Any], expected: StreamEvent) -> None:
    text = json.dumps(message)
    assert parse_message(text) == expected
    assert parse_message(text.encode()) == expected


def test_extra_fields_are_ignored() -> None:
    start = json.loads(json.dumps(DOC_START))
    start["newTopLevel"] = {"x": 1}
    start["start"]["newInside"] = [1, 2]
    start["start"]["mediaFormat"]["bitDepth"] = 8
    parsed = parse_message(json.dumps(start))
    assert isinstance(parsed, Start)
    assert parsed.media_format == MediaFormat("audio/x-mulaw", 8000, 1)


def test_start_without_optional_fields() -> None:
    start = json.loads(json.dumps(DOC_START))
    del start["streamSid"]  # the SID inside "start" is enough
    del start["start"]["customParameters"]
    del start["start"]["tracks"]
    parsed = parse_message(json.dumps(start))
    assert isinstance(parsed, Start)
    assert (parsed.stream_sid, parsed.custom_parameters, parsed.tracks) == (SID, {}, ())


def test_unknown_event_is_kept_whole() -> None:
    message = {"event": "transcription", "streamSid": SID, "data": {"text": "hi"}}
    assert parse_message(json.dumps(message)) == Unknown("transcription", message)


def _edit(message: dict[str, Any], path: str, value: Any) -> str:
    """``message`` as JSON with ``path`` ("a.b") set to ``value``, or removed if ``...``."""
    copy = json.loads(json.dumps(message))
    *parents, last = path.split(".")
    target = copy
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return json.dumps(copy)


def _edit_dict(message: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != key}


BIG = json.dumps({**DOC_MEDIA_INBOUND, "media": {"payload": "A" * MAX_MESSAGE_BYTES}})


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("not json", "not valid JSON"),
        (b'{"event": "\xff"}', "not valid JSON"),
        ("[1, 2]", "JSON list"),
        ('"media"', "JSON str"),
        ('{"streamSid": "MZ1"}', "no 'event'"),
        ('{"event": 5}', "'event' must be a string"),
        (BIG, "limit"),
        (_edit(DOC_CONNECTED, "version", ...), "'version'"),
        (_edit(DOC_START, "start", ...), "'start'"),
        (_edit(DOC_START, "start", "x"), "'start' must be an object"),
        (_edit(DOC_START, "sequenceNumber", ...), "'sequenceNumber'"),
        (_edit(DOC_START, "start.callSid", ...), "'start.callSid'"),
        (_edit(DOC_START, "start.accountSid", 7), "'start.accountSid' must be a string"),
        (_edit(DOC_START, "start.mediaFormat", ...), "'start.mediaFormat'"),
        (_edit(DOC_START, "start.mediaFormat.sampleRate", "8k"), "sampleRate"),
        (_edit(DOC_START, "start.tracks", "inbound"), "'start.tracks'"),
        (_edit(DOC_START, "start.customParameters", {"n": 1}), "customParameters"),
        (_edit(_edit_dict(DOC_START, "streamSid"), "start.streamSid", ...), "streamSid"),
        (_edit(DOC_MEDIA_INBOUND, "media", ...), "'media'"),
        (_edit(DOC_MEDIA_INBOUND, "media.payload", ...), "'media.payload'"),
        (_edit(DOC_MEDIA_INBOUND, "media.payload", "no+Jh!!"), "base64"),
        (_edit(DOC_MEDIA_INBOUND, "media.payload", "no+Jh"), "base64"),
        (_edit(DOC_MEDIA_INBOUND, "media.chunk", "-1"), "'media.chunk'"),
        (_edit(DOC_MEDIA_INBOUND, "media.chunk", 1.5), "'media.chunk'"),
        (_edit(DOC_MEDIA_INBOUND, "media.timestamp", True), "'media.timestamp'"),
        (_edit(DOC_MEDIA_INBOUND, "media.timestamp", "9" * 40), "'media.timestamp'"),
        (_edit(DOC_MEDIA_INBOUND, "media.track", ...), "'media.track'"),
        (_edit(DOC_MEDIA_INBOUND, "sequenceNumber", "four"), "'sequenceNumber'"),
        (_edit(DOC_MEDIA_INBOUND, "streamSid", None), "'streamSid'"),
        (_edit(DOC_DTMF, "dtmf.digit", ...), "'dtmf.digit'"),
        (_edit(DOC_MARK, "mark", "my label"), "'mark' must be an object"),
        (_edit(DOC_MARK, "mark.name", ...), "'mark.name'"),
        (_edit(DOC_STOP, "stop.callSid", ...), "'stop.callSid'"),
    ],
)
def test_malformed_messages_are_refused(text: str | bytes, complaint: str) -> None:
    with pytest.raises(ProtocolError, match=complaint.replace(".", r"\.")):
        parse_message(text)


def test_builders_match_the_documented_shapes() -> None:
    assert json.loads(media_message(SID, RAW)) == DOC_SEND_MEDIA
    assert json.loads(mark_message(SID, "my label")) == DOC_SEND_MARK
    assert json.loads(clear_message(SID)) == DOC_SEND_CLEAR


@pytest.mark.parametrize("audio", [b"", b"\x00", bytes(range(256)) * 3])
def test_builders_round_trip(audio: bytes) -> None:
    assert parse_outbound(media_message(SID, audio)) == OutboundMedia(SID, audio)
    assert parse_outbound(mark_message(SID, "reply-3 ✓")) == OutboundMark(SID, "reply-3 ✓")
    assert parse_outbound(clear_message(SID)) == OutboundClear(SID)
    assert parse_outbound('{"event": "dance"}') == Unknown("dance", {"event": "dance"})
    with pytest.raises(ProtocolError, match="base64"):
        parse_outbound(json.dumps({**DOC_SEND_MEDIA, "media": {"payload": "@"}}))


def test_frames_are_20_ms_and_padded_with_silence() -> None:
    assert frames(b"") == []
    assert frames(b"\x01" * 320) == [b"\x01" * 160, b"\x01" * 160]
    split = frames(b"\x01" * 400)
    assert [len(f) for f in split] == [160, 160, 160]
    assert split[-1] == b"\x01" * 80 + b"\xff" * 80
    assert frames(b"\x01\x02\x03", frame_bytes=2) == [b"\x01\x02", b"\x03\xff"]
    with pytest.raises(ValueError, match="positive"):
        frames(b"\x01", frame_bytes=0)
