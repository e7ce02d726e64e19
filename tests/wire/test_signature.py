"""The signature check against Twilio's documented test vector."""

from __future__ import annotations

from voice.wire.signature import SignatureChecker

# From Twilio's security documentation.
DOC_URL = "https://example.com/myapp.php?foo=1&bar=2"
DOC_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675310",
    "Digits": "1234",
    "From": "+14158675310",
    "To": "+18005551212",
}
DOC_SIGNATURE = "L/OH5YylLD5NRKLltdqwSvS0BnU="


def test_documented_vector_validates() -> None:
    checker = SignatureChecker("12345", "https://example.com")
    assert checker.sign(DOC_URL, DOC_PARAMS) == DOC_SIGNATURE
    assert checker.valid(DOC_URL, DOC_PARAMS, DOC_SIGNATURE)


def test_any_change_breaks_it() -> None:
    checker = SignatureChecker("12345", "https://example.com")
    assert not checker.valid(DOC_URL, {**DOC_PARAMS, "Digits": "1235"}, DOC_SIGNATURE)
    assert not checker.valid(DOC_URL.replace("foo=1", "foo=2"), DOC_PARAMS, DOC_SIGNATURE)
    assert not SignatureChecker("54321", "https://example.com").valid(
        DOC_URL, DOC_PARAMS, DOC_SIGNATURE
    )
    assert not checker.valid(DOC_URL, DOC_PARAMS, None)
    assert not checker.valid(DOC_URL, DOC_PARAMS, "")
