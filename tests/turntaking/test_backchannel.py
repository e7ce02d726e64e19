import pytest

from voice.turntaking.backchannel import BACKCHANNEL_MAX_MS, is_backchannel

BACKCHANNELS = [
    ("", 150),
    ("   ", 400),
    ("[Music]", 300),
    ("(coughs)", 200),
    (".", 120),
    ("Mhm.", 400),
    ("Mm-hmm.", 450),
    ("mm hmm", 450),
    ("Uh-huh.", 500),
    ("uh huh", 500),
    ("Okay.", 350),
    ("OK", 300),
    ("Yeah.", 250),
    ("Yes.", 300),
    ("Right.", 300),
    ("Sure.", 300),
    ("Got it.", 500),
    ("I see.", 450),
    ("Alright.", 400),
    ("All right.", 500),
    ("Hmm.", 400),
    ("Oh.", 200),
    ("Oh, okay.", 900),
    ("Okay, yeah.", 1000),
    ("Yeah, yeah, yeah.", 1200),
    ("Thank you.", 600),
    ("You", 300),
    ("Mm-hmm", BACKCHANNEL_MAX_MS),
]

INTERRUPTIONS = [
    ("Wait.", 200),
    ("Stop.", 250),
    ("Stop!", 250),
    ("No.", 200),
    ("Nope.", 300),
    ("Hold on.", 400),
    ("Hang on a second.", 800),
    ("No, that's wrong.", 900),
    ("That's not right.", 800),
    ("I need an agent.", 900),
    ("Can I talk to a person?", 1200),
    ("Billing.", 500),
    ("What?", 200),
    ("Sorry?", 300),
    ("Okay, but I want to cancel my order.", 2000),
    ("Yeah, I need an agent.", 1100),
    ("Okay.", 2500),  # one word for 2.5 s of speech: the transcript lost words
    ("Mhm.", BACKCHANNEL_MAX_MS + 1),
]


@pytest.mark.parametrize(("text", "speech_ms"), BACKCHANNELS)
def test_acknowledgements_and_noise_are_backchannels(text: str, speech_ms: float) -> None:
    assert is_backchannel(text, speech_ms)


@pytest.mark.parametrize(("text", "speech_ms"), INTERRUPTIONS)
def test_requests_and_stop_words_interrupt(text: str, speech_ms: float) -> None:
    assert not is_backchannel(text, speech_ms)


def test_max_is_a_sensible_acknowledgement_length() -> None:
    assert 400 <= BACKCHANNEL_MAX_MS <= 1000
