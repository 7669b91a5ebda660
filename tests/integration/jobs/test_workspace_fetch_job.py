"""The workspace-fetch job against real git repositories on disk, on both databases: every
workspace of the project is fetched, nobody's branch or working tree changes."""

from __future__ import annotations

from pathlib import Path

from aiops.container import Container
from aiops.domain.model.jobs import JobStatus
from aiops.domain.usecases._workspace import WorkspaceRef
from aiops.domain.usecases.jobs import AddJobCommand, RunJobNowCommand
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from tests.integration.git.conftest import Git, git_clone, make_remote


def test_the_job_fetches_every_workspace_and_changes_no_working_tree(
    app: Container, tmp_path: Path
) -> None:
    remote = make_remote(tmp_path)
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    project = app.create_project()(
        CreateProjectCommand(tenant="acme", slug="web", name="Web", repo_url=str(remote))
    )
    assert project.id is not None
    paths = {}
    for email, role in (("ana@example.com", "member"), ("vic@example.com", "viewer"),
                        ("bo@example.com", "member")):  # fmt: skip
        app.create_user()(CreateUserCommand(email=email, name=email.split("@")[0]))
        app.add_member()(AddMemberCommand(tenant="acme", email=email, role=role))
    for email in ("ana@example.com",):  # bo has no workspace yet; vic may not have one
        result = app.init_workspace()(WorkspaceRef(project_id=project.id, user_email=email))
        paths[email] = Git(Path(result.path))
    ana = paths["ana@example.com"]
    (ana.path / "README.md").write_text("local, uncommitted\n")
    before = ana.snapshot()
    other = git_clone(remote, tmp_path / "other")
    other("checkout", "-q", "main")
    new = other.commit({"news.txt": "news\n"}, "News")
    other("push", "-q", "origin", "main")

    app.add_job()(AddJobCommand(name="fetch-web", kind="workspace-fetch", every="1h",
                                params={"project_id": project.id}))  # fmt: skip
    outcome = app.run_job_now()(RunJobNowCommand(name="fetch-web", inline=True))

    assert outcome is not None
    assert (outcome.status, outcome.summary) == (JobStatus.OK, "fetched 1, 1 without a workspace")
    assert ana.sha("origin/main") == new
    assert ana.snapshot() == before  # HEAD, branches, files and status as they were
    ana.fsck()
