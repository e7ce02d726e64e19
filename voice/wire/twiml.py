"""TwiML for the turn-based mode, built with the ``twilio`` library's ``VoiceResponse``.

Every URL in the TwiML is absolute, built from ``PUBLIC_BASE_URL``; every ``<Record>`` and
``<Dial>`` has its ``action`` set (the default, the current URL, loops).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from twilio.twiml.voice_response import Connect, VoiceResponse

from voice.calls.speaker import Phrase, SpokenReply
from voice.dialog.turns import Action

ALL_KEYS = "0123456789*#"
MAX_SLOT_DIGITS = 12


@dataclass(frozen=True)
class TwimlSettings:
    base_url: str
    agents: tuple[str, ...] = ()  # tried in order
    ws_url: str = ""  # wss:// form of base_url, for Media Streams
    record_timeout_s: int = 2
    record_max_length_s: int = 30
    dial_timeout_s: int = 20
    voicemail_max_length_s: int = 120
    queue_name: str | None = "support"
    workflow_sid: str | None = None  # TaskRouter


class Twiml:
    def __init__(self, settings: TwimlSettings) -> None:
        self.settings = settings

    def url(self, path: str, **query: str | int) -> str:
        suffix = f"?{urlencode(query)}" if query else ""
        return f"{self.settings.base_url}{path}{suffix}"

    def audio_url(self, audio_id: str) -> str:
        return self.url(f"/audio/{audio_id}.wav")

    def reply(self, spoken: SpokenReply, *, errors: int = 0, call_sid: str = "") -> str:
        """Speak the reply, then do what the decision says."""
        response = VoiceResponse()
        self._play(response, spoken.phrases)
        action = spoken.decision.action
        if action is Action.LISTEN:
            self._listen(response, errors=errors)
        elif action is Action.TRANSFER:
            self._dial(response, call_sid=call_sid)
        elif action is Action.VOICEMAIL:
            self._voicemail(response)
        else:
            response.hangup()
        return str(response)

    def connect_stream(self, parameters: dict[str, str]) -> str:
        """Hand the call to the live Media Stream. Values travel as <Parameter>, never in the
        URL. When the stream closes, Twilio asks ``/twilio/stream-ended`` what comes next."""
        response = VoiceResponse()
        connect = Connect(action=self.url("/twilio/stream-ended"), method="POST")
        stream = connect.stream(url=f"{self.settings.ws_url}/twilio/stream")
        for name, value in parameters.items():
            stream.parameter(name=name, value=value)
        response.append(connect)
        return str(response)

    def after_stream(self, spoken: SpokenReply | None, action: Action, call_sid: str = "") -> str:
        """What runs once a stream closed: the hand-over it decided, or the end."""
        response = VoiceResponse()
        if spoken is not None:
            self._play(response, spoken.phrases)
        if action is Action.TRANSFER:
            self._dial(response, call_sid=call_sid)
        elif action is Action.VOICEMAIL:
            self._voicemail(response)
        elif action is Action.LISTEN:
            self._listen(response, errors=0)
        else:
            response.hangup()
        return str(response)

    def collect_digits(self, first: str) -> str:
        """The caller started typing during ``<Record>``: take the rest of the number."""
        response = VoiceResponse()
        response.gather(
            input="dtmf",
            finish_on_key="#",
            timeout=4,
            num_digits=MAX_SLOT_DIGITS,
            action=self.url("/twilio/keys", first=first),
            method="POST",
            action_on_empty_result=True,
        )
        return str(response)

    def trouble(self, spoken: SpokenReply | None, *, text: str, retry: bool, errors: int) -> str:
        """Last resort after an internal error: apologise, then retry or hand over.

        ``spoken`` may be None when even synthesis is down; Twilio's own voice then speaks.
        """
        response = VoiceResponse()
        if spoken is not None:
            self._play(response, spoken.phrases)
        else:
            response.say(text)
        if retry:
            self._listen(response, errors=errors)
        elif self.settings.agents:
            self._dial(response)
        else:
            self._voicemail(response)
        return str(response)

    def empty(self) -> str:
        return str(VoiceResponse())

    def hangup(self) -> str:
        response = VoiceResponse()
        response.hangup()
        return str(response)

    # -- verbs ----------------------------------------------------------------------------

    def _play(self, response: VoiceResponse, phrases: tuple[Phrase, ...]) -> None:
        for phrase in phrases:
            if phrase.audio_id is not None:
                response.play(self.audio_url(phrase.audio_id))
            else:
                response.say(phrase.text)

    def _listen(self, response: VoiceResponse, *, errors: int) -> None:
        query: dict[str, str | int] = {"e": errors} if errors else {}
        response.record(
            action=self.url("/twilio/turn", **query),
            method="POST",
            timeout=self.settings.record_timeout_s,
            max_length=self.settings.record_max_length_s,
            play_beep=False,
            trim="trim-silence",
            finish_on_key=ALL_KEYS,
        )
        # Reached only when nothing was recorded (Twilio skips the action then).
        response.redirect(self.url("/twilio/silence", **query), method="POST")

    def dial_agent(self, spoken: SpokenReply | None, *, agent: int, call_sid: str) -> str:
        response = VoiceResponse()
        if spoken is not None:
            self._play(response, spoken.phrases)
        self._dial(response, agent=agent, call_sid=call_sid)
        return str(response)

    def whisper(self, spoken: SpokenReply, *, agent: int, call_sid: str) -> str:
        """On the agent's leg, before the bridge: the summary, then 1 to accept or 2 to pass.
        No key at all passes too (an answering machine never presses 1)."""
        response = VoiceResponse()
        gather = response.gather(
            input="dtmf",
            num_digits=1,
            timeout=8,
            action=self.url("/twilio/whisper-key", call=call_sid, agent=agent),
            method="POST",
            action_on_empty_result=True,
        )
        for phrase in spoken.phrases:
            if phrase.audio_id is not None:
                gather.play(self.audio_url(phrase.audio_id))
            else:
                gather.say(phrase.text)
        return str(response)

    def enqueue(
        self, spoken: SpokenReply | None, *, queue: str, priority: str, task: str | None
    ) -> str:
        """Put the caller in line; with TaskRouter the summary travels as task attributes."""
        response = VoiceResponse()
        if spoken is not None:
            self._play(response, spoken.phrases)
        common = {
            "wait_url": self.url("/twilio/queue-wait"),
            "wait_url_method": "POST",
            "action": self.url("/twilio/queue-result"),
            "method": "POST",
        }
        if self.settings.workflow_sid and task is not None:
            enqueue = response.enqueue(workflow_sid=self.settings.workflow_sid, **common)
            enqueue.task(task, priority={"urgent": 100, "high": 50}.get(priority, 0))
        else:
            response.enqueue(queue, **common)
        return str(response)

    def queue_wait(self, spoken: SpokenReply | None, *, hold_music: str | None, leave: bool) -> str:
        """While in line: where the caller stands, then hold music (Twilio repeats this)."""
        response = VoiceResponse()
        if leave:
            response.leave()
            return str(response)
        if spoken is not None:
            self._play(response, spoken.phrases)
        if hold_music:
            response.play(hold_music)
        else:
            response.pause(length=10)
        return str(response)

    def _dial(self, response: VoiceResponse, *, agent: int = 0, call_sid: str = "") -> None:
        agents = self.settings.agents
        if not agents or agent >= len(agents):
            self._voicemail(response)
            return
        dial = response.dial(
            action=self.url("/twilio/dial", agent=agent),
            method="POST",
            timeout=self.settings.dial_timeout_s,
            answer_on_bridge=True,
        )
        number = agents[agent]
        whisper = self.url("/twilio/whisper", call=call_sid, agent=agent) if call_sid else None
        if number.startswith("sip:"):
            dial.sip(number, url=whisper)
        elif number.startswith("client:"):
            dial.client(number.removeprefix("client:"), url=whisper)
        else:
            dial.number(number, url=whisper)

    def _voicemail(self, response: VoiceResponse) -> None:
        response.record(
            action=self.url("/twilio/voicemail"),
            method="POST",
            timeout=5,
            max_length=self.settings.voicemail_max_length_s,
            play_beep=True,
            trim="trim-silence",
            finish_on_key="#",
        )
        response.redirect(self.url("/twilio/voicemail"), method="POST")
