"""The Sessions page and /api/v1/sessions on both databases, with tmux and the Linux accounts
in memory (tests/integration/tmux drives a real tmux)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from aiops.domain.model.sessions import AgentStatus
from tests.integration.http.conftest import Sessions, World, post_form, sign_in
from tests.integration.http.test_agent_context import add_issue


def test_a_member_launches_watches_and_stops_a_session(sessions: Sessions) -> None:
    client, world = sessions.client, sessions.world
    sign_in(client, World.MEMBER)

    launched = post_form(client, "/sessions", {"project": str(world.web_id), "tool": "codex"})
    page = client.get(launched.headers["location"])
    listing = client.get("/sessions")
    pane = client.get(launched.headers["location"] + "/pane")
    stopped = post_form(client, launched.headers["location"] + "/stop", {})
    after = client.get("/sessions")

    [spec] = sessions.tmux.launched
    assert launched.status_code == 303
    assert (spec.account.name, spec.session, spec.window) == ("max", f"web-p{world.web_id}",
                                                              "max-codex")  # fmt: skip
    assert spec.cwd.endswith("/max/workspace/web")
    assert "codex launched in" in page.text
    assert f"tmux -S /tmp/tmux-1000/default attach -t web-p{world.web_id}:max-codex" in listing.text
    assert pane.text == f"codex running in web-p{world.web_id}:max-codex\n"
    assert pane.headers["x-session-status"] == "working"
    assert pane.headers["cache-control"] == "no-store"
    assert stopped.status_code == 303
    assert "No live sessions" in after.text
    assert sessions.tmux.servers["/tmp/tmux-1000/default"] == {}


def test_a_refusal_is_shown_and_nothing_is_launched(sessions: Sessions) -> None:
    client, world = sessions.client, sessions.world
    sign_in(client, World.OWNER)  # olga has no Linux account here

    refused = post_form(client, "/sessions", {"project": str(world.web_id), "tool": "codex"})
    page = client.get("/sessions")

    assert refused.headers["location"] == "/sessions"
    assert "the Linux account &#39;olga&#39; does not exist" in page.text
    assert sessions.tmux.launched == []


def test_the_api_launches_focuses_lists_and_stops(sessions: Sessions) -> None:
    client, world = sessions.client, sessions.world
    headers = {"Authorization": f"Bearer {world.tokens[World.MEMBER]}"}
    body = {"project_id": world.web_id, "tool": "shell"}

    first = client.post("/api/v1/sessions", json=body, headers=headers)
    again = client.post("/api/v1/sessions", json=body, headers=headers)
    listed = client.get("/api/v1/sessions", headers=headers)
    shown = client.get(f"/api/v1/sessions/{first.json()['id']}", headers=headers)
    stopped = client.delete(f"/api/v1/sessions/{first.json()['id']}", headers=headers)
    bad = client.post("/api/v1/sessions", json={**body, "tool": "vim"}, headers=headers)

    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (again.status_code, again.json()["created"], again.json()["id"]) == (
        200, False, first.json()["id"])  # fmt: skip
    assert [s["tmux_window"] for s in listed.json()] == ["max-shell"]
    assert shown.json()["pane"].startswith("bash running in")
    assert stopped.json()["status"] == AgentStatus.EXITED.value
    assert bad.status_code == 400
    assert "is not one of codex" in bad.json()["error"]["message"]


class _Forms(HTMLParser):
    """The page's forms as a browser submits them: a form's own fields plus the fields
    elsewhere that name it with form="..." (a select sends its selected or first option)."""

    def __init__(self) -> None:
        super().__init__()
        self.actions: dict[str, str] = {}  # form id -> action
        self.fields: dict[str, dict[str, str]] = {}  # form id -> name -> value
        self._form = ""  # the id of the form being read
        self._select: tuple[str, str] | None = None  # (form id, name)

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attributes}
        owner = a.get("form", self._form)
        if tag == "form":
            self._form = a.get("id", "")
            self.actions[self._form] = a.get("action", "")
        elif tag == "input" and "name" in a:
            self.fields.setdefault(owner, {})[a["name"]] = a.get("value", "")
        elif tag == "select" and "name" in a:
            self._select = (owner, a["name"])
        elif tag == "option" and self._select is not None:
            form_id, name = self._select
            fields = self.fields.setdefault(form_id, {})
            if "selected" in a:
                fields[name] = a.get("value", "")
            else:
                fields.setdefault(name, a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = ""
        elif tag == "select":
            self._select = None


def submit(client: TestClient, page: str, form_id: str) -> Any:
    """Post the form `form_id` of `page` with what a browser would send."""
    forms = _Forms()
    forms.feed(page)
    return client.post(forms.actions[form_id], data=forms.fields[form_id])


def test_a_member_launches_an_ai_cli_from_an_issue_primed_with_it(sessions: Sessions) -> None:
    client, world, app = sessions.client, sessions.world, sessions.app
    issue_id = add_issue(app, world.web_id, "#12")
    sign_in(client, World.MEMBER)

    page = client.get("/issues").text
    launched = submit(client, page, f"launch-{issue_id}")
    shown = client.get(launched.headers["location"])

    [spec] = sessions.tmux.launched
    assert '<option value="codex">codex</option>' in page
    assert f'form="launch-{issue_id}"' in page
    assert launched.status_code == 303
    assert launched.headers["location"].startswith("/sessions/")
    assert (spec.session, spec.window) == (f"web-p{world.web_id}", f"max-codex-i{issue_id}")
    assert "codex launched in" in shown.text
    context = (Path(spec.cwd) / "AGENTS.override.md").read_text()
    assert f"# Issue {issue_id}\n" in context
    assert "Title: Disk full on db-1\n" in context


def test_a_viewer_gets_no_launch_button_on_issues(sessions: Sessions) -> None:
    client, world, app = sessions.client, sessions.world, sessions.app
    issue_id = add_issue(app, world.web_id, "#12")
    sign_in(client, World.VIEWER)

    page = client.get("/issues").text

    assert "Disk full on db-1" in page
    assert f"launch-{issue_id}" not in page


def test_a_member_launches_from_the_project_card(sessions: Sessions) -> None:
    client, world = sessions.client, sessions.world
    sign_in(client, World.MEMBER)

    page = client.get("/").text
    link = f'id="launch-project-{world.web_id}" href="/sessions?project={world.web_id}"'
    chooser = client.get(f"/sessions?project={world.web_id}").text
    launched = submit(client, chooser, "launch")

    assert link in page

    [spec] = sessions.tmux.launched
    assert launched.status_code == 303
    assert launched.headers["location"].startswith("/sessions/")
    assert (spec.session, spec.window) == (f"web-p{world.web_id}", "max-codex")


def test_a_viewer_gets_no_launch_form_on_the_project_card(sessions: Sessions) -> None:
    client, world = sessions.client, sessions.world
    sign_in(client, World.VIEWER)

    page = client.get("/").text

    assert f'id="project-{world.web_id}"' in page
    assert f"launch-project-{world.web_id}" not in page
