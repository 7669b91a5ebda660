"""The Automation pages, the run's live event stream (Server-Sent Events) and the JSON API, on
both databases, with the real use cases and repository; the playbook runner is the fake (the
test plays ansible's part), except in test_automation_e2e.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import attrs
import httpx
import pytest
from dependency_injector import providers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.model.access import SYSTEM
from aiops.domain.model.automation import HostSummary, RunEvent, RunStatus
from aiops.domain.model.playbook_vars import VarType
from aiops.domain.usecases.automation import RunPlaybookCommand
from aiops.entrypoints.http.app import create_app
from aiops.entrypoints.http.run_stream import StreamTiming
from aiops.ports.automation import RunOutcome
from tests.fakes import FakePlaybookCatalogue, FakePlaybookRunner
from tests.integration.http.conftest import World, bearer, csrf, post_form, sign_in
from tests.integration.http.sse import read_sse, serving
from tests.integration.http.test_form_fuzz import TEXT

EVENTS_STREAM = "/automation/runs/{}/events"


@pytest.fixture
def runner(app: Container) -> Iterator[FakePlaybookRunner]:
    fake = FakePlaybookRunner()
    app.gateways.playbook_runner.override(providers.Object(fake))
    yield fake
    fake.stop_all()


@pytest.fixture
def asgi(app: Container, world: World, runner: FakePlaybookRunner) -> Starlette:
    return create_app(app)


@pytest.fixture
def admin(asgi: Starlette) -> Iterator[TestClient]:
    with TestClient(asgi, follow_redirects=False) as client:
        sign_in(client, World.ADMIN)
        yield client


@pytest.fixture
def declared(app: Container) -> None:
    """ping as the shipped folder has it, but declaring extra vars (the shipped one takes none):
    these tests are about passing and masking them, not about ping."""
    strings = ("greeting", "db_password", "who", "deploy_token")
    app.gateways.playbook_catalogue.override(
        providers.Object(
            FakePlaybookCatalogue(
                playbooks={"ping": "Connectivity check", "ai-clis": "AI", "host-report": "Report"},
                variables={"ping": dict.fromkeys(strings, VarType.STR)},
            )
        )
    )


def start(app: Container, **fields: object) -> int:
    run = app.run_playbook()(RunPlaybookCommand(playbook="ping", actor=SYSTEM, **fields))  # type: ignore[arg-type]
    assert run.id is not None
    return run.id


def event(run_id: int, seq: int) -> RunEvent:
    return RunEvent(
        run_id=run_id,
        seq=seq,
        event="runner_on_ok",
        host="localhost",
        task=f"task {seq}",
        status="ok",
        stdout=f"ok: [localhost] step {seq}",
        at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def play(runner: FakePlaybookRunner, run_id: int, count: int, *, chunk: int = 0) -> None:
    """Emit `count` events (in chunks with a pause between them when `chunk`), then finish."""
    for first in range(1, count + 1, chunk or count):
        last = min(first + (chunk or count) - 1, count)
        runner.emit(run_id, *(event(run_id, seq) for seq in range(first, last + 1)))
        if chunk:
            time.sleep(0.02)
    runner.finish(
        run_id,
        RunOutcome(
            status=RunStatus.SUCCESSFUL,
            rc=0,
            summary=(HostSummary(host="localhost", ok=count, changed=1, skipped=2),),
        ),
    )


def stored_runs(app: Container) -> int:
    return len(app.list_runs()(actor=SYSTEM))


# --- the pages -------------------------------------------------------------------------------


def test_the_page_lists_playbooks_with_descriptions_a_run_form_and_the_history(
    app: Container, admin: TestClient, runner: FakePlaybookRunner
) -> None:
    run_id = start(app)
    play(runner, run_id, 3)

    page = admin.get("/automation")

    assert page.status_code == 200
    assert '<a href="/automation" aria-current="page">Automation</a>' in page.text
    for name in ("ping", "ai-clis", "host-report"):
        assert f"<code>{name}</code>" in page.text
    assert "Connectivity check" in page.text  # ping.yml's leading comment
    assert 'action="/automation/runs"' in page.text
    assert 'name="csrf_token"' in page.text
    assert 'name="extra_vars"' in page.text
    assert '<option value="localhost" selected>' in page.text
    assert f'<a href="/automation/runs/{run_id}">#{run_id}</a>' in page.text
    assert '<span class="status">successful</span>' in page.text
    assert "<td>system</td>" in page.text  # started by (SYSTEM here)


def test_owners_follow_runs_but_see_no_run_form(asgi: Starlette) -> None:
    with TestClient(asgi, follow_redirects=False) as client:
        sign_in(client, World.OWNER)
        page = client.get("/automation")
        assert page.status_code == 200
        assert 'action="/automation/runs"' not in page.text
        assert "Only global admins start and cancel runs" in page.text


def test_a_run_started_from_the_form_runs_and_its_page_masks_secret_vars(
    declared: None, app: Container, admin: TestClient, runner: FakePlaybookRunner
) -> None:
    response = post_form(
        admin,
        "/automation/runs",
        {
            "playbook": "ping",
            "inventory": "localhost",
            "limit": "localhost",
            "tags": "a, b",
            "check": "1",
            "extra_vars": "greeting: hello\ndb_password: hunter2-secret\n",
        },
    )

    assert response.status_code == 303, response.text
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    launch = runner.launches[run_id]
    assert launch.extra_vars == {"greeting": "hello", "db_password": "hunter2-secret"}
    assert (launch.limit, launch.tags, launch.check) == ("localhost", "a,b", True)
    page = admin.get(f"/automation/runs/{run_id}")
    assert page.status_code == 200
    assert "hunter2-secret" not in page.text
    assert "********" in page.text
    assert 'id="cancel-form"' in page.text
    assert 'src="/static/run_stream.js"' in page.text
    assert f'data-events-url="/automation/runs/{run_id}/events" data-after="0"' in page.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"playbook": "rm-everything"}, "is not on the allowlist"),
        ({"playbook": "../../etc/passwd"}, "a name, never a path"),
        ({"playbook": "ping", "extra_vars": '{"a": [1, 2'}, "neither JSON nor YAML"),
        ({"playbook": "ping", "extra_vars": "[1, 2]"}, "must be a mapping"),
        ({"playbook": "ping", "inventory": "production"}, "is not a known inventory"),
        ({"playbook": "ping", "limit": "--become"}, "is not a host pattern"),
    ],
)
def test_bad_input_shows_the_form_again_with_the_error_and_starts_nothing(
    app: Container,
    admin: TestClient,
    runner: FakePlaybookRunner,
    fields: dict[str, str],
    message: str,
) -> None:
    response = post_form(admin, "/automation/runs", {"extra_vars": "", **fields})

    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert message in response.text
    assert 'action="/automation/runs"' in response.text
    if fields.get("extra_vars"):  # what was typed is kept for fixing
        assert fields["extra_vars"].replace('"', "&#34;") in response.text
    assert runner.launches == {}
    assert stored_runs(app) == 0


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    playbook=st.one_of(st.sampled_from(["ping", "ai-clis", "host-report"]), TEXT),
    values=st.lists(TEXT, min_size=4, max_size=4),
)
def test_any_run_form_input_gets_the_form_again_or_a_run_never_a_500(
    admin: TestClient, runner: FakePlaybookRunner, playbook: str, values: list[str]
) -> None:
    fields = dict(zip(("inventory", "limit", "tags", "extra_vars"), values, strict=True))

    response = post_form(admin, "/automation/runs", {"playbook": playbook, **fields})

    assert response.status_code in {303, 400}, response.text[:300]
    if response.status_code == 400:
        assert 'action="/automation/runs"' in response.text
        assert 'role="alert"' in response.text


def test_cancel_button_asks_the_run_to_stop_and_a_finished_run_is_refused(
    app: Container, admin: TestClient, runner: FakePlaybookRunner
) -> None:
    run_id = start(app)

    response = post_form(admin, f"/automation/runs/{run_id}/cancel", {})

    assert response.status_code == 303
    assert response.headers["location"] == f"/automation/runs/{run_id}"
    assert runner.cancelled == [run_id]
    assert "cancel requested" in admin.get(f"/automation/runs/{run_id}").text
    play(runner, run_id, 1)
    again = post_form(admin, f"/automation/runs/{run_id}/cancel", {})
    assert again.status_code == 303
    page = admin.get(f"/automation/runs/{run_id}").text
    assert "has already finished" in page
    assert 'id="cancel-form"' not in page


def test_members_and_viewers_are_refused_and_a_run_that_does_not_exist_is_404(
    app: Container, asgi: Starlette, admin: TestClient, world: World
) -> None:
    run_id = start(app)
    for email in (World.MEMBER, World.VIEWER):
        with TestClient(asgi, follow_redirects=False) as client:
            sign_in(client, email)
            assert client.get("/automation").status_code == 403
            assert client.get(f"/automation/runs/{run_id}").status_code == 403
            assert client.get(EVENTS_STREAM.format(run_id)).status_code == 403
            assert "/automation" not in client.get("/").text  # not in the navigation
    assert admin.get("/automation/runs/999").status_code == 404
    assert admin.get(EVENTS_STREAM.format(999)).status_code == 404
    api = admin.get("/api/v1/runs/999", headers=bearer(world, World.ADMIN))
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


# --- the event stream ------------------------------------------------------------------------


def test_ten_thousand_events_stream_complete_and_in_order_then_the_end_with_the_summary(
    app: Container, admin: TestClient, runner: FakePlaybookRunner
) -> None:
    run_id = start(app)
    play(runner, run_id, 10_000)

    with admin.stream("GET", EVENTS_STREAM.format(run_id)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        stream = read_sse(response.iter_lines())

    assert stream.retry == 1000
    assert [int(m.id or 0) for m in stream.events] == list(range(1, 10_001))
    assert [m.payload["seq"] for m in stream.events] == list(range(1, 10_001))
    assert stream.events[-1].payload["stdout"] == "ok: [localhost] step 10000"
    assert stream.messages[-1] is stream.end
    assert stream.end is not None
    assert stream.end.id is None  # a reconnect after the end resumes after the last event
    end = stream.end.payload
    assert (end["id"], end["status"], end["rc"]) == (run_id, "successful", 0)
    assert end["summary"] == [
        {
            "host": "localhost",
            "ok": 10_000,
            "changed": 1,
            "failed": 0,
            "unreachable": 0,
            "skipped": 2,
        }
    ]


def test_the_stream_resumes_after_last_event_id_or_after_and_never_repeats(
    app: Container, admin: TestClient, runner: FakePlaybookRunner
) -> None:
    run_id = start(app)
    play(runner, run_id, 50)
    url = EVENTS_STREAM.format(run_id)

    def ids(path: str, **headers: str) -> list[int]:
        with admin.stream("GET", path, headers=headers) as response:
            assert response.status_code == 200
            stream = read_sse(response.iter_lines())
        assert stream.end is not None
        return [int(m.id or 0) for m in stream.events]

    assert ids(url, **{"Last-Event-ID": "20"}) == list(range(21, 51))
    assert ids(f"{url}?after=45") == [46, 47, 48, 49, 50]
    # A reconnecting EventSource sends Last-Event-ID, which wins over the page's ?after=.
    assert ids(f"{url}?after=5", **{"Last-Event-ID": "48"}) == [49, 50]
    assert ids(url, **{"Last-Event-ID": "50"}) == []
    for bad in ("-1", "x", "1" * 13):
        response = admin.get(url, headers={"Last-Event-ID": bad})
        assert response.status_code == 400
        assert "Last-Event-ID" in response.text
    assert admin.get(f"{url}?after=abc").status_code == 400


@attrs.frozen
class Live:
    base: str
    asgi: Starlette
    cookies: httpx.Cookies


@pytest.fixture
def live(asgi: Starlette) -> Iterator[Live]:
    """The app on a real port (streams are read while they are written), the admin signed in."""
    with serving(asgi) as base, httpx.Client(base_url=base, follow_redirects=False) as client:
        sign_in(client, World.ADMIN)  # type: ignore[arg-type]
        yield Live(base=base, asgi=asgi, cookies=client.cookies)


def test_a_live_run_read_across_a_dropped_connection_loses_and_repeats_nothing(
    app: Container, live: Live, runner: FakePlaybookRunner
) -> None:
    """The first connection is cut mid-run; the second resumes with Last-Event-ID, as
    EventSource does, while events keep arriving."""
    run_id = start(app)
    total = 3_000
    player = threading.Thread(target=play, args=(runner, run_id, total), kwargs={"chunk": 50})
    url = EVENTS_STREAM.format(run_id)
    with httpx.Client(base_url=live.base, cookies=live.cookies, timeout=30) as client:
        player.start()
        with client.stream("GET", url) as response:
            assert response.status_code == 200
            first = read_sse(response.iter_lines(), stop=lambda s: len(s.events) >= 700)
        assert len(first.events) == 700
        assert first.end is None
        last_seen = first.events[-1].id or ""
        with client.stream("GET", url, headers={"Last-Event-ID": last_seen}) as response:
            second = read_sse(response.iter_lines())
        player.join(30)
    seqs = [int(m.id or 0) for m in first.events + second.events]
    assert seqs == list(range(1, total + 1))
    assert [m.payload["seq"] for m in first.events + second.events] == seqs
    assert second.end is not None
    assert second.end.payload["status"] == "successful"


def test_a_quiet_run_gets_keep_alive_comments_and_the_end_arrives_when_it_finishes(
    app: Container, live: Live, runner: FakePlaybookRunner
) -> None:
    live.asgi.state.run_stream_timing = StreamTiming(poll_seconds=0.05, keepalive_seconds=0.2)
    run_id = start(app)
    finisher = threading.Timer(1.0, play, args=(runner, run_id, 2))
    with httpx.Client(base_url=live.base, cookies=live.cookies, timeout=30) as client:
        finisher.start()
        started = time.monotonic()
        with client.stream("GET", EVENTS_STREAM.format(run_id)) as response:
            stream = read_sse(response.iter_lines())
        elapsed = time.monotonic() - started
    finisher.join()
    assert len(stream.comments) >= 2
    assert set(stream.comments) == {": keep-alive"}
    assert [m.id for m in stream.events] == ["1", "2"]
    assert stream.end is not None
    assert stream.end.payload["summary"][0]["ok"] == 2
    assert 1.0 <= elapsed < 5


def test_a_stream_opened_on_a_queued_run_tells_when_it_starts_running(
    app: Container, live: Live, runner: FakePlaybookRunner
) -> None:
    """The page was rendered while the run waited for ansible: its status must not stay
    "queued" while the events stream in."""
    live.asgi.state.run_stream_timing = StreamTiming(poll_seconds=0.05)
    runner.hold = True
    run_id = start(app)

    def begin_then_play() -> None:
        runner.begin(run_id)
        time.sleep(0.5)  # several polls see it running
        play(runner, run_id, 3)

    starter = threading.Timer(0.5, begin_then_play)
    with httpx.Client(base_url=live.base, cookies=live.cookies, timeout=30) as client:
        starter.start()
        with client.stream("GET", EVENTS_STREAM.format(run_id)) as response:
            stream = read_sse(response.iter_lines())
    starter.join()
    assert stream.statuses == ["queued", "running"]
    assert stream.messages[0].event == "status"
    running = stream.messages.index(next(m for m in stream.messages if m.data == "running"))
    assert all(m.event == "message" for m in stream.messages[running + 1 : -1])
    assert [m.id for m in stream.events] == ["1", "2", "3"]
    assert stream.end is not None
    assert stream.end.payload["status"] == "successful"


@pytest.mark.serial  # a wall-time target: never beside other tests' workers
def test_events_reach_a_connected_client_well_within_two_seconds(
    app: Container, live: Live, runner: FakePlaybookRunner
) -> None:
    run_id = start(app)
    emitted: dict[int, float] = {}
    received: dict[int, float] = {}

    def emit() -> None:
        for seq in range(1, 21):
            emitted[seq] = time.monotonic()
            runner.emit(run_id, event(run_id, seq))
            time.sleep(0.05)
        runner.finish(run_id, RunOutcome(status=RunStatus.SUCCESSFUL, rc=0))

    def note(stream: object) -> bool:
        for message in getattr(stream, "events", [])[len(received) :]:
            received[int(message.id)] = time.monotonic()
        return False

    with (
        httpx.Client(base_url=live.base, cookies=live.cookies, timeout=30) as client,
        client.stream("GET", EVENTS_STREAM.format(run_id)) as response,
    ):
        threading.Thread(target=emit).start()
        read_sse(response.iter_lines(), stop=note)
    assert sorted(received) == list(range(1, 21))
    lags = sorted(received[seq] - emitted[seq] for seq in received)
    assert lags[-1] < 2.0, lags  # stored within ~0.2 s, polled every 0.15 s


# --- the JSON API ----------------------------------------------------------------------------


def test_the_api_lists_playbooks_starts_lists_and_shows_runs(
    declared: None, app: Container, admin: TestClient, world: World, runner: FakePlaybookRunner
) -> None:
    headers = bearer(world, World.ADMIN)

    playbooks = admin.get("/api/v1/playbooks", headers=headers).json()
    created = admin.post(
        "/api/v1/runs",
        headers=headers,
        json={
            "playbook": "ping",
            "extra_vars": {"who": "me", "deploy_token": "t0ps3cret"},
            "secret_vars": ["who"],
            "check": True,
        },
    )

    assert [p["name"] for p in playbooks] == ["ping", "ai-clis", "host-report"]
    assert playbooks[0]["description"].startswith("Connectivity check")
    assert created.status_code == 201, created.text
    run = created.json()
    assert run["status"] in ("queued", "running")
    assert run["check"] is True
    assert run["extra_vars"] == {"who": "********", "deploy_token": "********"}
    assert runner.launches[run["id"]].extra_vars == {"who": "me", "deploy_token": "t0ps3cret"}
    play(runner, run["id"], 5)
    shown = admin.get(f"/api/v1/runs/{run['id']}", headers=headers).json()
    assert shown["status"] == "successful"
    assert shown["duration_seconds"] is not None
    assert shown["summary"][0]["host"] == "localhost"
    listed = admin.get("/api/v1/runs?limit=10", headers=headers).json()
    assert [r["id"] for r in listed] == [run["id"]]


def test_the_api_pages_through_events_after_a_seq_until_done(
    app: Container, admin: TestClient, world: World, runner: FakePlaybookRunner
) -> None:
    headers = bearer(world, World.ADMIN)
    run_id = start(app)
    runner.emit(run_id, *(event(run_id, seq) for seq in range(1, 6)))
    runner.listeners[run_id].flush()  # type: ignore[attr-defined]

    running = admin.get(f"/api/v1/runs/{run_id}/events?after=2", headers=headers).json()
    play_rest = [event(run_id, seq) for seq in range(6, 8)]
    runner.emit(run_id, *play_rest)
    runner.finish(run_id, RunOutcome(status=RunStatus.FAILED, rc=2))
    first = admin.get(f"/api/v1/runs/{run_id}/events?after=0&limit=4", headers=headers).json()
    rest = admin.get(
        f"/api/v1/runs/{run_id}/events?after={first['last_seq']}&limit=4", headers=headers
    ).json()
    none = admin.get(f"/api/v1/runs/{run_id}/events?after=7", headers=headers).json()

    assert [e["seq"] for e in running["events"]] == [3, 4, 5]
    assert running["done"] is False
    assert running["run"]["status"] == "running"
    assert [e["seq"] for e in first["events"]] == [1, 2, 3, 4]
    assert first["done"] is False
    assert [e["seq"] for e in rest["events"]] == [5, 6, 7]
    assert rest["done"] is True
    assert rest["run"]["status"] == "failed"
    assert rest["last_seq"] == 7
    assert none == {**none, "events": [], "last_seq": 7, "done": True}
    assert first["events"][0] == {
        "seq": 1,
        "event": "runner_on_ok",
        "host": "localhost",
        "task": "task 1",
        "status": "ok",
        "stdout": "ok: [localhost] step 1",
        "at": "2026-01-01T00:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({"playbook": "ping", "extra_vars": "a: [1"}, "invalid", "neither JSON nor YAML"),
        ({"playbook": "ping", "extra_vars": [1, 2]}, "invalid", "body.extra_vars"),
        ({"playbook": "ping", "extra_vars": {"ansible_user": "root"}}, "invalid", "ansible_*"),
        ({"playbook": "ping", "become": True}, "invalid", "become"),
    ],
)
def test_the_api_refuses_bad_input_with_a_json_error_and_starts_nothing(
    app: Container,
    admin: TestClient,
    world: World,
    runner: FakePlaybookRunner,
    body: dict[str, object],
    code: str,
    words: str,
) -> None:
    response = admin.post("/api/v1/runs", headers=bearer(world, World.ADMIN), json=body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert words in error["message"]
    assert runner.launches == {}
    assert stored_runs(app) == 0


@pytest.mark.parametrize(
    ("body", "words"),
    [  # valid names the server's state refuses
        ({"playbook": "rm-everything"}, "not on the allowlist"),
        ({"playbook": "ping", "inventory": "production"}, "is not a known inventory"),
        ({"playbook": "ping", "identity": "nobody"}, "'nobody' does not exist"),
    ],
)
def test_the_api_refuses_what_this_server_lacks_with_409(
    app: Container,
    admin: TestClient,
    world: World,
    runner: FakePlaybookRunner,
    body: dict[str, object],
    words: str,
) -> None:
    response = admin.post("/api/v1/runs", headers=bearer(world, World.ADMIN), json=body)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "automation_refused"
    assert words in response.json()["error"]["message"]
    assert runner.launches == {}
    assert stored_runs(app) == 0
    assert stored_runs(app) == 0


def test_the_api_cancels_a_running_run_and_refuses_a_finished_one_with_409(
    app: Container, admin: TestClient, world: World, runner: FakePlaybookRunner
) -> None:
    headers = bearer(world, World.ADMIN)
    run_id = start(app)

    cancelled = admin.post(f"/api/v1/runs/{run_id}/cancel", headers=headers)
    owner = admin.post(f"/api/v1/runs/{run_id}/cancel", headers=bearer(world, World.OWNER))
    runner.finish(run_id, RunOutcome(status=RunStatus.CANCELLED, rc=None))
    again = admin.post(f"/api/v1/runs/{run_id}/cancel", headers=headers)

    assert cancelled.status_code == 200
    assert cancelled.json()["cancel_requested"] is True
    assert runner.cancelled == [run_id]
    assert owner.status_code == 403
    assert owner.json()["error"]["code"] == "forbidden"
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "automation_refused",
        "message": f"run {run_id} has already finished (cancelled)",
    }


def test_forms_without_the_csrf_token_are_refused(
    admin: TestClient, runner: FakePlaybookRunner
) -> None:
    response = admin.post("/automation/runs", data={"playbook": "ping"})
    assert response.status_code == 403
    assert runner.launches == {}
    assert csrf(admin, "/automation")  # the page's own forms carry it
