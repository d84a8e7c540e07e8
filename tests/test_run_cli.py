"""`hooktui run` as a user runs it: progress on stderr, the output as JSON on stdout, exit 0/1/2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = """
listener: {type: http-callback, port: 0, path: /cb}
components:
  greet: {type: shell, command: [echo, "hello ${input.name}"]}
  boom: {type: shell, command: [sh, -c, "echo broken >&2; exit 4"]}
workflows:
  hello:
    jobs:
      - {id: say, component: greet, input: {name: "${input.who}"}, output: "${output.stdout}"}
      - {id: note, component: logger, input: {level: warning, message: "said ${jobs.say.output}"}}
    output: {said: "${jobs.say.output}"}
  broken:
    jobs: [{id: fail, component: boom}]
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "hooktui.yaml"
    path.write_text(CONFIG)
    return path


def hooktui_run(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hookdeck_tui", "run", "-c", str(config), "--db",
                           str(config.parent / "runs.db"), *args], capture_output=True, text=True, timeout=60)


def test_success_prints_progress_and_output(config: Path) -> None:
    result = hooktui_run(config, "hello", "--input", '{"who": "ada"}')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"said": "hello ada\n"}
    progress = result.stderr.splitlines()
    assert progress[0].startswith("listening on http://127.0.0.1:") and progress[1].startswith("run run_")
    assert "  say: running attempt=1" in progress and "  say: succeeded" in progress
    assert "  log warning: said hello ada" in progress
    assert progress.index("  say: succeeded") < progress.index("  note: running attempt=1")


def test_failure_exits_1_with_the_reason(config: Path) -> None:
    result = hooktui_run(config, "broken")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1].endswith(" failed: job `fail`: `sh -c echo broken >&2; exit 4` exited "
                                                   "with 4: broken")


@pytest.mark.parametrize(("args", "message"), [
    (["nope"], "hooktui run: no workflow `nope` (workflows: broken, hello)"),
    ([], "hooktui run: name the workflow to run (workflows: broken, hello)"),
    (["hello", "--input", "{not json"], "hooktui run: --input is not JSON"),
])
def test_usage_errors_exit_2(config: Path, args: list[str], message: str) -> None:
    result = hooktui_run(config, *args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(message)
    assert "Traceback" not in result.stderr


def test_run_history_is_stored(config: Path) -> None:
    hooktui_run(config, "hello", "--input", '{"who": "bo"}')
    from hookdeck_tui.store import Store

    with Store(config.parent / "runs.db") as store:
        (run,) = store.runs()
        assert (run.workflow, run.status, run.input) == ("hello", "succeeded", {"who": "bo"})
        assert [s.state for s in store.job_states(run.id)] == ["running", "succeeded", "running", "succeeded"]


def hooktui(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hookdeck_tui", *args, "--db", str(config.parent / "runs.db")],
                          capture_output=True, text=True, timeout=60)


def test_runs_lists_runs_and_shows_a_timeline_headless(config: Path) -> None:
    assert hooktui_run(config, "hello", "--input", '{"who": "ada"}').returncode == 0
    assert hooktui_run(config, "broken").returncode == 1
    listed = hooktui(config, "runs")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[3:5] for line in lines] == [["hello", "succeeded"], ["broken", "failed"]]
    run_id = lines[0].split()[0]
    shown = hooktui(config, "runs", run_id)
    assert shown.returncode == 0, shown.stderr
    steps = [line.split()[1:3] for line in shown.stdout.splitlines()[1:] if line.startswith("  +")]
    assert steps == [["say", "running"], ["say", "succeeded"], ["note", "running"], ["note", "succeeded"]]
    assert shown.stdout.splitlines()[-1] == '  output: {"said": "hello ada\\n"}'
    as_json = json.loads(hooktui(config, "runs", run_id.removeprefix("run_"), "--json").stdout)
    assert as_json["id"] == run_id and [s["state"] for s in as_json["timeline"]][-1] == "succeeded"
    broken = [json.loads(line) for line in hooktui(config, "runs", "--json").stdout.splitlines()][1]
    assert broken["state"] == "failed" and "exit" in broken["error"]


def test_runs_of_an_unknown_run_or_store_says_so(config: Path, tmp_path: Path) -> None:
    result = hooktui(config, "runs", "run_nope")
    assert result.returncode == 1 and "no capture store" in result.stderr
    assert hooktui_run(config, "hello").returncode == 0
    result = hooktui(config, "runs", "run_nope")
    assert result.returncode == 1 and "no run run_nope" in result.stderr and "Traceback" not in result.stderr
