"""One call end to end, whatever the transport: hear (speech-to-text), decide (the dialog),
store, speak (replies as audio), and hand over to a person.

Knows nothing of Twilio's formats or of HTTP; ``voice.telephony`` drives it.
"""
