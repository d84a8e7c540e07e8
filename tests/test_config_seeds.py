"""Every YAML example of the model-compose chapter (13: listeners and gateways) is a fixture here.

The complete ones must validate; every incomplete fragment must fail with a message that names what is missing
and where (file:line:col and key path). Fixture files are the examples verbatim, numbered in document order
and named after their section.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hookdeck_tui.config import check_config_text

FIXTURES = Path(__file__).parent / "fixtures" / "model_compose"

VALID = {
    "01-s13_2_2.yaml", "02-s13_2_3.yaml", "03-s13_2_3.yaml", "04-s13_2_5.yaml", "05-s13_2_6.yaml",
    "06-s13_2_6.yaml", "07-s13_2_7.yaml", "21-s13_4_2.yaml", "22-s13_4_2.yaml", "23-s13_4_3.yaml",
    "24-s13_4_4.yaml", "25-s13_4_4.yaml", "26-s13_4_5.yaml", "28-s13_4_6.yaml", "29-s13_5_1.yaml",
}
_NO_TYPE = "listener.type: missing required key `type` (the listener type: one of http-callback, http-trigger, capture)"
# fixture → the errors, each as "line:col: key.path: message" (message may be a prefix)
INVALID = {
    "08-s13_2_8.yaml": ["2:3: " + _NO_TYPE],
    "09-s13_2_8.yaml": ["2:3: " + _NO_TYPE],
    "10-s13_2_8.yaml": ["2:3: " + _NO_TYPE],
    "11-s13_3_2.yaml": ["7:13: listener.workflow: workflow `my-workflow` is not defined"],
    "12-s13_3_3.yaml": ["7:13: listener.workflow: workflow `deployment-workflow` is not defined"],
    "13-s13_3_3.yaml": [
        "10:17: listener.triggers[0].workflow: workflow `ci-build` is not defined",
        "19:17: listener.triggers[1].workflow: workflow `slack-handler` is not defined",
        "29:17: listener.triggers[2].workflow: workflow `data-processing` is not defined",
    ],
    "14-s13_3_5.yaml": ["9:13: listener.workflow: workflow `item-processor` is not defined"],
    "15-s13_3_6.yaml": ["5:13: listener.workflow: workflow `my-workflow` is not defined"],
    "16-s13_3_7.yaml": ["4:13: listener.workflow: workflow `my-workflow` is not defined"],
    "17-s13_3_7.yaml": ["4:13: listener.workflow: workflow `my-workflow` is not defined"],
    "18-s13_3_7.yaml": ["4:13: listener.workflow: workflow `my-workflow` is not defined"],
    "19-s13_3_8.yaml": [
        "19:18: workflow.jobs[0].component: component `git-clone` is not defined",
        "25:18: workflow.jobs[1].component: component `run-tests` is not defined",
        "29:18: workflow.jobs[2].component: component `github-status` is not defined",
    ],
    "20-s13_3_8.yaml": [
        "19:18: workflow.jobs[0].component: component `nlp-analyzer` is not defined",
        "24:18: workflow.jobs[1].component: component `slack-client` is not defined",
    ],
    "27-s13_4_5.yaml": ["8:5: components.service: an http-client needs `base_url:` (with `path:`) or `endpoint:`"],
    "30-s13_5_3.yaml": ["7:3: " + _NO_TYPE],
    "31-s13_5_3.yaml": [
        "10:3: " + _NO_TYPE,
        "15:5: components.service.type: missing required key `type` (the component type: one of http-client, "
        "logger, shell)",
    ],
    "32-s13_6.yaml": ["3:5: components.service: an http-client needs `base_url:` (with `path:`) or `endpoint:`"],
    "33-s13_6.yaml": ["2:3: " + _NO_TYPE],
    "34-s13_6.yaml": [
        "4:18: workflow.jobs[0].component: component `async-service` is not defined",
        "8:22: workflow.jobs[0].on_error[0].component: component `async-service` is not defined",
    ],
    "35-s13_6.yaml": ["2:3: " + _NO_TYPE],
    "36-s13_6.yaml": ["4:18: workflow.jobs[0].component: component `external-api` is not defined"],
    "37-s13_6.yaml": ["2:3: " + _NO_TYPE],
}


def test_every_fixture_is_classified() -> None:
    names = {path.name for path in FIXTURES.glob("*.yaml")}
    assert len(names) == 37
    assert names == VALID | set(INVALID)
    assert not VALID & set(INVALID)


@pytest.mark.parametrize("name", sorted(VALID))
def test_complete_examples_validate(name: str) -> None:
    config, problems = check_config_text((FIXTURES / name).read_text(), name)
    assert config is not None, [str(p) for p in problems]
    assert all(p.severity == "warning" for p in problems)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_fragments_fail_naming_what_is_missing_and_where(name: str) -> None:
    config, problems = check_config_text((FIXTURES / name).read_text(), name)
    assert config is None
    errors = [str(p).removeprefix(f"{name}:") for p in problems if p.severity == "error"]
    assert len(errors) == len(INVALID[name]), errors
    for error, expected in zip(errors, INVALID[name], strict=True):
        assert error.startswith(expected), error


def test_image_example_is_fully_understood() -> None:
    """13.5.1: the flagship callback example — routes, gateway, components and the two-job workflow."""
    config, _ = check_config_text((FIXTURES / "29-s13_5_1.yaml").read_text(), "image.yaml")
    assert config is not None
    (listener,) = config.listeners
    assert (listener.type, listener.host, listener.port, listener.max_concurrent_count) == \
        ("http-callback", "0.0.0.0", 8090, 5)
    (route,) = listener.routes
    assert (route.kind, route.path, route.methods) == ("callback", "/webhooks/image/completed", ("POST",))
    assert route.spec.success_when == ["completed", "success"]
    assert route.spec.result.raw == {"url": "${body.output.url}", "width": "${body.output.width}",
                                     "height": "${body.output.height}"}
    (gateway,) = config.gateways
    assert (gateway.type, gateway.driver, gateway.port) == ("http-tunnel", "ngrok", 8090)
    assert set(config.components) == {"image-generator", "image-optimizer"}
    workflow = config.workflows["default"]
    assert [job.id for job in workflow.model.jobs] == ["generate", "optimize"]
    assert workflow.model.jobs[1].output.raw["savings"] == "${output.original_size - output.compressed_size}"


def test_slack_gateway_example_warns_about_unset_env_but_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    config, problems = check_config_text((FIXTURES / "28-s13_4_6.yaml").read_text(), "slack.yaml")
    assert config is not None
    assert any("SLACK_BOT_TOKEN is not set" in str(p) and p.severity == "warning" for p in problems)
    assert config.listeners[0].routes[0].path == "/slack/events"


def test_the_readme_states_what_loads() -> None:
    """The README says how many of the chapter's examples are complete and how many are fragments: keep it true."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert f"the {len(VALID)} complete configs validate" in readme
    assert f"the other {len(INVALID)} are fragments" in readme
