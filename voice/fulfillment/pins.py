"""PIN hashes: what a backend keeps of a caller's PIN, and the constant-time check.

Format: ``pbkdf2_sha256$<iterations>$<salt, base64>$<hash, base64>`` (PBKDF2-HMAC-SHA256,
the hash 32 bytes). The service never sees a PIN at rest: the backend hands over the hash
(``Fulfillment.credentials``), the caller's keys are checked against it, and the digits are
dropped. A malformed hash never matches (and is logged without the digits).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from typing import Final

log = logging.getLogger(__name__)

SCHEME: Final = "pbkdf2_sha256"
ITERATIONS: Final = 120_000
MIN_ITERATIONS: Final = 1_000  # a hash with fewer is refused as too weak to trust
MAX_ITERATIONS: Final = 2_000_000  # a hostile backend cannot make one check take minutes


def hash_pin(pin: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The stored form of ``pin`` (digits), with a fresh random salt unless one is given."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return "$".join((SCHEME, str(iterations), _b64(salt), _b64(digest)))


def check_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` is the PIN behind ``stored``; the comparison takes the same time
    wherever the digests differ."""
    parsed = _parse(stored)
    if parsed is None:
        log.warning("a PIN hash from the backend is malformed; the check fails")
        return False
    iterations, salt, expected = parsed
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return hmac.compare_digest(digest, expected)


def _parse(stored: str) -> tuple[int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != SCHEME or not parts[1].isdigit():
        return None
    iterations = int(parts[1])
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        return None
    try:
        salt = base64.b64decode(parts[2], validate=True)
        expected = base64.b64decode(parts[3], validate=True)
    except ValueError:
        return None
    if not salt or len(expected) != hashlib.sha256().digest_size:
        return None
    return iterations, salt, expected


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
