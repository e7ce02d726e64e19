"""A simulated phone call driven through the same signed webhooks Twilio sends.

The caller follows the service's TwiML verb by verb: ``<Play>`` is fetched, ``<Record>``
gets the next step's audio (published on a loopback ``RecordingHost``) or keys,
``<Gather>`` gets digits, ``<Dial>`` gets the configured agent outcome, ``<Redirect>`` is
followed, ``<Connect><Stream>`` opens a Media Stream (``StreamCaller``) and plays the steps
into it in real time, ``<Hangup>`` or the end of the document ends the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from twilio.request_validator import RequestValidator

from voice.dialog.verification import ATTESTED
from voice.simulator.caller_voice import CallerVoice
from voice.simulator.recording_host import RecordingHost
from voice.simulator.script import Keys, PlayFile, Say, Silence, Step, Tone
from voice.simulator.stream_caller import StreamCaller, StreamCallError, stream_parameters

# What each dialled agent does, attempt by attempt (the last repeats): "completed" answers
# and presses 1 after the whisper, "decline" answers and presses 2, the rest are Twilio's
# DialCallStatus values for a call nobody took.
AgentOutcome = Literal["completed", "decline", "busy", "no-answer", "failed"]
QueueOutcome = Literal["bridged", "leave", "hangup"]
MAX_REQUESTS = 200  # a runaway TwiML loop stops here
STREAM_ANSWER_TIMEOUT_S = 12.0  # silent-turn reprompts come after STREAM_SILENCE_S


class SimulationError(RuntimeError):
    """The service answered something a real Twilio call could not follow."""


@dataclass
class Exchange:
    """One webhook request and the TwiML it got back."""

    path: str
    params: dict[str, str]
    status: int
    twiml: str
    elapsed_ms: float


@dataclass
class CallResult:
    call_sid: str
    exchanges: list[Exchange] = field(default_factory=list)
    played: list[str] = field(default_factory=list)  # audio URLs fetched
    said: list[str] = field(default_factory=list)  # <Say> fallbacks heard
    dialed: list[str] = field(default_factory=list)
    whispers: list[int] = field(default_factory=list)  # clips each answering agent heard
    queued: list[str] = field(default_factory=list)  # queues (or workflows) entered
    hung_up_by: str = "caller"

    def verbs(self) -> list[str]:
        return [el.tag for ex in self.exchanges for el in _parse(ex.twiml)]


class SimulatedCall:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        public_base_url: str,
        auth_token: str,
        account_sid: str,
        recordings: RecordingHost,
        voice: CallerVoice,
        from_number: str = "+15005550006",
        to_number: str = "+15005550001",
        agent: AgentOutcome | list[AgentOutcome] = "completed",
        queue: QueueOutcome = "bridged",
        on_exchange: Callable[[Exchange], Any] | None = None,
        attestation: str = ATTESTED,
    ) -> None:
        self.client = client
        self.public_base_url = public_base_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.auth_token = auth_token
        self.recordings = recordings
        self.voice = voice
        self.agents: list[AgentOutcome] = [agent] if isinstance(agent, str) else list(agent)
        self.queue = queue
        self.on_exchange = on_exchange
        self.call_sid = "CA" + secrets.token_hex(16)
        self.base = {
            "CallSid": self.call_sid,
            "AccountSid": account_sid,
            "From": from_number,
            "To": to_number,
            "Caller": from_number,
            "Called": to_number,
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }
        if attestation:  # SHAKEN/STIR: most calls from US carriers' own customers are "A"
            self.base["StirVerstat"] = attestation

    async def run(self, steps: list[Step]) -> CallResult:
        result = CallResult(call_sid=self.call_sid)
        started = time.monotonic()
        pending = list(steps)
        pending_keys = ""
        verbs = await self._post(result, "/twilio/voice", {"CallStatus": "ringing"})
        while verbs:
            if len(result.exchanges) > MAX_REQUESTS:
                raise SimulationError("too many requests: the TwiML loops")
            verb = verbs.pop(0)
            tag = verb.tag
            if tag == "Play":
                await self._fetch_audio(result, (verb.text or "").strip())
            elif tag == "Say":
                result.said.append(verb.text or "")
            elif tag == "Pause":
                continue
            elif tag == "Record":
                action = _required(verb, "action")
                if not pending:
                    result.hung_up_by = "caller"
                    break
                step = pending.pop(0)
                if isinstance(step, Silence):
                    continue  # nothing recorded: Twilio moves on to the next verb
                if isinstance(step, Keys):
                    pending_keys = step.digits[1:]
                    verbs = await self._post(result, action, {"Digits": step.digits[0]})
                    continue
                verbs = await self._post(result, action, await self._record(step))
            elif tag == "Gather":
                action = _required(verb, "action")
                if not pending_keys and pending and isinstance(pending[0], Keys):
                    step = pending.pop(0)
                    assert isinstance(step, Keys)
                    pending_keys = step.digits
                digits, pending_keys = pending_keys.split("#")[0], ""
                verbs = await self._post(result, action, {"Digits": digits})
            elif tag == "Redirect":
                verbs = await self._post(result, (verb.text or "").strip(), {})
            elif tag == "Dial":
                verbs = await self._dial(result, verb)
            elif tag == "Enqueue":
                verbs = await self._enqueue(result, verb)
            elif tag == "Connect":
                pending, closed_by_server = await self._stream(result, verb, pending)
                if not closed_by_server:
                    result.hung_up_by = "caller"
                    break
                verbs = await self._post(result, _required(verb, "action"), {})
            elif tag == "Hangup":
                result.hung_up_by = "service"
                break
            else:
                raise SimulationError(f"unexpected TwiML verb <{tag}>")
        else:
            result.hung_up_by = "service"
        duration = str(max(1, round(time.monotonic() - started)))
        await self._post(
            result,
            "/twilio/status",
            {"CallStatus": "completed", "SequenceNumber": "3", "CallDuration": duration},
            expect_twiml=False,
        )
        return result

    async def _dial(self, result: CallResult, dial: ET.Element) -> list[ET.Element]:
        """Ring the agent: on answering, the agent leg runs the ``url`` TwiML (the whisper)
        and the agent presses a key; then Twilio posts the ``<Dial action>``."""
        target = dial[0] if len(dial) else None
        result.dialed.append("".join(dial.itertext()).strip())
        outcome = self.agents[min(len(result.dialed) - 1, len(self.agents) - 1)]
        action = _required(dial, "action")
        leg = "CA" + secrets.token_hex(16)
        status = "completed" if outcome in ("completed", "decline") else outcome
        if status == "completed" and target is not None and target.get("url"):
            key = "1" if outcome == "completed" else "2"
            whisper = await self._post(result, target.get("url", ""), {"CallSid": leg}, leg=True)
            gathers = [v for v in whisper if v.tag == "Gather"]
            if not gathers:
                raise SimulationError("the agent's whisper has no <Gather> to accept with")
            plays = list(gathers[0].iter("Play"))
            for play in plays:
                await self._fetch_audio(result, (play.text or "").strip())
            result.whispers.append(len(plays))
            await self._post(
                result, _required(gathers[0], "action"), {"CallSid": leg, "Digits": key}, leg=True
            )
        params = {"DialCallStatus": status, "DialCallSid": leg}
        if outcome == "completed":
            params["DialCallDuration"] = "42"
        return await self._post(result, action, params)

    async def _enqueue(self, result: CallResult, enqueue: ET.Element) -> list[ET.Element]:
        """Wait in line once (position 1), then leave the queue as ``self.queue`` says."""
        result.queued.append((enqueue.text or "").strip() or enqueue.get("workflowSid", ""))
        wait = enqueue.get("waitUrl")
        if wait:
            params = {"QueuePosition": "1", "QueueTime": "5", "CurrentQueueSize": "1"}
            for verb in await self._post(result, wait, params):
                if verb.tag == "Play":
                    await self._fetch_audio(result, (verb.text or "").strip())
        return await self._post(
            result, _required(enqueue, "action"), {"QueueResult": self.queue, "QueueTime": "30"}
        )

    async def _stream(
        self, result: CallResult, connect: ET.Element, steps: list[Step]
    ) -> tuple[list[Step], bool]:
        """Talk over a Media Stream as Twilio would carry the call: each step is played in
        real time, then the caller listens until the bot has finished answering. Returns the
        steps left and whether the server closed the stream (a hand-over or goodbye)."""
        stream = connect.find("Stream")
        if stream is None or not stream.get("url"):
            raise SimulationError("<Connect> without <Stream url>")
        public_url = stream.get("url", "")
        if "?" in public_url:
            raise SimulationError("Media Stream URLs take no query string; use <Parameter>")
        params = stream_parameters(stream)
        base = str(self.client.base_url).rstrip("/")
        ws_url = base.replace("https://", "wss://").replace("http://", "ws://")
        ws_url += urlsplit(public_url).path
        pending = list(steps)
        async with StreamCaller(
            ws_url,
            public_ws_url=public_url,
            auth_token=self.auth_token,
            account_sid=self.base["AccountSid"],
            call_sid=self.call_sid,
            custom_parameters=params,
        ) as caller:
            await self._listen(caller, result, since=time.monotonic())
            while pending and not caller.closed_by_server:
                step = pending.pop(0)
                began = time.monotonic()
                if isinstance(step, Keys):
                    for digit in step.digits:
                        await caller.press(digit)
                        await asyncio.sleep(0.15)
                elif not isinstance(step, Silence):
                    wav = await self._audio(step)
                    await caller.play(caller.say_wav(wav))
                    # The answer is what comes after the caller's last words: a reply begun
                    # during a pause and cut off when they went on (recovery) is not it.
                    voice_end = caller.last_voice_sent_at
                    began = max(began, voice_end) if voice_end is not None else began
                await self._listen(caller, result, since=began)
            closed = caller.closed_by_server
        return pending, closed

    async def _listen(self, caller: StreamCaller, result: CallResult, *, since: float) -> None:
        """Wait for the bot's answer to start and finish (or the stream to close)."""
        with contextlib.suppress(TimeoutError, StreamCallError):
            await caller.wait_for_audio(after=since, timeout=STREAM_ANSWER_TIMEOUT_S)
            await caller.wait_until_quiet(0.8, timeout=120)
        exchange = Exchange("/twilio/stream", {}, 101, "", 0.0)
        result.exchanges.append(exchange)
        if self.on_exchange is not None:
            await _maybe_await(self.on_exchange(exchange))

    async def _audio(self, step: Step) -> bytes:
        if isinstance(step, Say):
            return await self.voice.say(step.text)
        if isinstance(step, PlayFile):
            return self.voice.file(step.path)
        if isinstance(step, Tone):
            return self.voice.tone(step.seconds, step.hz)
        raise SimulationError(f"cannot play {step!r}")

    async def _record(self, step: Step) -> dict[str, str]:
        wav = await self._audio(step)
        sid, url = self.recordings.add(wav)
        seconds = max(1, round((len(wav) - 44) / 16000))
        return {"RecordingUrl": url, "RecordingSid": sid, "RecordingDuration": str(seconds)}

    async def _post(
        self,
        result: CallResult,
        url: str,
        extra: dict[str, str],
        *,
        expect_twiml: bool = True,
        leg: bool = False,
    ) -> list[ET.Element]:
        """POST a signed webhook. ``leg``: a request about the agent's call leg, whose
        ``CallSid`` is in ``extra`` and whose parent is the caller's call."""
        path = self._path(url)
        params = {**self.base, "CallStatus": "in-progress", **extra}
        if leg:
            params |= {"ParentCallSid": self.call_sid, "Direction": "outbound-dial"}
        signature = self.validator.compute_signature(self.public_base_url + path, params)
        started = time.perf_counter()
        response = await self.client.post(
            path,
            data=params,
            headers={
                "X-Twilio-Signature": signature,
                "I-Twilio-Idempotency-Token": secrets.token_hex(16),
            },
        )
        exchange = Exchange(
            path,
            params,
            response.status_code,
            response.text,
            round((time.perf_counter() - started) * 1000, 1),
        )
        result.exchanges.append(exchange)
        if self.on_exchange is not None:
            await _maybe_await(self.on_exchange(exchange))
        if response.status_code >= 400:
            raise SimulationError(f"POST {path} -> {response.status_code}: {response.text[:200]}")
        return _parse(response.text) if expect_twiml else []

    async def _fetch_audio(self, result: CallResult, url: str) -> None:
        response = await self.client.get(self._path(url))
        if response.status_code != 200 or not response.content.startswith(b"RIFF"):
            raise SimulationError(f"<Play> {url} -> {response.status_code}, not a WAV file")
        result.played.append(url)

    def _path(self, url: str) -> str:
        if url.startswith("/"):
            return url
        if not url.startswith(self.public_base_url + "/"):
            raise SimulationError(f"{url!r} is not under PUBLIC_BASE_URL {self.public_base_url}")
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


def _parse(twiml: str) -> list[ET.Element]:
    if not twiml.strip():
        return []
    root = ET.fromstring(twiml)
    if root.tag != "Response":
        raise SimulationError(f"TwiML root is <{root.tag}>, not <Response>")
    return list(root)


def _required(verb: ET.Element, name: str) -> str:
    value = verb.get(name)
    if not value:
        raise SimulationError(f"<{verb.tag}> without {name}: Twilio would loop on the same URL")
    return value


async def _maybe_await(value: Any) -> None:
    if hasattr(value, "__await__"):
        await value
