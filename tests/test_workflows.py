"""Workflow runs against real local servers: model-compose's image example end to end, callbacks that come early, fail,
progress or never come, model-compose's GitHub/Slack/bulk trigger examples, retries, fallbacks, parallel jobs, shell and
logger components — and every run's history in the store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console
from hookdeck_tui.messages import LogLine
from hookdeck_tui.store import RunRecord, Store, StoreWriteError
from tests.image_service import ImageService
from tests.receiver import Receiver
from tests.waiting import wait_until

SEEDS = Path(__file__).parent / "fixtures" / "model_compose"


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.store = Store(tmp_path / "runs.db")
        self.console: Console | None = None
        self.http = httpx.AsyncClient(timeout=10)

    async def start(self, yaml_text: str, *, gateway_port: int | None = None) -> Console:
        config = parse_config(yaml_text, "wf.yaml")
        for listener in config.listeners:
            listener.port = 0
        urls: dict[int, str] = {}

        def gateway(port: int):  # a stand-in tunnel: the public URL is the listener's own URL
            return {"public_url": urls[port], "port": port} if port in urls else None

        self.console = Console(config, self.store, gateway_resolver=gateway, inspection_port=None)
        await self.console.start()
        if gateway_port is not None:
            urls[gateway_port] = self.console.listener_urls[0]
        return self.console

    async def run(self, workflow: str, run_input: object, timeout: float = 20):
        run = self.console.runner.begin(workflow, run_input)
        await asyncio.wait_for(run.done.wait(), timeout)
        return run

    def states(self, run) -> list[tuple[str, str]]:
        return [(s.job_id, s.state) for s in self.store.job_states(run.id)]

    async def close(self) -> None:
        if self.console is not None:
            await self.console.stop()
        await self.http.aclose()
        self.store.close()


@pytest.fixture
async def world(tmp_path: Path):
    w = World(tmp_path)
    yield w
    await w.close()


@pytest.fixture(autouse=True)
def image_api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The image example reads ${env.IMAGE_AI_KEY} and ${env.IMAGEOPTIM_KEY}."""
    monkeypatch.setenv("IMAGE_AI_KEY", "k-image")
    monkeypatch.setenv("IMAGEOPTIM_KEY", "k-optim")


@pytest.fixture
async def images():
    service = ImageService()
    url = await service.start()
    yield service, url
    await service.stop()


def image_example(service_url: str) -> str:
    """model-compose's image-generation example (fixtures/model_compose/29-s13_5_1.yaml) as written,
    with the two external APIs pointed at the local image service."""
    text = (SEEDS / "29-s13_5_1.yaml").read_text()
    text = text.replace("https://api.image-ai.com/v1", f"{service_url}/v1")
    return text.replace("https://api.imageoptim.com", service_url)


def with_completion(service_url: str, completion: str) -> str:
    """The image example with a `completion:` block on the image generator."""
    return image_example(service_url).replace("      task_id: ${context.run_id}\n",
                                              f"      task_id: ${{context.run_id}}\n    completion: {completion}\n")


async def test_model_compose_image_example_runs_end_to_end(world: World, images) -> None:
    service, url = images
    await world.start(image_example(url), gateway_port=8090)
    run = await world.run("default", {"prompt": "a lighthouse at dusk"})
    assert run.status == "succeeded", run.error
    assert run.output == {"final_url": f"https://img.local/{run.id}.png?optimized", "original_size": 5000,
                          "compressed_size": 1200, "savings": 3800}
    (sent,) = service.generate_requests
    assert sent["body"]["task_id"] == run.id and sent["body"]["size"] == "1024x1024"
    assert sent["body"]["callback_url"] == f"{world.console.listener_urls[0]}/webhooks/image/completed"
    assert sent["authorization"] == "Bearer k-image"
    assert run.outputs["generate"] == {"task_id": run.id, "image_url": f"https://img.local/{run.id}.png",
                                       "width": 1024, "height": 768}
    assert world.states(run) == [
        ("generate", "running"), ("generate", "requesting"), ("generate", "answered"), ("generate", "waiting"),
        ("generate", "resumed"), ("generate", "succeeded"), ("optimize", "running"), ("optimize", "requesting"),
        ("optimize", "answered"), ("optimize", "succeeded")]
    (stored,) = world.store.runs()
    assert (stored.id, stored.status, stored.output["savings"]) == (run.id, "succeeded", 3800)
    callback = world.store.page(limit=1, include_body=True)[0]
    assert callback.path == "/webhooks/image/completed"
    assert callback.match.engine[0] == {"delivered": True, "key": run.id, "run_id": run.id, "job_id": "generate",
                                           "outcome": "success"}


async def test_a_callback_that_beats_the_answer_is_not_lost(world: World, images) -> None:
    service, url = images
    service.callback_first = True  # the callback arrives while the request is still waiting for its 202
    await world.start(image_example(url), gateway_port=8090)
    run = await world.run("default", {"prompt": "x"})
    assert run.status == "succeeded", run.error


async def test_a_callback_before_the_run_registers_is_buffered(world: World, images) -> None:
    service, url = images
    service.never_call_back = True
    text = with_completion(url, '{type: callback, wait_for: "${input.prompt}"}')
    console = await world.start(text, gateway_port=8090)
    early = await world.http.post(f"{console.listener_urls[0]}/webhooks/image/completed", json={
        "task_id": "early-key", "status": "completed", "output": {"url": "u", "width": 1, "height": 2}})
    assert early.status_code == 200
    stored = world.store.get(int(early.headers["X-Hooktui-Event"]))
    assert stored.match.engine[0]["buffered"] is True
    run = await world.run("default", {"prompt": "early-key"})
    assert run.status == "succeeded", run.error
    assert run.outputs["generate"]["image_url"] == "u"


async def test_fail_when_fails_the_run_with_the_status(world: World, images) -> None:
    service, url = images
    service.callback_status = "error"
    await world.start(image_example(url), gateway_port=8090)
    run = await world.run("default", {"prompt": "x"})
    assert run.status == "failed"
    assert run.error == f"job `generate`: the callback for `{run.id}` reported status `error` (fail_when)"
    assert ("generate", "callback_failed") in world.states(run)
    assert world.store.runs()[0].error == run.error


async def test_progress_callbacks_keep_waiting(world: World, images) -> None:
    service, url = images
    service.progress_first = True
    await world.start(image_example(url), gateway_port=8090)
    run = await world.run("default", {"prompt": "x"})
    assert run.status == "succeeded"
    states = [state for job, state in world.states(run) if job == "generate"]
    assert states.index("progress") < states.index("resumed")


async def test_a_callback_that_never_comes_times_out(world: World, images) -> None:
    service, url = images
    service.never_call_back = True
    await world.start(with_completion(url, "{type: callback, timeout: 300}"), gateway_port=8090)
    run = await world.run("default", {"prompt": "x"})
    assert run.status == "timed_out"
    assert run.error == f"job `generate`: no callback for `{run.id}` within 0.3 s"


async def test_an_unset_environment_variable_fails_the_job_naming_it(world: World, images,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    service, url = images
    monkeypatch.delenv("IMAGE_AI_KEY")
    await world.start(image_example(url), gateway_port=8090)
    run = await world.run("default", {"prompt": "x"})
    assert run.status == "failed"
    assert run.error == ("job `generate`: wf.yaml:31:22: components.image-generator.headers.Authorization: "
                         "environment variable IMAGE_AI_KEY is not set (in `${env.IMAGE_AI_KEY}`)")
    assert service.generate_requests == []  # nothing was sent with an empty credential


async def test_a_gateway_without_a_tunnel_is_a_clear_error(world: World, images, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    service, url = images
    monkeypatch.setenv("PATH", str(tmp_path))  # no ngrok anywhere
    monkeypatch.delenv("HOOKTUI_NGROK", raising=False)
    config = parse_config(image_example(url), "wf.yaml")
    config.listeners[0].port = 0
    world.console = Console(config, world.store, inspection_port=None)  # the real tunnel manager this time
    await world.console.start()
    run = await world.run("default", {"prompt": "x"})
    assert run.status == "failed"
    assert ("components.image-generator.body.callback_url: the ngrok tunnel on port 8090 is failed: ngrok is not "
            "installed: install it (https://ngrok.com/download)") in run.error
    assert service.generate_requests == []


TRIGGER_COMPONENTS = """
components:
  {names}
"""


def with_components(seed: str, names: list[str]) -> str:
    """A model-compose trigger example plus the components it names, as loggers that record their input."""
    text = (SEEDS / seed).read_text()
    defined = "".join(f"  {name}: {{type: logger, message: \"{name}: ${{input}}\"}}\n" for name in names)
    return text + "\ncomponents:\n" + defined


async def wait_for_runs(world: World, count: int) -> list[RunRecord]:
    def finished() -> bool:
        runs = world.store.runs()
        return len(runs) >= count and all(r.status != "running" for r in runs)

    await wait_until(finished, 20)
    return world.store.runs()


async def test_model_compose_github_trigger_starts_a_run_with_the_mapped_input(world: World) -> None:
    console = await world.start(with_components("19-s13_3_8.yaml", ["git-clone", "run-tests", "github-status"]))
    push = {"action": "opened", "repository": {"full_name": "acme/widget"},
            "pull_request": {"head": {"ref": "feature/x"}, "user": {"login": "ada"}}}
    response = await world.http.post(f"{console.listener_urls[0]}/github/webhook", json=push)
    assert response.status_code == 200 and response.json()["status"] == "triggered"
    (run,) = await wait_for_runs(world, 1)
    assert run.id == response.json()["task_id"] and run.status == "succeeded"
    assert run.input == {"event": "opened", "repository": "acme/widget", "branch": "feature/x", "author": "ada"}
    assert run.trigger_event == int(response.headers["X-Hooktui-Event"])
    assert [s.job_id for s in world.store.job_states(run.id) if s.state == "succeeded"] == \
        ["checkout", "test", "notify"]


async def test_model_compose_slack_trigger_and_logger_lines_reach_the_log(world: World) -> None:
    console = await world.start(with_components("20-s13_3_8.yaml", ["nlp-analyzer", "slack-client"]))
    logs = console.bus.subscribe(kinds={LogLine})
    event = {"event": {"type": "message", "user": "U1", "channel": "C9", "text": "deploy please"}}
    response = await world.http.post(f"{console.listener_urls[0]}/slack/events", json=event)
    assert response.status_code == 200
    (run,) = await wait_for_runs(world, 1)
    assert run.input == {"event_type": "message", "user": "U1", "channel": "C9", "text": "deploy please"}
    messages = []
    while not logs.queue.empty():
        messages.append(logs.queue.get_nowait().message.message)
    assert 'nlp-analyzer: {"text":"deploy please"}' in messages
    assert any(m.startswith("slack-client: ") and "Processing complete" in m for m in messages)


async def test_model_compose_bulk_trigger_starts_one_run_per_item(world: World) -> None:
    text = (SEEDS / "14-s13_3_5.yaml").read_text() + """
components:
  note: {type: logger, message: "item ${input.item_id}"}
workflows:
  item-processor: {jobs: [{component: note}]}
"""
    console = await world.start(text)
    items = {"items": [{"id": "item-1", "data": {"name": "A"}}, {"id": "item-2", "data": {"name": "B"}},
                       {"id": "item-3", "data": {"name": "C"}}]}
    response = await world.http.post(f"{console.listener_urls[0]}/batch/process", json=items)
    assert len(response.json()) == 3
    runs = await wait_for_runs(world, 3)
    assert sorted(r.input["item_id"] for r in runs) == ["item-1", "item-2", "item-3"]
    assert {r.status for r in runs} == {"succeeded"}


GRAPH = """
listener: {{type: http-callback, port: 0, path: /cb}}
components:
  flaky: {{type: http-client, endpoint: "{app}/flaky", method: POST, body: {{n: "${{input.n}}"}}}}
  slow: {{type: http-client, endpoint: "{app}/slow", method: POST, body: {{who: "${{input.who}}"}}}}
  sh: {{type: shell, command: [sh, -c, "echo $GREETING ${{input.name}}; exit ${{input.code}}"],
        env: {{GREETING: hi}}}}
workflows:
  retrying:
    jobs:
      - {{id: call, component: flaky, input: {{n: 1}}, retry: {{max_attempts: 3, delay: 10}}}}
  fallback:
    jobs:
      - id: main
        component: sh
        input: {{name: x, code: 3}}
        on_error:
          - {{id: rescue, component: sh, input: {{name: rescued, code: 0}}, output: "${{output.stdout}}"}}
  parallel:
    jobs:
      - {{id: a, component: slow, input: {{who: a}}}}
      - {{id: b, component: slow, input: {{who: b}}}}
      - {{id: c, component: sh, depends_on: [a, b], input: {{name: "${{jobs.a.output.who}}+${{jobs.b.output.who}}",
                                                          code: 0}}, output: "${{output.stdout}}"}}
"""


async def test_retry_with_delay_then_success(world: World) -> None:
    receiver = Receiver(answers=[(500, b'{"e": 1}'), (503, b'{"e": 2}'), (200, b'{"done": true}')])
    app = await receiver.start()
    try:
        await world.start(GRAPH.format(app=app))
        run = await world.run("retrying", {})
        assert run.status == "succeeded" and run.output == {"done": True}
        assert [s for j, s in world.states(run)].count("retrying") == 2
        assert len(receiver.requests) == 3
        assert json.loads(receiver.requests[0].body) == {"n": 1}
    finally:
        await receiver.stop()


async def test_on_error_fallback_takes_over(world: World) -> None:
    await world.start(GRAPH.format(app="http://127.0.0.1:9"))
    run = await world.run("fallback", {})
    assert run.status == "succeeded" and run.output == "hi rescued\n"
    (failed,) = [s for s in world.store.job_states(run.id) if s.state == "failed"]
    assert (failed.job_id, failed.detail["reason"]) == ("main",
                                                              "`sh -c echo $GREETING x; exit 3` exited with 3: ")
    assert [(s.job_id, s.state) for s in world.store.job_states(run.id)][-3:] == [
        ("main", "fallback"), ("rescue", "running"), ("rescue", "succeeded")]


async def test_independent_jobs_run_at_the_same_time(world: World) -> None:
    receiver = Receiver(hold=asyncio.Event())
    app = await receiver.start()
    try:
        await world.start(GRAPH.format(app=app))
        run = world.console.runner.begin("parallel", {})

        await wait_until(lambda: len(receiver.requests) == 2)  # b was sent while a was still unanswered
        receiver.answers = [(200, b'{"who": "w"}')]
        receiver.hold.set()
        await asyncio.wait_for(run.done.wait(), 10)
        assert run.status == "succeeded", run.error
        assert run.output == "hi w+w\n"
    finally:
        await receiver.stop()


async def test_two_runs_cannot_wait_on_one_key(world: World, images) -> None:
    service, url = images
    service.never_call_back = True
    await world.start(with_completion(url, "{type: callback, wait_for: same-key, timeout: 2000}"),
                      gateway_port=8090)
    first = world.console.runner.begin("default", {"prompt": "1"})

    await wait_until(lambda: "same-key" in world.console.runner.waiters.waiting_keys())
    second = await world.run("default", {"prompt": "2"})
    assert second.status == "failed"
    assert f"run {first.id} (job generate) already waits for a callback keyed `same-key`" in second.error


BULK_CALLBACKS = """
listener:
  type: http-callback
  port: 0
  path: /batch/completed
  bulk: true
  item: ${{body.results}}
  identify_by: ${{item.task_id}}
  status: ${{item.status}}
  success_when: [completed]
  result: ${{item.data}}
components:
  submit:
    type: http-client
    endpoint: "{app}/submit"
    body: {{task_id: "${{input.key}}"}}
    completion: {{type: callback, wait_for: "${{input.key}}"}}
workflow:
  id: batch
  jobs: [{{id: submit, component: submit, input: {{key: "${{input.key}}"}}, output: "${{output.url}}"}}]
"""


async def test_a_bulk_callback_resolves_each_waiting_run(world: World) -> None:
    receiver = Receiver()
    app = await receiver.start()
    try:
        console = await world.start(BULK_CALLBACKS.format(app=app))
        first = console.runner.begin("batch", {"key": "task-1"})
        second = console.runner.begin("batch", {"key": "task-2"})
        await wait_until(lambda: set(console.runner.waiters.waiting_keys()) == {"task-1", "task-2"})
        response = await world.http.post(f"{console.listener_urls[0]}/batch/completed", json={"results": [
            {"task_id": "task-1", "status": "completed", "data": {"url": "https://r/1.png"}},
            {"task_id": "task-2", "status": "completed", "data": {"url": "https://r/2.png"}},
            {"task_id": "task-3", "status": "completed", "data": {"url": "https://r/3.png"}}]})
        assert response.status_code == 200
        await asyncio.wait_for(asyncio.gather(first.done.wait(), second.done.wait()), 10)
        assert (first.status, first.output) == ("succeeded", "https://r/1.png")
        assert (second.status, second.output) == ("succeeded", "https://r/2.png")
        event = world.store.get(int(response.headers["X-Hooktui-Event"]))
        assert [d.get("run_id") for d in event.match.engine] == [first.id, second.id, None]
        assert event.match.engine[2]["reason"].startswith("no waiter for `task-3` yet")
    finally:
        await receiver.stop()


async def test_the_builtin_logger_needs_no_definition(world: World) -> None:
    await world.start("""
listener: {type: http-callback, port: 0, path: /cb}
workflow:
  id: note
  jobs: [{id: say, component: logger, input: {message: "plain ${input.x}"}}]
""")
    run = await world.run("note", {"x": 1})
    assert run.status == "succeeded", run.error
    assert run.output == {"level": "info", "message": "plain 1", "data": None}


@pytest.mark.parametrize("failing", ["running", "succeeded"])
async def test_a_run_whose_state_cannot_be_stored_still_ends(world: World, monkeypatch: pytest.MonkeyPatch,
                                                             failing: str) -> None:
    """The store refusing the run's first or last state (a full disk, a dead writer process) must not leave the
    run hanging: it ends, and `done` is set for whoever waits (`hooktui run` waited forever)."""
    await world.start("listener: {type: http-callback, port: 0, path: /cb}\n"
                      "components:\n  greet: {type: shell, command: [echo, hi]}\n"
                      "workflow:\n  jobs: [{id: say, component: greet}]\n")
    save_run = world.store.save_run

    async def refusing(run_id, workflow, status, **kwargs):
        if status == failing:
            raise StoreWriteError("the disk is full")
        return await save_run(run_id, workflow, status, **kwargs)

    monkeypatch.setattr(world.store, "save_run", refusing)
    run = world.console.runner.begin("default", {})
    await asyncio.wait_for(run.done.wait(), 10)
    assert run.status == ("failed" if failing == "running" else "succeeded")
    if failing == "running":
        assert run.error == "internal error: the disk is full"


DEFAULT_KEY = """
listener:
  type: http-callback
  port: 0
  callbacks:
    - {{path: /task/done, method: POST}}
components:
  worker: {{type: http-client, endpoint: "{app}/start", method: POST, body: {{{body}}}{completion}}}
workflow:
  jobs:
    - {{id: work, component: worker}}
"""


@pytest.mark.parametrize("body, completion", [
    ("job: 1", ", completion: {type: callback, timeout: 5000}"),  # the chapter's form: no `wait_for`
    ('callback_url: "${env.CB}"', ""),  # no `completion:`, but the body names the callback route
], ids=["completion-without-wait_for", "callback-url-in-body"])
async def test_a_route_without_identify_by_resumes_the_run_waiting_on_the_default_key(
        world: World, monkeypatch: pytest.MonkeyPatch, body: str, completion: str) -> None:
    """model-compose's rule: a callback route with no `identify_by` delivers under `__callback__`, and a job that
    waits with no `wait_for` waits on `__callback__`, so the callback resumes the run (it used to wait on its run
    id and hang until its timeout)."""
    receiver = Receiver(answers=[(202, b'{"accepted": true}')])
    app = await receiver.start()
    try:
        monkeypatch.setenv("CB", "http://127.0.0.1/task/done")
        console = await world.start(DEFAULT_KEY.format(app=app, body=body, completion=completion))
        run = world.console.runner.begin("default", {})
        await wait_until(lambda: "__callback__" in console.runner.waiters.waiting_keys())
        answer = await world.http.post(f"{console.listener_urls[0]}/task/done", json={"image": "done.png"})
        assert answer.status_code == 200
        await asyncio.wait_for(run.done.wait(), 10)
        assert run.status == "succeeded", run.error
        assert run.output == {"accepted": True, "image": "done.png"}
        callback = world.store.page(limit=1, include_body=True)[0]
        assert callback.match.engine[0]["delivered"] is True
        assert callback.match.engine[0]["key"] == "__callback__"
    finally:
        await receiver.stop()
