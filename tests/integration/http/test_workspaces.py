"""The caller's own workspace over HTTP: the JSON API and the dashboard card, on a real git
remote (a bare repository made with the git CLI), checked by the git CLI."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.usecases.projects import UpdateProjectCommand
from tests.integration.git.conftest import Git, git_clone, make_remote
from tests.integration.http.conftest import World, bearer, post_form, sign_in

API = "/api/v1/projects/{id}/workspace"


@pytest.fixture
def remote(app: Container, world: World, tmp_path: Path) -> Path:
    """acme/web now has a real remote."""
    bare = make_remote(tmp_path)
    app.update_project()(UpdateProjectCommand(project_id=world.web_id, repo_url=str(bare)))
    return bare


def workspace_of(app: Container, username: str) -> Git:
    return Git(app.settings().workspace_root / username / "workspace" / "web")


def api(world: World) -> str:
    return API.format(id=world.web_id)


def test_initialize_then_read_the_status_of_my_own_workspace(
    client: TestClient, app: Container, world: World, remote: Path
) -> None:
    headers = bearer(world, World.MEMBER)

    created = client.post(api(world), headers=headers)
    again = client.post(api(world), headers=headers)
    status = client.get(api(world), headers=headers)

    assert created.status_code == 201, created.text
    assert again.status_code == 200
    assert not again.json()["created"]
    body = status.json()
    assert body["path"] == str(workspace_of(app, "max").path)
    assert body["status"]["branch"] == "main"
    assert body["status"]["upstream"] == "origin/main"
    assert body["status"]["last_commit"]["subject"] == "Initial commit"
    ws = workspace_of(app, "max")
    assert ws.sha("HEAD") == body["status"]["last_commit"]["sha"]
    assert ws.porcelain() == ""


def test_a_pushed_commit_reaches_the_remote(
    client: TestClient, app: Container, world: World, remote: Path
) -> None:
    headers = bearer(world, World.MEMBER)
    client.post(api(world), headers=headers)
    ws = workspace_of(app, "max")
    sha = ws.commit({"notes.txt": "from max\n"}, "Add notes")

    ahead = client.get(api(world), headers=headers).json()["status"]
    pushed = client.post(api(world) + "/push", headers=headers)

    assert ahead["ahead"] == 1
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["status"]["ahead"] == 0
    assert Git(remote).sha("main") == sha
    Git(remote).fsck()


def test_refusals_are_json_errors_and_leave_the_workspace_as_it_was(
    client: TestClient, app: Container, world: World, remote: Path, tmp_path: Path
) -> None:
    headers = bearer(world, World.MEMBER)
    client.post(api(world), headers=headers)
    ws = workspace_of(app, "max")
    other = git_clone(remote, tmp_path / "other")
    other.commit({"README.md": "theirs\n"}, "Theirs")
    other("push", "-q", "origin", "main")
    ws.commit({"README.md": "mine\n"}, "Mine")
    before = ws.snapshot()

    cases = [
        ("/checkout", {"branch": "-x"}, 400, "invalid"),
        ("/checkout", {"branch": "nope"}, 404, "branch_missing"),
        ("/checkout", None, 400, "invalid"),
        ("/create-branch", {"branch": "main"}, 409, "branch_exists"),
        ("/merge", {"branch": "main", "colour": "red"}, 400, "invalid"),
        ("/pull", None, 409, "merge_conflict"),
        ("/push", None, 409, "push_rejected"),
    ]
    for suffix, payload, status, code in cases:
        response = client.post(api(world) + suffix, json=payload, headers=headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), (
            suffix,
            payload,
        )
    conflict = client.post(api(world) + "/pull", headers=headers).json()["error"]
    assert conflict["files"] == ["README.md"]
    assert ws.snapshot()[1:] == before[1:]  # files and refs; the fetch moved origin/main only
    assert ws.porcelain() == ""
    ws.fsck()


def test_invalid_json_is_refused(client: TestClient, world: World, remote: Path) -> None:
    response = client.post(
        api(world) + "/checkout",
        content=b"{not json",
        headers={**bearer(world, World.MEMBER), "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]


def test_a_viewer_reads_but_cannot_initialize(
    client: TestClient, world: World, remote: Path
) -> None:
    headers = bearer(world, World.VIEWER)

    assert client.post(api(world), headers=headers).status_code == 403
    missing = client.get(api(world), headers=headers)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "workspace_missing")


def test_an_unreachable_remote_is_a_502_and_leaves_nothing(
    client: TestClient, app: Container, world: World, tmp_path: Path
) -> None:
    app.update_project()(
        UpdateProjectCommand(project_id=world.web_id, repo_url=str(tmp_path / "gone.git"))
    )

    response = client.post(api(world), headers=bearer(world, World.MEMBER))

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "remote_failed"
    assert not workspace_of(app, "max").path.exists()


def wait_for_refresh(client: TestClient) -> None:
    refresher = client.app.state.refresher  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while not refresher.idle() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert refresher.idle()


def card(client: TestClient, world: World) -> str:
    page = client.get("/").text
    start = page.index(f'id="project-{world.web_id}"')
    return page[start : page.index("</article>", start)]


def test_the_card_offers_to_initialize_then_shows_branch_and_buttons(
    client: TestClient, app: Container, world: World, remote: Path
) -> None:
    sign_in(client, World.MEMBER)
    assert "Checking your workspace" in card(client, world)
    wait_for_refresh(client)
    assert "Initialize workspace" in card(client, world)

    response = post_form(client, f"/projects/{world.web_id}/workspace", {})

    assert response.status_code == 303
    shown = card(client, world)
    assert "main -&gt; origin/main" in shown
    assert "clean" in shown
    assert "Initial commit" in shown
    assert f'action="/projects/{world.web_id}/workspace/pull"' in shown
    assert workspace_of(app, "max").porcelain() == ""


def test_a_refused_merge_shows_on_the_card_and_changes_nothing(
    client: TestClient, app: Container, world: World, remote: Path
) -> None:
    sign_in(client, World.MEMBER)
    post_form(client, f"/projects/{world.web_id}/workspace", {})
    ws = workspace_of(app, "max")
    (ws.path / "feature.txt").write_text("mine, not committed\n")  # in the merge's way
    before = ws.snapshot()

    post_form(client, f"/projects/{world.web_id}/workspace/merge", {"branch": "origin/feature"})
    flashed = client.get("/").text
    shown = card(client, world)

    assert "Merge: merging origin/feature would overwrite uncommitted changes in feature.txt" in (
        flashed
    )
    assert 'class="card-error error"' in shown
    assert "feature.txt" in shown
    assert ws.snapshot() == before
    ws.fsck()


def test_the_dashboard_reads_snapshots_not_git(
    client: TestClient, app: Container, world: World, remote: Path
) -> None:
    """Once a snapshot is fresh, the page does not look at the workspace at all."""
    sign_in(client, World.MEMBER)
    post_form(client, f"/projects/{world.web_id}/workspace", {})
    ws = workspace_of(app, "max")
    ws.commit({"late.txt": "x\n"}, "A commit the dashboard has not seen")

    shown = card(client, world)

    assert "Initial commit" in shown
    assert "A commit the dashboard has not seen" not in shown


def test_each_card_form_says_what_it_did(
    client: TestClient, app: Container, world: World, remote: Path, tmp_path: Path
) -> None:
    sign_in(client, World.MEMBER)
    base = f"/projects/{world.web_id}/workspace"
    post_form(client, base, {})
    other = git_clone(remote, tmp_path / "other")
    other.commit({"other.txt": "o\n"}, "Theirs")
    other("push", "-q", "origin", "main")
    ws = workspace_of(app, "max")

    said = []
    for operation, form in [
        ("fetch", {}),
        ("pull", {}),
        ("create-branch", {"branch": "topic", "from": "origin/feature"}),
        ("checkout", {"branch": "main"}),
        ("merge", {"branch": "topic"}),
        ("push", {}),
    ]:
        assert post_form(client, f"{base}/{operation}", form).status_code == 303
        page = client.get("/").text
        said.append(page.split('role="status">')[1].split("</div>")[0])

    assert said == [
        "Fetched origin.",
        "Pulled into main (fast forward).",
        "Created topic and checked it out.",
        "Checked out main.",
        "Merged topic into main (merge commit).",
        "Pushed main.",
    ]
    assert Git(remote).sha("main") == ws.sha("HEAD")
    ws.fsck()
