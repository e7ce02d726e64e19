import pytest

from voice.text.normalise import joined_digit_runs, normalise, normalised_tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" I forgot my password.", "i forgot my password"),
        ("My order number is 4-5-7-1-2.", "my order number is 4 5 7 1 2"),
        ("WHERE'S   my\torder?!", "where is my order"),
        ("I can't log in", "i can not log in"),
        ("I cannot log in", "i can not log in"),
        ("It’s not working", "it is not working"),  # curly apostrophe
        ("My package hasn't arrived", "my package has not arrived"),
        ("I'd like a refund", "i would like a refund"),
        ("The order's late", "the order late"),
        ("Café opening hours", "cafe opening hours"),
        ("My Wi-Fi is down", "my wifi is down"),
        ("", ""),
        ("...", ""),
    ],
)
def test_cleans_text(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Um, hi, so like, my package never showed up, you know?", "my package never showed up"),
        ("Hello there, I mean, where's my order?", "where is my order"),
        ("Good morning. I need help with my bill.", "i need help with my bill"),
        ("Okay so uh I forgot my password", "i forgot my password"),
        ("Well, hey, what are your hours please", "what are your hours"),
        ("Oh, hi. Actually I want a refund", "i want a refund"),
        # meaning words survive
        ("I would like a refund", "i would like a refund"),
        ("It looks like my order is lost", "it looks like my order is lost"),
        ("Do you know when you are open", "do you know when you are open"),
        ("What I mean is my bill is wrong", "what i mean is my bill is wrong"),
        ("So what are your hours", "what are your hours"),
        ("The service is so slow", "the service is so slow"),  # "so" only dropped at start
        ("Is the store open well into the evening", "is the store open well into the evening"),
        ("No, okay", "no okay"),  # "okay" only dropped at the start
    ],
)
def test_drops_fillers_but_keeps_meaning(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("four five seven one two", "4 5 7 1 2"),
        ("forty five", "45"),
        ("forty-five", "45"),
        ("four oh five", "4 0 5"),
        ("nine oh", "9 0"),
        ("double five", "55"),
        ("triple seven", "777"),
        ("double oh seven", "00 7"),
        ("order number forty five seven twelve", "order number 45 7 12"),
        ("two hundred and six", "206"),
        ("a hundred dollars", "100 dollars"),
        ("one hundred twenty three", "123"),
        ("five thousand three hundred", "5300"),
        ("forty five thousand seven hundred twelve", "45712"),
        ("two thousand and five", "2005"),
        ("nineteen ninety nine", "19 99"),
        ("twelve thirteen", "12 13"),
        ("zero one two", "0 1 2"),
        ("one two three four", "1 2 3 4"),
        ("1,000 dollars", "1000 dollars"),
        # words that only look like numbers stay words
        ("I need a new one", "i need a new one"),
        ("which one is it", "which one is it"),
        ("oh no my internet", "no my internet"),
        ("double check my order", "double check my order"),
        ("I want to track it and then", "i want to track it and then"),
    ],
)
def test_number_words_become_digits(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_keeping_fillers_is_possible() -> None:
    assert normalised_tokens("um, hi, four five", drop_fillers=False) == ["um", "hi", "4", "5"]


def test_idempotent() -> None:
    text = "Um, hi! My order number's four-five-seven, one two; it hasn't come."
    once = normalise(text)
    assert normalise(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order seven. Zero. Zero. Zero. 7.", "order 70007."),
        ("It's 4, 5, 7, 1, 2.", "It's 45712."),
        # Whisper heard each digit as a question (a rising voice between the digits)
        ("The code was five? Five? Three?", "The code was 553?"),
        ("four-five-seven", "457"),
        ("one or two things", "one or two things"),
        ("two, three times", "two, three times"),
        ("I have 1 question", "I have 1 question"),
    ],
)
def test_digit_runs_are_joined_for_the_sentence_model(text: str, expected: str) -> None:
    assert joined_digit_runs(text) == expected
