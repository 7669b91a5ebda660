"""Agent events in (issue 18), on both databases: POST /api/v1/agent-events with a session's
token, and what the API, the session page and the history show after it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.http.conftest import Sessions, World, bearer, sign_in


def launch(sessions: Sessions, tool: str = "claude") -> tuple[int, str]:
    """A session of max's (id, the token its window's secret env holds)."""
    headers = bearer(sessions.world, World.MEMBER)
    body = {"project_id": sessions.world.web_id, "tool": tool}
    launched = sessions.client.post("/api/v1/sessions", json=body, headers=headers)
    assert launched.status_code == 201, launched.text
    spec = sessions.tmux.launched[-1]
    assert spec.env["AIOPS_SESSION_ID"] == str(launched.json()["id"])
    return launched.json()["id"], spec.secret_env["AIOPS_SESSION_TOKEN"]


def event(session_id: int, name: str = "Notification", **fields: Any) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "tool": "claude",
        "event": name,
        "event_id": secrets.token_hex(16),
        "sent_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "detail": {"message": "Claude needs your permission to use Bash"},
        **fields,
    }


def post(sessions: Sessions, body: Any, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return sessions.client.post("/api/v1/agent-events", json=body, headers=headers)


def test_a_hook_event_is_accepted_and_shown_everywhere_the_same(sessions: Sessions) -> None:
    session_id, token = launch(sessions)

    accepted = post(sessions, event(session_id, "Notification"), token)

    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {"ok": True, "status": "waiting"}
    headers = bearer(sessions.world, World.MEMBER)
    shown = sessions.client.get(f"/api/v1/sessions/{session_id}", headers=headers).json()
    [listed] = sessions.client.get("/api/v1/sessions", headers=headers).json()
    for view in (shown, listed):
        assert (view["status"], view["status_source"]) == ("waiting", "hook")
    since = datetime.fromisoformat(shown["status_since"])
    assert abs(datetime.now(UTC) - since) < timedelta(seconds=30)
    history = sessions.client.get(f"/api/v1/sessions/{session_id}/events", headers=headers)
    assert [(e["event"], e["status"], e["source"]) for e in history.json()] == [
        ("Notification", "waiting", "hook")
    ]
    sign_in(sessions.client, World.MEMBER)
    page = sessions.client.get(f"/sessions/{session_id}")
    assert "Status history" in page.text
    assert "<code>Notification</code>" in page.text


def test_waiting_then_working_then_finished(sessions: Sessions) -> None:
    session_id, token = launch(sessions)

    said = [
        post(sessions, event(session_id, name), token).json()["status"]
        for name in ("Notification", "UserPromptSubmit", "Stop")
    ]

    assert said == ["waiting", "working", "finished"]


def test_forged_and_borrowed_tokens_are_refused_alike(sessions: Sessions) -> None:
    session_id, token = launch(sessions, "claude")
    other_id, other_token = launch(sessions, "codex")

    answers = [
        post(sessions, event(session_id), token[:-1] + ("0" if token[-1] != "0" else "1")),
        post(sessions, event(session_id), other_token),  # another session's
        post(sessions, event(99999), token),  # an unknown session
        post(sessions, event(session_id), None),  # no token at all
    ]

    assert [a.status_code for a in answers] == [401, 401, 401, 401]
    assert {a.json()["error"]["code"] for a in answers} == {"bad_token"}
    assert len({a.json()["error"]["message"] for a in answers}) == 1  # nothing leaks
    assert other_id != session_id


def test_a_replayed_or_stale_event_is_refused(sessions: Sessions) -> None:
    session_id, token = launch(sessions)
    sent = event(session_id)
    stale = (datetime.now(UTC) - timedelta(minutes=6)).isoformat()

    first = post(sessions, sent, token)
    again = post(sessions, sent, token)
    late = post(sessions, event(session_id, sent_at=stale), token)

    assert first.status_code == 202
    assert (again.status_code, again.json()["error"]["code"]) == (409, "replayed")
    assert (late.status_code, late.json()["error"]["code"]) == (409, "replayed")


@pytest.mark.parametrize(
    "body",
    [
        "not an object",
        {"session_id": 1},
        {"event_id": "NOT-HEX"},
        {"tool": "vim"},
        {"sent_at": "yesterday"},
        {"detail": {"message": "x" * 501}},
        {"extra": 1},
    ],
    ids=["not-object", "missing", "event-id", "tool", "sent-at", "detail", "unknown-field"],
)
def test_a_bad_shape_is_a_400_bad_event(sessions: Sessions, body: Any) -> None:
    session_id, token = launch(sessions)
    sent = body if isinstance(body, str) else event(session_id) | body
    if isinstance(body, dict) and list(body) == ["session_id"]:
        sent = {"session_id": session_id}

    refused = post(sessions, sent, token)

    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == "bad_event"


def test_the_history_is_not_found_for_those_who_may_not_see_the_session(
    sessions: Sessions,
) -> None:
    session_id, _ = launch(sessions)
    nobody = bearer(sessions.world, World.NOBODY)

    hidden = sessions.client.get(f"/api/v1/sessions/{session_id}/events", headers=nobody)

    assert hidden.status_code == 404


def test_events_are_heard_by_a_client_without_a_lifespan(sessions: Sessions) -> None:
    """Each request of a TestClient used outside `with` runs on a loop of its own: the writer
    follows (as a server's reloaded loop would)."""
    from starlette.testclient import TestClient

    session_id, token = launch(sessions)
    client = TestClient(sessions.client.app)
    headers = {"Authorization": f"Bearer {token}"}

    said = [
        client.post("/api/v1/agent-events", json=event(session_id, name), headers=headers)
        for name in ("Notification", "Stop")
    ]

    assert [s.json()["status"] for s in said] == ["waiting", "finished"]
