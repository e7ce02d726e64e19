"""The bot's audio player: what the caller heard of a reply cut short."""

from __future__ import annotations

from voice.simulator.spoken.clock import run_virtual, virtual_loop
from voice.telephony.player import PlaybackReport, Player

SENTENCE = "You can return most items within thirty days for a full refund."
THREE_SECONDS = b"\xff" * 160 * 150  # mu-law silence, 150 frames of 20 ms


async def _elapse(seconds: float) -> None:
    """Move the virtual clock on in 20 ms steps (the player paces its frames by it)."""
    loop = virtual_loop()
    for _ in range(round(seconds / 0.02)):
        await loop.advance(0.02)


async def _cut(pauses: list[float]) -> PlaybackReport:
    """Play SENTENCE; after each wait in ``pauses`` pause, and resume before the next."""
    sent: list[str] = []

    async def send(message: str) -> None:
        sent.append(message)

    player = Player("MZ" + "0" * 32, send)
    player.begin()
    player.add(SENTENCE, THREE_SECONDS)
    player.finish()
    for index, wait_s in enumerate(pauses):
        if index:
            await player.resume()
        await _elapse(wait_s)
        await player.pause()
    report = await player.stop()
    await player.close()
    return report


def test_a_cut_sentence_is_heard_in_proportion() -> None:
    report = run_virtual(_cut([1.5]))
    assert report.interrupted
    assert report.heard == ["You can return most items within..."]  # half of it heard


def test_a_resumed_sentence_cut_again_keeps_what_was_heard_first() -> None:
    # A short overlap paused the bot, it resumed from the sentence's start, and the caller
    # cut in again 150 ms later: the caller had still heard the first half of it.
    report = run_virtual(_cut([1.5, 0.15]))
    assert report.heard == ["You can return most items within..."]
    # ... and a resume that got further than the first pause reports the further point
    report = run_virtual(_cut([0.6, 2.0]))
    assert report.heard == ["You can return most items within thirty days..."]


async def _hung_up_mid_reply() -> tuple[PlaybackReport, bool]:
    """The caller hangs up while a reply plays: the socket refuses every send after 1 s."""
    sent = 0

    async def send(message: str) -> None:
        nonlocal sent
        sent += 1
        if sent > 50:
            raise RuntimeError('Cannot call "send" once a close message has been sent.')

    player = Player("MZ" + "1" * 32, send)
    player.begin()
    player.add(SENTENCE, THREE_SECONDS)
    player.finish()
    await _elapse(2.0)
    speaking = player.speaking  # False: no wait for marks that will never come
    report = await player.stop() if speaking else await player.wait()
    await player.close()  # must not raise: a send error would skip the stream's teardown
    return report, speaking


def test_a_send_error_ends_the_reply_and_close_does_not_raise() -> None:
    report, speaking = run_virtual(_hung_up_mid_reply())
    assert not speaking
    assert report.interrupted
    assert report.played_ms < 1500  # what was sent before the socket went
