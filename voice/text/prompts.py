"""Everything the bot says that is not an intent's answer. Static texts are cached once."""

from __future__ import annotations

from collections.abc import Sequence

ANYTHING_ELSE = "Is there anything else I can help with?"
WHAT_ELSE = "Sure. What else can I help with?"
GOODBYE = "Thanks for calling. Goodbye!"
CONNECTING = "Okay, I'm connecting you to a person now. Please stay on the line."
VOICEMAIL_NO_AGENT = (
    "Our team can't take calls right now. Please leave your name, number and a short "
    "message after the tone, then press the pound key, and we'll call you back."
)
VOICEMAIL_AFTER_DIAL = (
    "I'm sorry, no one could take your call just now. Please leave your name, number and "
    "a short message after the tone, then press the pound key, and we'll call you back."
)
CLOSED = (
    "Our team is closed right now and will be back {when}. Please leave your name, number "
    "and a short message after the tone, then press the pound key, and we'll call you back."
)
LEAVE_MESSAGE = (
    "Please leave your name, number and a short message after the tone, then press the "
    "pound key, and we'll call you back."
)
VOICEMAIL_SAVED = "Thanks, we've got your message and will call you back soon. Goodbye!"
VOICEMAIL_EMPTY = "I didn't hear a message. Please call us again any time. Goodbye!"
UNCLEAR = "Sorry, the line broke up and I didn't catch that. Could you say it again?"
STILL_THERE = "Are you still there?"
KEY_NOT_USED = "That key isn't used here. Press 0 for a person, or just tell me what you need."
LOOKUP_FAILED = "Sorry, I can't look that up right now."
HOLD_ON = "One moment, let me check."  # live calls, when an answer takes a while (a lookup)
ONE_MOMENT = "One moment."  # live calls, while the caller's words wait for recognition
ASK_PIN = (
    "For your security, please enter your PIN on your keypad, then press pound. "
    "You can also say the digits."
)
SENT_CODE = (
    "I've sent a six-digit code by text message to the phone number on your account. "
    "Please enter it on your keypad, or say it."
)
CODE_AGAIN = "Please enter the digits on your keypad, then press pound."
VERIFY_WRONG = "Sorry, that doesn't match our records. Please try again."
VERIFIED = "Thank you, you're verified."
VERIFY_NEXT = "Thank you. One more step."
CODE_EXPIRED = "That code has expired, so I've sent you a new one."
CANNOT_VERIFY = "I can't confirm who you are on this call, so a person will help you with that."
VERIFY_FAILED = "Sorry, that still doesn't match, so a person will help you with that."
CODE_NOT_SENT = "Sorry, I couldn't send you a code just now."
SLOT_AGAIN = "Please say the digits one at a time, or type them on your keypad and press pound."
TECHNICAL_TROUBLE = "Sorry, I'm having a technical problem."
RETRY = "Sorry, something went wrong on my side. Could you say that again?"
LINE_DROPPED = "Sorry, the line dropped for a moment. What can I help you with?"


HOW_CAN_I_HELP = "How can I help you today? You can press 0 at any time to reach a person."


def greeting(company: str) -> str:
    return f"Thanks for calling {company}. I'm the automated assistant."


def menu(descriptions: Sequence[str]) -> str:
    """'I can help you reset a password, ..., or connect you to a person. How can I help?'"""
    items = [d for d in descriptions if d]
    items.append("connect you to a person")
    listed = ", ".join(items[:-1]) + ", or " + items[-1] if len(items) > 1 else items[0]
    return f"I can {listed}. How can I help?"


def not_understood(descriptions: Sequence[str]) -> str:
    return "Sorry, I didn't quite get that. " + menu(descriptions)


def code_message(company: str, code: str, minutes: int) -> str:
    """The text message that carries a one-time code."""
    return (
        f"{company}: your verification code is {code}. It works once, for {minutes} "
        "minutes. We will never ask you for it except on this call."
    )
