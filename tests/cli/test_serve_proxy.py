"""`voice serve` believes X-Forwarded-For and X-Forwarded-Proto only from its proxy.

It used to believe them from any sender (``forwarded_allow_ips="*"``): a client naming a
new address in each request was a new client to the admin-token throttle every time. The
whole path, through a real nginx, is in tests/e2e/test_two_instances.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn

from voice.cli import main


@pytest.mark.parametrize(
    ("configured", "trusted"),
    [(None, "127.0.0.1"), ("10.0.0.0/8,192.0.2.7", "10.0.0.0/8,192.0.2.7")],
)
def test_serve_trusts_forwarded_headers_from_the_proxy_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, configured: str | None, trusted: str
) -> None:
    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: started.update(kwargs))
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    if configured is not None:
        monkeypatch.setenv("FORWARDED_ALLOW_IPS", configured)
    assert main(["serve"]) == 0
    assert started["proxy_headers"] is True
    assert started["forwarded_allow_ips"] == trusted
