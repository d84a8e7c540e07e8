"""A capture store that is damaged, on a read-only filesystem, or an immutable file: reading commands still read
what can be read (opened read-only), a damaged file is one line naming `hooktui doctor` (never a raw
sqlite3.DatabaseError), and a console that could not store anything refuses to start instead of answering 503 to
every request. The read-only filesystem is a real read-only bind mount in a private mount namespace, and the
immutable file a real `chattr +i`; where this machine does not allow them the test says so and skips."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hookdeck_tui.store import CapturedEvent, Store
from hookdeck_tui.store.access import read_only_uri

HOOKTUI = [sys.executable, "-m", "hookdeck_tui"]


def hooktui(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*HOOKTUI, *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def filled_store(path: Path, count: int = 3000) -> Path:
    with Store(path) as store:
        store.append_many([CapturedEvent("POST", f"/hook/{i}", [("X-Pad", "p" * 100)], b'{"n": "%s"}' % (b"z" * 500))
                           for i in range(count)])
    return path


def damaged_store(path: Path) -> Path:
    """Garbage over pages in the middle of the file: it opens (the header is fine), reading hits the damage."""
    filled_store(path)
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(size // 2)
        file.write(os.urandom(8192))
    return path


@pytest.mark.parametrize("command", [["events", "--json", "--limit", "5000"], ["export", "--format", "ndjson"],
                                     ["export", "--format", "har"]])
def test_a_damaged_store_is_one_line_naming_doctor(tmp_path: Path, command: list[str]) -> None:
    db = damaged_store(tmp_path / "damaged.db")
    result = hooktui(*command, "--db", str(db))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "DatabaseError" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line]
    assert f"the capture store {db} is damaged (database disk image is malformed)" in line
    assert f"hooktui doctor --db {db}" in line


def test_a_file_that_is_no_database_is_named_damaged_too(tmp_path: Path) -> None:
    db = tmp_path / "junk.db"
    db.write_bytes(os.urandom(5000))
    result = hooktui("show", "1", "--db", str(db))
    assert result.returncode == 1 and "is damaged (file is not a database)" in result.stderr
    doctor = hooktui("doctor", "--db", str(db))
    assert doctor.returncode == 1 and "problem: file is not a database" in doctor.stdout


def test_doctor_reports_a_healthy_store_and_a_damaged_one(tmp_path: Path) -> None:
    healthy = hooktui("doctor", "--db", str(filled_store(tmp_path / "ok.db", 10)))
    assert healthy.returncode == 0, healthy.stderr
    assert "rows: events 10, runs 0" in healthy.stdout and "writable: yes" in healthy.stdout
    assert healthy.stdout.rstrip().endswith("integrity: ok")
    damaged = hooktui("doctor", "--db", str(damaged_store(tmp_path / "bad.db")))
    assert damaged.returncode == 1
    assert "problem: " in damaged.stdout and "malformed" in damaged.stdout
    assert "is damaged" in damaged.stderr and "Traceback" not in damaged.stderr
    assert hooktui("doctor", "--db", str(tmp_path / "none.db")).returncode == 2


def test_reading_commands_do_not_change_the_store(tmp_path: Path) -> None:
    db = filled_store(tmp_path / "s.db", 5)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for command in (["events"], ["show", "1", "--json"], ["export"], ["doctor"]):
        assert hooktui(*command, "--db", str(db)).returncode == 0
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_a_directory_nobody_can_write_opens_the_store_immutable(tmp_path: Path) -> None:
    """The decision itself (the mount test below runs it for real where the machine allows)."""
    db = filled_store(tmp_path / "s.db", 1)
    assert read_only_uri(db).endswith("?mode=ro")
    if os.geteuid() != 0:  # root writes anywhere: only a read-only filesystem stops it
        tmp_path.chmod(0o555)
        try:
            assert read_only_uri(db).endswith("?immutable=1")
        finally:
            tmp_path.chmod(0o755)


def _read_only_mount(directory: Path, command: str) -> subprocess.CompletedProcess:
    """Run a shell command with `directory` bind-mounted read-only over itself, in a private mount namespace."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1) here to make a read-only filesystem")
    script = f"mount --bind {directory} {directory} && mount -o remount,bind,ro {directory} && {command}"
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=60)
    if "mount:" in result.stderr or "unshare:" in result.stderr:
        pytest.skip(f"this machine does not allow a private read-only mount: {result.stderr.strip()}")
    return result


def test_a_store_on_a_read_only_filesystem_can_be_read_and_listen_refuses(tmp_path: Path) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    db = filled_store(directory / "s.db", 7)
    run = " ".join(HOOKTUI)
    result = _read_only_mount(directory, f"{run} events --db {db} && {run} show 7 --json --db {db} >/dev/null && "
                                         f"{run} export --db {db} >/dev/null && {run} doctor --db {db}; "
                                         f"{run} listen --port 0 --db {db}; echo listen-exit=$?")
    assert result.stdout.count("POST") == 7, result.stderr
    assert "rows: events 7" in result.stdout and "writable: no" in result.stdout
    assert "listen-exit=2" in result.stdout
    assert f"hooktui listen: cannot open the capture store {db}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def immutable_store(tmp_path: Path):
    db = filled_store(tmp_path / "s.db", 2)
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode:
        pytest.skip("`chattr +i` is not allowed here")
    yield db
    subprocess.run(["chattr", "-i", str(db)], check=True)


def test_listen_on_an_immutable_store_refuses_to_start_and_says_why(immutable_store: Path) -> None:
    result = subprocess.run([*HOOKTUI, "listen", "--port", "0", "--db", str(immutable_store)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert (f"hooktui listen: the capture store {immutable_store} cannot be written (attempt to write a readonly "
            "database); every request would be answered 503") in result.stderr
    assert hooktui("events", "--db", str(immutable_store)).stdout.count("POST") == 2
    doctor = hooktui("doctor", "--db", str(immutable_store))
    assert doctor.returncode == 1 and "writable: no" in doctor.stdout and "cannot be written" in doctor.stderr
