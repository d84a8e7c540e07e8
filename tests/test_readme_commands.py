"""The README's shell commands are true: every `hooktui` line parses with the real parser, every file it names
exists (or an earlier README command writes it), and the ones that start no server run as written in a fresh
directory — the set-up line with `hooktui init`, `check`, `events`, `templates`, and the verify example's output."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from hookdeck_tui.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"
WRITTEN_BY_README = {"hooktui.yaml", "day.har", "event.json", "body.json"}  # init, export, the user's own bodies


def shell_lines() -> list[str]:
    """Each command of the README's ```sh blocks, continuation lines joined, split at `&&`."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            lines.extend(part.strip() for part in line.split("&&") if part.strip())
    return lines


def hooktui_commands() -> list[list[str]]:
    commands = [shlex.split(line, comments=True) for line in shell_lines()]
    return [argv for argv in commands if argv and argv[0] == "hooktui"]


def test_the_readme_shows_the_commands_a_new_user_needs() -> None:
    names = {argv[1] if len(argv) > 1 else "" for argv in hooktui_commands()}
    assert {"", "init", "check", "listen", "run", "events", "show", "send", "sign", "verify"} <= names
    assert ["hooktui", "init", "--template", "modelriver"] in hooktui_commands()
    assert ["hooktui", "run", "generate-image", "-c", "hooktui.yaml", "--input", '{"prompt": "a lighthouse"}'] \
        in hooktui_commands()


@pytest.mark.parametrize("argv", hooktui_commands(), ids=shlex.join)
def test_each_hooktui_line_parses_and_its_files_exist(argv: list[str]) -> None:
    args = build_parser().parse_args(argv[1:])  # a usage error would exit 2 here
    for name in ("config", "file", "data"):
        value = getattr(args, name, None)
        if value and value != "-" and not (args.command in ("init", "import") and name == "file"
                                          and value in WRITTEN_BY_README):
            assert value in WRITTEN_BY_README or (README.parent / value).is_file(), f"{shlex.join(argv)}: no {value}"


def run_line(line: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "HOOKTUI_DB": str(cwd / "readme.db")}
    return subprocess.run(["sh", "-c", line], cwd=cwd, capture_output=True, text=True, timeout=60, env=env)


def test_the_set_up_line_with_init_runs_as_written(tmp_path: Path) -> None:
    (line,) = [line for line in README.read_text().splitlines() if line.startswith("hooktui init --template")]
    assert line.endswith(" && hooktui")  # the console, which a test cannot leave open: the rest runs here
    result = run_line(line.removesuffix(" && hooktui"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote hooktui.yaml (modelriver" in result.stdout and "hooktui.yaml: 3 listener(s)" in result.stdout
    for line in ("hooktui check -c hooktui.yaml", "hooktui templates", "hooktui events --limit 20"):
        assert shlex.split(line) in hooktui_commands()
        result = run_line(line, tmp_path)
        assert result.returncode == 0, (line, result.stderr)


def test_the_verify_example_prints_what_the_readme_shows(tmp_path: Path) -> None:
    text = README.read_text()
    example = re.search(r"```\n\$ (printf .*?)\n(invalid .*?)```", text, re.S)
    command, shown = example.group(1).replace("\\\n", " "), example.group(2).splitlines()
    result = run_line(command, tmp_path)
    assert result.returncode == 1, result.stderr
    printed = result.stdout.splitlines()
    assert printed[0].startswith("invalid (github): signature does not match the configured secret")
    for line in shown[1:3]:  # received and expected: the HMACs themselves
        assert line in printed
