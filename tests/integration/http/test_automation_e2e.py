"""End to end through the web: the admin starts ping.yml from the Automation form, the real
ansible-runner runs it against localhost, and the page's event stream delivers every event,
then the end with the summary."""

from __future__ import annotations

from starlette.testclient import TestClient

from aiops.container import Container
from aiops.entrypoints.http.app import create_app
from tests.integration.http.conftest import World, post_form, sign_in
from tests.integration.http.sse import read_sse


def test_ping_started_from_the_form_streams_its_events_and_summary(
    app: Container, world: World
) -> None:
    with TestClient(create_app(app), follow_redirects=False) as client:
        sign_in(client, World.ADMIN)
        started = post_form(client, "/automation/runs", {"playbook": "ping", "extra_vars": ""})
        assert started.status_code == 303, started.text
        run_page = started.headers["location"]

        with client.stream("GET", f"{run_page}/events", timeout=120) as response:
            assert response.status_code == 200
            stream = read_sse(response.iter_lines())
        page = client.get(run_page)

    events = [m.payload for m in stream.events]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    kinds = [e["event"] for e in events]
    assert kinds[0] == "playbook_on_start"
    assert "playbook_on_stats" in kinds
    ok = next(e for e in events if e["event"] == "runner_on_ok")
    assert (ok["host"], ok["task"], ok["status"]) == ("localhost", "Ping", "ok")
    assert stream.end is not None
    end = stream.end.payload
    assert (end["status"], end["rc"]) == ("successful", 0)
    assert end["summary"] == [
        {"host": "localhost", "ok": 1, "changed": 0, "failed": 0, "unreachable": 0, "skipped": 0}
    ]
    assert page.status_code == 200
    assert page.text.count("<li data-seq=") == len(events)
    assert "<td>localhost</td><td>1</td><td>0</td>" in page.text


PIPE = '{{ lookup("pipe", "id") }}'


def test_extra_vars_from_the_form_are_text_never_templates(app: Container, world: World) -> None:
    """A value that Ansible would template runs `id` on the controller (as root, once): marked
    unsafe, the real ansible-runner hands the playbook the braces as they were typed."""
    with TestClient(create_app(app), follow_redirects=False) as client:
        sign_in(client, World.ADMIN)
        started = post_form(
            client,
            "/automation/runs",
            {"playbook": "host-report", "extra_vars": f"report_git_repos: ['{PIPE}']"},
        )
        assert started.status_code == 303, started.text
        with client.stream("GET", f"{started.headers['location']}/events", timeout=120) as answer:
            stream = read_sse(answer.iter_lines())

    output = "\n".join(m.payload["stdout"] for m in stream.events)
    assert stream.end is not None
    assert stream.end.payload["status"] == "successful"
    assert f"(item={PIPE})" in output
    assert "uid=" not in output


def test_extra_vars_a_playbook_does_not_declare_are_refused(app: Container, world: World) -> None:
    with TestClient(create_app(app), follow_redirects=False) as client:
        sign_in(client, World.ADMIN)
        npm = post_form(
            client,
            "/automation/runs",
            {"playbook": "ai-clis", "extra_vars": "ai_cli_npm: /tmp/evil\n"},
        )
        typed = post_form(
            client, "/automation/runs", {"playbook": "ai-clis", "extra_vars": "ai_cli_tools: codex"}
        )

    assert npm.status_code == 400
    assert (
        "&#39;ai_cli_npm&#39; is not an extra var of playbook &#39;ai-clis&#39; "
        "(it takes: ai_cli_tools (list[str]))"
    ) in npm.text
    assert typed.status_code == 400
    assert "&#39;ai_cli_tools&#39; must be a list[str]" in typed.text
    with app.uow() as uow:
        assert list(uow.automation_runs.list()) == []
