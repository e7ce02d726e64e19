"""The Twilio transport: webhook routes (``<Record>`` turns, transfers, reply audio) and the
Media Streams WebSocket with its live session and paced player.

The top of the call stack: it parses Twilio's requests with ``voice.wire`` and drives the
call orchestration of ``voice.calls``; nothing below imports it.
"""
