"""A throwaway PostgreSQL cluster for tests (store tests and a whole call on PostgreSQL).

The cluster is made with the server binaries (``initdb``, ``pg_ctl``, ``createdb``) found on PATH
or under /usr/lib/postgresql/*/bin. It listens only on a Unix socket in its own temp directory
(no TCP port to collide with) and trusts local connections. As root, the binaries run as the
``postgres`` user because initdb refuses root. Without binaries the PostgreSQL variants skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

_SKIP = "PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql to run these"


def _pg_bindir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip(_SKIP)
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="voice-pg-", dir="/tmp" if Path("/tmp").is_dir() else None))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root needs a 'postgres' user; install postgresql to run these")
        as_user = ["runuser", "-u", "postgres", "--"]
        os.chown(root, owner.pw_uid, owner.pw_gid)

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=60)

    data = root / "data"
    settings = f"-c listen_addresses='' -c unix_socket_directories='{root}' -c fsync=off"
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        log = str(root / "log")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", log, "-w", "-o", settings, "start")
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {exc.stderr.decode()}") from exc
    try:
        run(str(bindir / "createdb"), "-h", str(root), "-U", "postgres", "voice_test")
        yield f"postgresql://postgres@/voice_test?host={root}"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def reset_schema(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
