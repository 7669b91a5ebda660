"""SSH identities: public key validation (with Hypothesis), adding, listing and seeding over
fakes, and the identity of a project."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.container import Container
from aiops.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.model.identities import (
    KEY_TYPES,
    SshIdentity,
    fingerprint,
    identity_name,
    parse_public_key,
)
from aiops.domain.model.identities import public_key as normalise
from aiops.domain.model.tenants import Role
from aiops.domain.usecases.identities import (
    AddIdentityCommand,
    SeedIdentitiesCommand,
    SeedLine,
    SeedOutcome,
    same_key,
    seeded,
)
from aiops.domain.usecases.projects import CreateProjectCommand, UpdateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from tests.fakes import FakeKeyStore, FakeUnitOfWork
from tests.strategies import public_key, public_keys

# `ssh-keygen -t ed25519` made this key; `ssh-keygen -lf` printed the fingerprint.
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE5/AlMjRYvWYu24XMVekWVcYP8J9jEeMODxbYLAcJlT me@host"
ED25519_FINGERPRINT = "SHA256:8eHH9w62Cbv1c9skmB31v/50uarN3va1OiXZUSQL0QM"
SOURCE = Path("/seed")
OWNER = "ops@example.com"


def test_the_fingerprint_is_the_one_ssh_keygen_prints() -> None:
    assert fingerprint(ED25519) == ED25519_FINGERPRINT


def test_a_key_is_normalised_to_type_base64_comment() -> None:
    key_type, data, _comment = ED25519.split(" ")
    messy = f"  {key_type}  {data}   me   @ host \n"

    assert normalise(messy) == f"{key_type} {data} me @ host"
    assert normalise(f"{key_type} {data}") == f"{key_type} {data}"


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_every_accepted_type_is_accepted(key_type: str) -> None:
    assert parse_public_key(public_key(key_type)).key_type == key_type


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must not be blank"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blb\n-----END OPENSSH PRIVATE KEY-----",
         "this looks like a private key: paste the .pub file"),
        ("-----BEGIN RSA PRIVATE KEY-----", "this looks like a private key"),
        ("PuTTY-User-Key-File-3: ssh-ed25519", "this looks like a private key"),
        (ED25519 + "\n" + ED25519, "must be one line"),
        (ED25519.replace(" me@host", " me\x00host"), "control characters"),
        (ED25519.replace(" ", "\t"), "control characters"),
        ("ssh-ed25519 " + "A" * 17_000, "at most 16 KiB"),
        ("ssh-dss AAAAB3NzaC1kc3M=", "key type 'ssh-dss' is not accepted"),
        ('command="rm -rf /" ' + ED25519, "is not accepted"),
        ("ssh-ed25519", "no key data"),
        ("ssh-ed25519 not*base64", "not valid base64"),
        (public_key("ssh-rsa").replace("ssh-rsa", "ssh-ed25519", 1), "not a ssh-ed25519 key"),
        ("ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519").decode(),
         "not a ssh-ed25519 key"),
    ],
)  # fmt: skip
def test_bad_public_keys_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as raised:
        parse_public_key(text)

    assert raised.value.field == "public_key"


@given(public_keys())
def test_well_formed_keys_round_trip_through_normalisation(key: str) -> None:
    assert normalise(normalise(key)) == normalise(key)
    assert fingerprint(normalise(key)) == fingerprint(key)


@given(
    st.one_of(
        st.text(),
        st.text(max_size=20).map(lambda s: "ssh-ed25519 " + s),
        st.binary().map(lambda b: "ssh-rsa " + base64.b64encode(b).decode()),
        st.tuples(st.sampled_from(KEY_TYPES), st.binary(max_size=80)).map(
            lambda t: f"{t[0]} {base64.b64encode(t[1]).decode()}"
        ),
    )
)
def test_garbage_never_raises_anything_but_a_validation_error(text: str) -> None:
    try:
        parsed = parse_public_key(text)
    except ValidationError:
        return
    assert parsed.key_type in KEY_TYPES
    assert parsed.fingerprint.startswith("SHA256:")


@pytest.mark.parametrize("name", ["id_ed25519", "deploy", "deploy-acme.2", "a"])
def test_key_file_names_are_identity_names(name: str) -> None:
    assert identity_name(name) == name


@pytest.mark.parametrize("name", ["", "Deploy", "-x", "x.", "a..b", "a/b", ".hidden", "x" * 64])
def test_names_that_are_no_plain_file_name_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="not a valid identity name"):
        identity_name(name)


def add(
    app: Container, name: str = "deploy", key: str = ED25519, actor: Actor = SYSTEM
) -> SshIdentity:
    return app.add_identity()(AddIdentityCommand(name=name, public_key=key, actor=actor))


def test_an_admin_adds_an_identity_and_the_audit_names_only_its_fingerprint(
    app: Container, uow: FakeUnitOfWork
) -> None:
    identity = add(app)

    assert (identity.name, identity.fingerprint, identity.private_key_path) == (
        "deploy",
        ED25519_FINGERPRINT,
        None,
    )
    event = uow.committed.audit[-1]
    assert (event.action, event.target) == ("identity.added", "identity:deploy")
    assert dict(event.detail) == {"name": "deploy", "fingerprint": ED25519_FINGERPRINT}


def test_a_duplicate_name_is_a_conflict(app: Container, uow: FakeUnitOfWork) -> None:
    add(app)

    with pytest.raises(Conflict, match="identity 'deploy' already exists"):
        add(app, key=public_key())

    assert len(uow.committed.identities) == 1


def test_only_admins_add_identities(app: Container, uow: FakeUnitOfWork) -> None:
    owner = Actor(name="o@example.com", user_id=7, roles={1: Role.OWNER})

    with pytest.raises(PermissionDenied):
        add(app, actor=owner)

    assert uow.committed.identities == {}


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [({}, False), ({1: Role.VIEWER}, False), ({1: Role.MEMBER}, False), ({1: Role.OWNER}, True)],
)
def test_admins_and_tenant_owners_list_identities(
    app: Container, roles: dict[int, Role], allowed: bool
) -> None:
    add(app)
    actor = Actor(name="someone@example.com", user_id=9, roles=roles)

    if allowed:
        assert [listed.identity.name for listed in app.list_identities()(actor)] == ["deploy"]
    else:
        with pytest.raises(PermissionDenied, match="admins and tenant owners"):
            app.list_identities()(actor)


@pytest.fixture
def owner(app: Container) -> None:
    app.create_user()(CreateUserCommand(email=OWNER, name="Ops"))


def seed(app: Container) -> tuple[SeedLine, ...]:
    return app.seed_identities()(SeedIdentitiesCommand(owner_email=OWNER, source_dir=SOURCE)).lines


def test_seeding_imports_good_keys_refuses_bad_ones_and_reports_each(
    app: Container, uow: FakeUnitOfWork, keys: FakeKeyStore, owner: None
) -> None:
    keys.add_key(SOURCE / "id_ed25519", ED25519)
    keys.add_bad_file(SOURCE / "notes", "not an OpenSSH or PEM private key")
    keys.add_key(SOURCE / "Bad Name", public_key())

    lines = seed(app)

    assert [(line.file, line.outcome) for line in lines] == [
        ("Bad Name", SeedOutcome.REFUSED),
        ("id_ed25519", SeedOutcome.IMPORTED),
        ("notes", SeedOutcome.REFUSED),
    ]
    assert "not a valid identity name" in lines[0].detail
    assert lines[1].detail == ED25519_FINGERPRINT
    assert lines[2].detail == "not an OpenSSH or PEM private key"
    (identity,) = uow.committed.identities.values()
    ops = next(u for u in uow.committed.users.values() if u.email == OWNER)
    assert (identity.name, identity.owner_id) == ("id_ed25519", ops.id)
    assert identity.private_key_path == "/instance/keys/id_ed25519"
    assert keys.stored == {"id_ed25519": ED25519}
    assert uow.committed.audit[-1].action == "identity.imported"


def test_seeding_again_is_unchanged_and_another_key_under_the_name_is_a_conflict(
    app: Container, uow: FakeUnitOfWork, keys: FakeKeyStore, owner: None
) -> None:
    keys.add_key(SOURCE / "deploy", ED25519)
    seed(app)
    commits = uow.commits

    again = seed(app)
    keys.add_key(SOURCE / "deploy", public_key(comment="another"))
    other = seed(app)

    assert [line.outcome for line in again] == [SeedOutcome.UNCHANGED]
    assert [line.outcome for line in other] == [SeedOutcome.REFUSED]
    assert "exists with another key" in other[0].detail
    assert uow.commits == commits
    assert keys.stored == {"deploy": ED25519}


def test_seeding_gives_a_public_only_identity_its_private_key(
    app: Container, uow: FakeUnitOfWork, keys: FakeKeyStore, owner: None
) -> None:
    add(app)
    keys.add_key(SOURCE / "deploy", ED25519)

    assert [line.outcome for line in seed(app)] == [SeedOutcome.IMPORTED]
    (identity,) = uow.committed.identities.values()
    assert identity.has_private_key


def test_seeding_needs_an_admin_a_known_owner_and_a_source_folder(
    app: Container, keys: FakeKeyStore, owner: None
) -> None:
    keys.add_key(SOURCE / "deploy", ED25519)
    seeding = app.seed_identities()

    with pytest.raises(PermissionDenied):
        seeding(SeedIdentitiesCommand(owner_email=OWNER, source_dir=SOURCE, actor=Actor("x")))
    with pytest.raises(NotFound, match=r"user 'ghost@example\.com' does not exist"):
        seeding(SeedIdentitiesCommand(owner_email="ghost@example.com", source_dir=SOURCE))
    with pytest.raises(NotFound, match="does not exist"):
        seeding(SeedIdentitiesCommand(owner_email=OWNER, source_dir=Path("/elsewhere")))
    assert keys.stored == {}


def test_a_project_gets_sets_and_clears_its_identity(app: Container, uow: FakeUnitOfWork) -> None:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    deploy, other = add(app), add(app, "other", public_key())
    project = app.create_project()(
        CreateProjectCommand(tenant="acme", slug="web", name="Web", identity_id=deploy.id)
    )
    update = app.update_project()
    assert project.id is not None

    kept = update(UpdateProjectCommand(project_id=project.id, name="Website")).project
    changed = update(UpdateProjectCommand(project_id=project.id, identity_id=other.id)).project
    cleared = update(UpdateProjectCommand(project_id=project.id, clear_identity=True)).project

    assert (project.identity_id, kept.identity_id) == (deploy.id, deploy.id)
    assert (changed.identity_id, cleared.identity_id) == (other.id, None)
    assert uow.committed.audit[-1].detail["identity_id"] is None


def test_an_unknown_identity_is_refused_for_a_project(app: Container, uow: FakeUnitOfWork) -> None:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    project = app.create_project()(CreateProjectCommand(tenant="acme", slug="web", name="Web"))
    assert project.id is not None

    with pytest.raises(Conflict, match="identity 404 does not exist"):
        app.create_project()(
            CreateProjectCommand(tenant="acme", slug="api", name="API", identity_id=404)
        )
    with pytest.raises(Conflict, match="identity 404 does not exist"):
        app.update_project()(UpdateProjectCommand(project_id=project.id, identity_id=404))
    with pytest.raises(ValidationError, match="not both"):
        app.update_project()(
            UpdateProjectCommand(project_id=project.id, identity_id=404, clear_identity=True)
        )
    assert [p.slug for p in uow.committed.projects.values()] == ["web"]


def test_only_an_admin_gives_a_project_an_identity_its_owner_may_keep_or_clear_it(
    app: Container, uow: FakeUnitOfWork
) -> None:
    """Identities are shared by every tenant: an owner must not borrow another tenant's key."""
    acme = app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    assert acme.id is not None
    deploy = add(app)
    owner = Actor("olga@example.com", user_id=99, roles={acme.id: Role.OWNER})
    project = app.create_project()(
        CreateProjectCommand(tenant="acme", slug="web", name="Web", actor=owner)
    )
    assert project.id is not None

    with pytest.raises(PermissionDenied, match="only a global admin"):
        app.create_project()(
            CreateProjectCommand(
                tenant="acme", slug="api", name="API", identity_id=deploy.id, actor=owner
            )
        )
    with pytest.raises(PermissionDenied, match="only a global admin"):
        app.update_project()(
            UpdateProjectCommand(project_id=project.id, identity_id=deploy.id, actor=owner)
        )
    given = app.update_project()(
        UpdateProjectCommand(project_id=project.id, identity_id=deploy.id)
    ).project
    kept = app.update_project()(
        UpdateProjectCommand(project_id=project.id, name="Web", actor=owner)
    ).project
    cleared = app.update_project()(
        UpdateProjectCommand(project_id=project.id, clear_identity=True, actor=owner)
    ).project

    assert (given.identity_id, kept.identity_id, cleared.identity_id) == (
        deploy.id,
        deploy.id,
        None,
    )
    assert [p.slug for p in uow.committed.projects.values()] == ["web"]


@given(
    existing=st.sampled_from(["none", "same key", "other key"]),
    imported_key=public_keys(),
    other_key=public_keys(),
    path=st.none() | st.just("/keys/old"),
)
def test_a_seeded_key_file_is_new_completes_its_identity_or_conflicts(
    existing: str, imported_key: str, other_key: str, path: str | None
) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    imported = SshIdentity(
        name="deploy", public_key=imported_key, created_at=at, private_key_path="/keys/deploy"
    )
    key = {"none": None, "same key": imported_key, "other key": other_key}[existing]
    stored = None
    if key is not None:
        stored = SshIdentity(
            name="deploy", public_key=key, created_at=at, private_key_path=path, id=4
        )

    if stored is None:
        assert seeded(stored, imported, "deploy") == imported
    elif stored.fingerprint != imported.fingerprint:
        with pytest.raises(Conflict, match="deploy changed while it was being imported"):
            seeded(stored, imported, "deploy")
        with pytest.raises(Conflict, match="exists with another key"):
            same_key(stored, imported.fingerprint)
    else:
        completed = seeded(stored, imported, "deploy")
        assert (completed.id, completed.private_key_path) == (4, "/keys/deploy")
        same_key(stored, imported.fingerprint)
