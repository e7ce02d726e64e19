"""The project's exception tree. Vendor errors are wrapped in these (``raise ... from exc``)."""


class VoiceError(Exception):
    """Base class for every error the service raises on purpose."""


class ConfigError(VoiceError):
    """A setting or file is wrong; the message says how to fix it. Raised at start-up."""


class IntentFileError(ConfigError):
    """An intent or policy file is invalid; the message names the file and line."""


class SpeechError(VoiceError):
    """Speech-to-text or text-to-speech failed for one utterance."""


class AudioFormatError(SpeechError):
    """Audio bytes could not be decoded (not WAV, unsupported encoding, empty)."""


class RecordingUnavailable(VoiceError):
    """A caller recording could not be downloaded after the allowed retries."""


class CallUnderway(VoiceError):
    """A call was to be greeted again (a replayed webhook) after it had moved on or ended;
    its stored state is kept as it is."""


class StoreError(VoiceError):
    """The database refused or failed an operation."""


class LookupFailed(VoiceError):
    """A fulfillment backend could not answer a lookup (down, too slow, or a bad answer).

    ``kind`` is a ``FailureKind`` value (``timeout``, ``connect``, ...).
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class IntentEditError(VoiceError):
    """An edit to an intent file was refused; the file is unchanged. The message says why."""


class UnknownIntent(IntentEditError):
    """The edit names an intent that no file defines."""


class DuplicateExample(IntentEditError):
    """The example (once normalised) is already an example of some intent."""
