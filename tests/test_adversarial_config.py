"""Hostile config files through every entry point that reads one: an alias bomb, nesting far past any real
config, an alias inside the node it names. Each must end fast with one located error and exit 2, in bounded
memory (the child runs under a 1 GiB address-space limit: the unbounded loader took 5 GB on the bomb)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from hookdeck_tui.config import check_config_text
from hookdeck_tui.config.yaml_source import MAX_DEPTH, MAX_NODES, load_yaml
from hookdeck_tui.store import CapturedEvent, Store

MEMORY_LIMIT = 1024 ** 3


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """~500 bytes that name 9**9 values when every alias is expanded."""
    lines = ["a0: &a0 [x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


HOSTILE = {
    "alias-bomb": (alias_bomb(), "takes the values that aliases stand for past 100,000 (an alias bomb?)"),
    "deep-sequence": ("x: " + "[" * 20_000 + "]" * 20_000 + "\n", f"nested more than {MAX_DEPTH} levels deep"),
    "deep-mapping": ("x: " + "{a: " * 20_000 + "1" + "}" * 20_000 + "\n", f"nested more than {MAX_DEPTH} levels"),
    "deep-block": ("".join(f"{'  ' * i}k{i}:\n" for i in range(5_000)) + "  " * 5_000 + "v\n",
                   f"nested more than {MAX_DEPTH} levels"),
    "alias-loop": ("a: &a [1, *a]\n", "alias *a is inside the node it names"),
    "huge-integer": ("listener: {type: capture, port: " + "9" * 5_000 + "}\n", "value has 5000 digits"),
    "merge-bomb": (alias_bomb().replace("[", "{k: [").replace("]", "]}") +
                   "listener: {<<: *a9, type: capture}\n", "(an alias bomb?)"),
}


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def hooktui(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hookdeck_tui", *args], capture_output=True, text=True, cwd=cwd,
                          stdin=subprocess.DEVNULL, timeout=60, preexec_fn=_limited)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_config_is_one_located_error(name: str) -> None:
    text, expected = HOSTILE[name]
    config, problems = check_config_text(text, "c.yaml")
    assert config is None
    (problem,) = [p for p in problems if p.severity == "error"]
    assert expected in problem.message
    assert problem.location.file == "c.yaml" and problem.location.line >= 1 and problem.location.column >= 1


ENTRY_POINTS = ["check", "listen", "bare", "run", "replay", "send"]


@pytest.mark.parametrize(("entry", "name"), [(entry, name) for entry in ENTRY_POINTS
                                             for name in ("alias-bomb", "deep-sequence")] +
                         [("check", "alias-loop"), ("listen", "alias-loop"), ("check", "huge-integer"),
                          ("listen", "huge-integer")])
def test_every_entry_point_refuses_a_hostile_config_in_bounded_memory(tmp_path: Path, entry: str,
                                                                      name: str) -> None:
    text, expected = HOSTILE[name]
    (tmp_path / "hooktui.yaml").write_text(text)
    args = {"check": ["check", "-c", "hooktui.yaml"],
            "listen": ["listen", "-c", "hooktui.yaml", "--port", "0", "--db", str(tmp_path / "x.db")],
            "bare": ["--db", str(tmp_path / "x.db")],  # bare `hooktui` reads ./hooktui.yaml
            "run": ["run", "-c", "hooktui.yaml", "--db", str(tmp_path / "x.db")],
            "replay": ["replay", "1", "--db", str(tmp_path / "x.db")],  # ./hooktui.yaml again
            "send": ["send", "-t", "github", "-c", "hooktui.yaml", "http://127.0.0.1:9"]}[entry]
    if entry == "replay":
        with Store(tmp_path / "x.db") as store:
            store.append_sync(CapturedEvent("POST", "/hook", [], b"{}"))
    result = hooktui(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    assert "hooktui.yaml:" in result.stdout + result.stderr and expected in result.stdout + result.stderr


def test_aliases_within_the_bounds_still_work() -> None:
    config, problems = check_config_text("""
components:
  a: &base {type: http-client, endpoint: http://localhost:1/a, method: PUT, headers: &hdr {X-Team: payments}}
  b: {<<: *base, method: GET}
  c: {type: http-client, endpoint: http://localhost:1/c, headers: *hdr}
""", "c.yaml")
    assert config is not None, [str(p) for p in problems]
    assert [config.components[c].method for c in "abc"] == ["PUT", "GET", "POST"]
    assert [config.components[c].headers.raw for c in "abc"] == [{"X-Team": "payments"}] * 3


def test_a_document_under_the_node_bound_loads_with_aliases_shared() -> None:
    """9**4 lists of one value once expanded: under the bound, so it loads; each alias is the same object, not a
    copy."""
    assert MAX_NODES > 2 * 9 ** 4
    source = load_yaml(alias_bomb(levels=4), "c.yaml")
    assert source.problems == []
    top = source.data["a4"]
    assert len(top) == 9 and all(item is top[0] for item in top) and top[0] is source.data["a3"]


def test_a_big_document_without_aliases_is_not_taken_for_a_bomb() -> None:
    source = load_yaml("items: [" + ", ".join(["1"] * (MAX_NODES + 10)) + "]\n", "c.yaml")
    assert source.problems == [] and len(source.data["items"]) == MAX_NODES + 10
