"""What a user gets from `pip install hookdeck-tui`: the wheel carries every file the package reads, and the
installed `hooktui` works from a directory of its own — the console in a real terminal (tmux), every `--help`,
init/check, sign/verify, listen/send/events/show."""

from __future__ import annotations

import email
import json
import shlex
import shutil
import signal
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from hookdeck_tui.cli import build_parser
from tests.installed.conftest import CHECKOUT, Installed
from tests.test_tunnels import free_port

PACKAGE = CHECKOUT / "hookdeck_tui"


def run(installed: Installed, home: Path, *args: str, input: bytes | None = None, timeout: float = 60,
        **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(installed.hooktui), *args], cwd=home, input=input, capture_output=True,
                          timeout=timeout, env=installed.env(home, **env))


def runtime_files() -> list[str]:
    """Every file under hookdeck_tui/ that is not Python source: the package reads each at run time."""
    return sorted(str(path.relative_to(CHECKOUT)) for path in PACKAGE.rglob("*")
                  if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts)


def test_the_wheel_carries_every_file_the_package_reads(installed: Installed) -> None:
    files = runtime_files()
    assert "hookdeck_tui/tui/hooktui.tcss" in files and "hookdeck_tui/templates/init/modelriver.yaml" in files
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        metadata = email.message_from_bytes(wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))))
    missing = [name for name in files if name not in names]
    assert not missing, f"not in {installed.wheel.name}: {missing}"
    sources = {str(p.relative_to(CHECKOUT)) for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}
    assert sources <= names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert metadata["Name"] == "hookdeck-tui" and metadata["License-Expression"] == "MIT"
    assert {url.split(",")[0] for url in metadata.get_all("Project-URL")} >= {"Homepage", "Source", "Issues"}
    assert "Environment :: Console :: Curses" in metadata.get_all("Classifier")


def test_the_sdist_carries_the_package_its_tests_and_examples(installed: Installed) -> None:
    with tarfile.open(installed.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    expected = {"LICENSE", "README.md", "pyproject.toml", "tests/conftest.py", "tests/installed/conftest.py",
                "examples/modelriver_receiver.py", "benchmarks/startup_bench.py", *runtime_files()}
    expected |= {str(p.relative_to(CHECKOUT)) for p in (CHECKOUT / "examples" / "configs").glob("*.yaml")}
    assert not expected - names, f"not in {installed.sdist.name}: {sorted(expected - names)}"
    assert not [name for name in names if "__pycache__" in name or name.endswith((".pyc", ".db"))]


def test_every_subcommand_answers_help(installed: Installed, home: Path) -> None:
    commands = list(build_parser()._subparsers._group_actions[0].choices)
    assert {"init", "listen", "sign", "verify", "send", "events", "show", "run", "check"} <= set(commands)
    for command in [None, *commands]:
        args = [command, "--help"] if command else ["--help"]
        result = run(installed, home, *args)
        assert result.returncode == 0, result.stderr
        assert result.stdout.decode().startswith(f"usage: hooktui{' ' + command if command else ''} ")
    version = run(installed, home, "--version")
    assert version.stdout.decode().strip() == "hooktui 0.1.0"


def test_init_writes_a_config_that_check_accepts(installed: Installed, home: Path) -> None:
    written = run(installed, home, "init", "--template", "modelriver")
    assert written.returncode == 0, written.stderr
    assert (home / "hooktui.yaml").read_text().startswith("# hooktui.yaml — written by `hooktui init --template")
    checked = run(installed, home, "check")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.decode().startswith(f"ok: {home / 'hooktui.yaml'}: 3 listener(s)")


def test_sign_then_verify(installed: Installed, home: Path) -> None:
    body = b'{"type":"task.ai_generated","channel_id":"ch_1"}'
    signed = run(installed, home, "sign", "--scheme", "modelriver", input=body, HOOKTUI_SECRET="whsec_installed")
    assert signed.returncode == 0, signed.stderr
    headers = [arg for line in signed.stdout.decode().splitlines() for arg in ("-H", line)]
    valid = run(installed, home, "verify", *headers, input=body, HOOKTUI_SECRET="whsec_installed")
    assert (valid.returncode, valid.stdout.decode().split(":")[0]) == (0, "valid (modelriver)")
    invalid = run(installed, home, "verify", *headers, input=body + b"\n", HOOKTUI_SECRET="whsec_installed")
    assert invalid.returncode == 1 and "a trailing newline was added" in invalid.stdout.decode()


def test_listen_send_events_show(installed: Installed, home: Path) -> None:
    db = home / "capture.db"
    listen = subprocess.Popen([str(installed.hooktui), "listen", "--port", "0", "--db", str(db), "--json"],
                              cwd=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=installed.env(home, MODELRIVER_WEBHOOK_SECRET="whsec_installed"))
    try:
        first = listen.stderr.readline()
        assert first.startswith("listening on http://127.0.0.1:"), first + listen.stderr.read()
        url = first.split()[2]
        sent = run(installed, home, "send", "-t", "modelriver.task_ai_generated", url, "--db", str(home / "s.db"),
                   MODELRIVER_WEBHOOK_SECRET="whsec_installed")
        assert sent.returncode == 0, sent.stderr
        assert json.loads(listen.stdout.readline())["signature"]["status"] == "valid"
    finally:
        listen.send_signal(signal.SIGINT)
        _, err = listen.communicate(timeout=30)
    assert listen.returncode == 0, err
    events = run(installed, home, "events", "--limit", "5", HOOKTUI_DB=str(db))
    (line,) = events.stdout.decode().splitlines()
    assert line.startswith("#1 ") and "POST   200  /webhooks/modelriver  ✓ valid modelriver" in line
    shown = run(installed, home, "show", "1", "--json", HOOKTUI_DB=str(db))
    event = json.loads(shown.stdout)
    assert json.loads(event["body"])["type"] == "task.ai_generated"
    assert run(installed, home, "show", "2", HOOKTUI_DB=str(db)).returncode == 1


class Tmux:
    """A real terminal: a detached tmux session on a socket of its own."""

    def __init__(self, home: Path) -> None:
        self.socket = str(home / "tmux.sock")
        self.config = home / "tmux.conf"
        self.config.write_text("set -g remain-on-exit on\n")  # a console that dies leaves its last words on screen

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True, check=True,
                              timeout=30).stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "hooktui")

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            if "Pane is dead" in screen:
                break  # the console exited: what it printed last is on the screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never showed; the screen:\n{self.screen()}")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")
def test_the_console_starts_in_a_terminal_shows_a_request_and_quits(installed: Installed, home: Path) -> None:
    port, rc = free_port(), home / "exit-code"
    env = installed.env(home, HOOKTUI_DB=str(home / "console.db"), TERM="xterm-256color")
    command = f"{shlex.quote(str(installed.hooktui))} --port {port}; echo $? > {shlex.quote(str(rc))}"
    tmux = Tmux(home)
    subprocess.run(["tmux", "-S", tmux.socket, "-f", str(tmux.config), "new-session", "-d", "-s", "hooktui", "-x", "80",
                    "-y", "24", "-c", str(home), *[f"-e{k}={v}" for k, v in env.items() if k != "TMUX"],
                    "sh", "-c", command], check=True, timeout=30, env=env)
    try:
        screen = tmux.wait_for("No requests yet")
        assert f"http://127.0.0.1:{port}" in screen
        curl = subprocess.run(["curl", "--silent", "--max-time", "20", f"http://127.0.0.1:{port}/webhooks/first",
                               "-H", "Content-Type: application/json", "-d", '{"hello": "hooktui"}'],
                              capture_output=True, text=True, timeout=30)
        assert curl.stdout == '{"received":true}'
        tmux.wait_for("/webhooks/first")
        tmux("send-keys", "-t", "hooktui", "q")
        deadline = time.monotonic() + 60
        while not rc.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert rc.exists(), f"the console did not quit; the screen:\n{tmux.screen()}"
        assert rc.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "-S", tmux.socket, "kill-server"], capture_output=True, timeout=30)
