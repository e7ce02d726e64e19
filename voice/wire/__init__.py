"""Twilio's formats, with no routes and no sockets: webhook forms as typed values, the
request signature check, TwiML built from the call's replies, Media Streams messages in
and out, and fetching a ``<Record>`` recording.

Above the call orchestration (``voice.calls``), whose replies TwiML reads; below the
FastAPI dependencies (``voice.deps``) and the transport (``voice.telephony``) that use it.
"""
