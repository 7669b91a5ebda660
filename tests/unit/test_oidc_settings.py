"""The OpenID Connect settings (issue 20): providers read into OidcProvider values with their
secrets read once and never shown, group roles checked, and one clear line per mistake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiops.config import ConfigError, load_settings
from aiops.domain.model.oidc import GroupGrant, OidcProvider
from aiops.domain.model.tenants import Role

CORP = {"issuer": "https://id.example.com/realms/corp", "client_id": "aiops"}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AIOPS_OIDC_PROVIDERS", "AIOPS_OIDC_GROUP_ROLES", "AIOPS_PASSWORD_LOGIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def providers(value: object, **more: object) -> tuple[OidcProvider, ...]:
    return load_settings(oidc_providers=json.dumps(value), **more).oidc_provider_list


def refusal(value: object, **more: object) -> str:
    with pytest.raises(ConfigError) as raised:
        providers(value, **more)
    message = raised.value.message
    assert message.startswith("invalid settings: AIOPS_OIDC_PROVIDERS: ")
    assert "\n" not in message
    return message


def test_the_defaults_leave_provider_sign_in_off_and_passwords_on() -> None:
    settings = load_settings()

    assert settings.oidc_provider_list == ()
    assert settings.oidc_grants == ()
    assert settings.oidc_required_group_set == frozenset()
    assert (settings.oidc_auto_create, settings.oidc_allow_insecure_loopback) == (False, False)
    assert (settings.oidc_groups_claim, settings.password_login) == ("groups", True)


def test_providers_are_read_from_the_environments_json(monkeypatch: pytest.MonkeyPatch) -> None:
    given = {
        "corp": CORP | {"client_secret": "s3cret-value", "label": "Corp SSO"},
        "lab": {
            "issuer": "https://lab.example.org",
            "client_id": "x",
            "client_secret": "y",
            "scopes": "openid email groups",
        },
    }
    monkeypatch.setenv("AIOPS_OIDC_PROVIDERS", json.dumps(given))

    corp, lab = load_settings().oidc_provider_list

    assert corp == OidcProvider(
        name="corp",
        issuer="https://id.example.com/realms/corp",
        client_id="aiops",
        client_secret="s3cret-value",
        label="Corp SSO",
    )
    assert corp.scopes == ("openid", "email", "profile")
    assert lab.scopes == ("openid", "email", "groups")
    assert lab.shown_label == "lab"


def test_a_secret_file_is_read_at_load_and_no_secret_is_ever_shown(tmp_path: Path) -> None:
    secret_file = tmp_path / "corp.secret"
    secret_file.write_text("from-the-file\n")

    settings = load_settings(
        oidc_providers=json.dumps({"corp": CORP | {"client_secret_file": str(secret_file)}})
    )
    secret_file.unlink()

    assert settings.oidc_provider_list[0].client_secret == "from-the-file"
    assert "from-the-file" not in repr(settings)
    assert "from-the-file" not in repr(settings.oidc_provider_list)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"client_id": "a", "client_secret": "s"}, "corp: issuer is missing"),
        ({"issuer": CORP["issuer"], "client_secret": "s"}, "corp: client_id is missing"),
        (CORP, "corp: no client secret"),
        (CORP | {"client_secret": "s", "client_secret_file": "/x"}, "not both"),
        (CORP | {"client_secret": "s", "scope": "openid"}, "unknown key 'scope'"),
        (CORP | {"client_secret": "s", "scopes": ["email"]}, "must include 'openid'"),
        (CORP | {"client_secret": "s", "scopes": 3}, "scopes must be a list"),
        (CORP | {"client_secret": "s", "issuer": "ftp://id.example.com"}, "not an https:// URL"),
        (CORP | {"client_secret": "s", "issuer": "http://id.example.com"}, "only https"),
        (
            CORP | {"client_secret": "s", "issuer": "http://127.0.0.1:9000"},
            "needs AIOPS_OIDC_ALLOW_INSECURE_LOOPBACK=true",
        ),
    ],
)
def test_a_bad_provider_is_one_line_naming_it(entry: dict[str, object], message: str) -> None:
    found = refusal({"corp": entry})

    assert message in found
    assert "s3cret" not in found


def test_a_provider_name_must_fit_its_url() -> None:
    assert "'Corp SSO' is not a provider name" in refusal(
        {"Corp SSO": CORP | {"client_secret": "s"}}
    )


def test_an_unreadable_secret_file_is_named_without_its_content(tmp_path: Path) -> None:
    missing = tmp_path / "nope.secret"
    found = refusal({"corp": CORP | {"client_secret_file": str(missing)}})

    assert f"cannot read client_secret_file {missing}" in found
    empty = tmp_path / "empty.secret"
    empty.write_text("\n")
    assert "is empty" in refusal({"corp": CORP | {"client_secret_file": str(empty)}})


def test_a_loopback_issuer_over_http_needs_the_setting() -> None:
    entry = CORP | {"client_secret": "s", "issuer": "http://127.0.0.1:9000/"}

    [local] = providers({"corp": entry}, oidc_allow_insecure_loopback="true")

    assert local.issuer == "http://127.0.0.1:9000/"  # exactly as given: tokens' `iss` must match


@pytest.mark.parametrize("text", ['["corp"]', '{"corp": {"client_secret": "s3cret"'])
def test_providers_that_are_not_json_objects_are_refused_without_echoing_them(text: str) -> None:
    with pytest.raises(ConfigError, match="AIOPS_OIDC_PROVIDERS: must be JSON") as raised:
        load_settings(oidc_providers=text)

    assert "corp" not in raised.value.message


def test_group_roles_and_required_groups_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIOPS_OIDC_GROUP_ROLES", '{"ops": "admin", "devs": "acme:member"}')
    monkeypatch.setenv("AIOPS_OIDC_REQUIRED_GROUPS", " ops, devs ,,")
    monkeypatch.setenv("AIOPS_PASSWORD_LOGIN", "false")

    settings = load_settings()

    assert settings.oidc_grants == (
        GroupGrant(group="ops", admin=True),
        GroupGrant(group="devs", tenant="acme", role=Role.MEMBER),
    )
    assert settings.oidc_required_group_set == {"ops", "devs"}
    assert settings.password_login is False


@pytest.mark.parametrize("value", ['{"devs": "acme"}', '{"devs": "acme:boss"}', '{"x": "root"}'])
def test_a_bad_group_role_names_the_setting(value: str) -> None:
    with pytest.raises(ConfigError, match="AIOPS_OIDC_GROUP_ROLES: group"):
        load_settings(oidc_group_roles=value)
