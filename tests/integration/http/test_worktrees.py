"""The caller's worktrees over the JSON API, on a real git remote, checked by the git CLI:
add on a branch or an issue's branch, list with status, remove refusing lost work (409), and
nothing of another tenant's (404)."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.model.trackers import Issue, IssueState, Provider
from aiops.domain.usecases.projects import UpdateProjectCommand
from aiops.domain.usecases.trackers import AddTrackerCommand
from tests.integration.git.conftest import Git, make_remote
from tests.integration.http.conftest import World, bearer, post_form, sign_in
from tests.integration.test_tracker_repositories import remote as remote_issue

API = "/api/v1/projects/{id}/worktrees"


@pytest.fixture
def remote(app: Container, world: World, tmp_path: Path) -> Path:
    bare = make_remote(tmp_path)
    app.update_project()(UpdateProjectCommand(project_id=world.web_id, repo_url=str(bare)))
    return bare


def api(world: World) -> str:
    return API.format(id=world.web_id)


def trees(app: Container, username: str) -> Path:
    return app.settings().workspace_root / username / "worktrees" / "web"


def issue_in_web(app: Container, world: World) -> int:
    connection = app.add_tracker()(
        AddTrackerCommand(project_id=world.web_id, provider="github",
                          base_url="https://api.github.com", key="acme/web", token="t")
    )  # fmt: skip
    with app.uow() as uow:
        uow.issues.add_many(
            [Issue(connection_id=connection.id or 0, project_id=world.web_id,
                   provider=Provider.GITHUB,
                   remote=remote_issue(12, title="Fix login", state=IssueState.OPEN))]
        )  # fmt: skip
        uow.commit()
        [issue] = uow.issues.for_connection(connection.id or 0).values()
    return issue.id or 0


def test_add_list_and_remove_my_worktrees(
    client: TestClient, app: Container, world: World, remote: Path
) -> None:
    headers = bearer(world, World.MEMBER)
    issue = issue_in_web(app, world)

    spike = client.post(api(world), json={"branch": "spike", "from": "origin/feature"},
                        headers=headers)  # fmt: skip
    fix = client.post(api(world), json={"issue_id": issue}, headers=headers)
    again = client.post(api(world), json={"issue_id": issue}, headers=headers)

    assert (spike.status_code, fix.status_code, again.status_code) == (201, 201, 200), spike.text
    assert fix.json()["branch"] == "aiops/gh-12-fix-login"
    assert fix.json()["path"] == str(trees(app, "max") / "aiops-gh-12-fix-login")
    assert again.json()["id"] == fix.json()["id"]
    tree = Git(trees(app, "max") / "spike")
    assert tree("branch", "--show-current").strip() == "spike"
    tree.commit({"w.txt": "w\n"}, "Work")
    (tree.path / "notes.txt").write_text("n\n")

    listed = client.get(api(world), headers=headers).json()
    assert [w["branch"] for w in listed] == ["spike", "aiops/gh-12-fix-login"]
    assert (listed[0]["status"]["untracked"], listed[0]["unpushed"]) == (1, 1)
    assert listed[1]["status"]["branch"] == "aiops/gh-12-fix-login"

    wid = spike.json()["id"]
    refused = client.delete(f"{api(world)}/{wid}", headers=headers)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "worktree_dirty"
    assert error["files"] == ["notes.txt"]
    assert [c.split(" ", 1)[1] for c in error["commits"]] == ["Work"]
    assert (tree.path / "notes.txt").exists()

    removed = client.delete(f"{api(world)}/{wid}?force=true", headers=headers)
    assert removed.status_code == 200, removed.text
    assert not tree.path.exists()
    assert [w["branch"] for w in client.get(api(world), headers=headers).json()] == [
        "aiops/gh-12-fix-login"
    ]


def test_another_tenants_project_and_worktrees_are_not_found(
    client: TestClient, app: Container, world: World, remote: Path
) -> None:
    made = client.post(api(world), json={"branch": "spike"}, headers=bearer(world, World.MEMBER))
    wid = made.json()["id"]
    other = bearer(world, World.OTHER_OWNER)

    assert client.get(api(world), headers=other).status_code == 404
    assert client.post(api(world), json={"branch": "x"}, headers=other).status_code == 404
    assert client.delete(f"{api(world)}/{wid}", headers=other).status_code == 404
    wrong_project = f"{API.format(id=world.api_id)}/{wid}"
    assert client.delete(wrong_project, headers=bearer(world, World.MEMBER)).status_code == 404
    assert (trees(app, "max") / "spike").is_dir()


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({}, 400, "invalid"),
        ({"branch": "-x"}, 400, "invalid"),
        ({"branch": "a", "issue_id": 1}, 400, "invalid"),
        ({"branch": "a", "colour": "red"}, 400, "invalid"),
        ({"issue_id": 999}, 404, "not_found"),
        ({"branch": "x", "from": "nope"}, 404, "branch_missing"),
        ({"branch": "main", "from": "origin/main"}, 409, "branch_exists"),
    ],
)
def test_refusals_are_json_errors_and_leave_nothing(
    client: TestClient,
    app: Container,
    world: World,
    remote: Path,
    payload: dict[str, object],
    status: int,
    code: str,
) -> None:
    response = client.post(api(world), json=payload, headers=bearer(world, World.MEMBER))

    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    folder = trees(app, "max")
    assert not folder.exists() or list(folder.iterdir()) == []
    assert client.get(api(world), headers=bearer(world, World.MEMBER)).json() == []


def card(client: TestClient, world: World) -> str:
    page = client.get("/").text
    start = page.index(f'id="project-{world.web_id}"')
    return page[start : page.index("</article>", start)]


def test_the_card_adds_lists_and_removes_worktrees(
    client: TestClient, app: Container, world: World, remote: Path
) -> None:
    sign_in(client, World.MEMBER)
    post_form(client, f"/projects/{world.web_id}/workspace", {})
    assert "Add worktree" in card(client, world)

    added = post_form(client, f"/projects/{world.web_id}/worktrees", {"branch": "spike"})
    assert added.status_code == 303
    path = trees(app, "max") / "spike"
    tree = Git(path)
    tree.commit({"w.txt": "w\n"}, "Work")
    (path / "notes.txt").write_text("n\n")
    refused = post_form(client, f"/projects/{world.web_id}/worktrees/{_only_id(app)}/remove", {})
    assert refused.status_code == 303
    page = client.get("/").text
    shown = card(client, world)

    assert "would lose uncommitted changes in notes.txt and 1 unpushed commit" in page
    assert '<code class="wt-branch">spike</code>' in shown
    assert "1 untracked" in shown
    assert "1 unpushed" in shown
    assert str(path) in shown
    assert path.exists()

    post_form(client, f"/projects/{world.web_id}/worktrees/{_only_id(app)}/remove", {"force": "on"})
    assert "wt-branch" not in card(client, world)
    assert not path.exists()


def test_a_refusal_on_the_card_leaves_nothing(
    client: TestClient, app: Container, world: World, remote: Path
) -> None:
    sign_in(client, World.MEMBER)
    post_form(client, f"/projects/{world.web_id}/workspace", {})

    post_form(client, f"/projects/{world.web_id}/worktrees", {"branch": "x", "from": "nope"})

    assert "Worktree: no branch or commit &#39;nope&#39;" in client.get("/").text
    assert not (trees(app, "max") / "x").exists()


def _only_id(app: Container) -> int:
    with app.uow() as uow:
        [worktree] = uow.worktrees.list()
    return worktree.id or 0
