"""AIOPS_OIDC_PROVIDERS read (issue 20): a JSON object name -> {issuer, client_id,
client_secret | client_secret_file, scopes, label}, checked entry by entry, each client secret
read once (from its file, when given one) when the settings load.

Imported by the settings only when providers are configured: the domain model it builds
costs a command without them nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiops.domain.model.oidc import (
    DEFAULT_SCOPES,
    PROVIDER_NAME,
    OidcProvider,
    issuer_problem,
)

KEYS = frozenset({"issuer", "client_id", "client_secret", "client_secret_file", "scopes", "label"})


def oidc_providers(
    value: Mapping[str, Mapping[str, Any]], *, allow_insecure_loopback: bool
) -> tuple[OidcProvider, ...]:
    """The providers, in the order given; ValueError naming the provider and what is wrong
    (never a secret)."""
    return tuple(
        _provider(name, entry, allow_insecure_loopback=allow_insecure_loopback)
        for name, entry in value.items()
    )


def _provider(
    name: str, entry: Mapping[str, Any], *, allow_insecure_loopback: bool
) -> OidcProvider:
    if not PROVIDER_NAME.fullmatch(name):
        raise ValueError(
            f"{name[:40]!r} is not a provider name: up to 32 lowercase letters, digits, "
            "'_' or '-', starting with a letter or digit"
        )
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise ValueError(
            f"{name}: unknown key {unknown[0][:40]!r} (known: {', '.join(sorted(KEYS))})"
        )
    issuer = _text(name, entry, "issuer")  # exactly: it must equal the tokens' `iss`
    client_id = _text(name, entry, "client_id")
    problem = issuer_problem(issuer, allow_insecure_loopback=allow_insecure_loopback)
    if problem is not None:
        raise ValueError(f"{name}: issuer {problem}")
    return OidcProvider(
        name=name,
        issuer=issuer,
        client_id=client_id,
        client_secret=_secret(name, entry),
        scopes=_scopes(name, entry.get("scopes")),
        label=_optional_text(name, entry, "label"),
    )


def _text(name: str, entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name}: {key} is missing (text)")
    return value.strip()


def _optional_text(name: str, entry: Mapping[str, Any], key: str) -> str:
    return _text(name, entry, key) if entry.get(key) not in (None, "") else ""


def _secret(name: str, entry: Mapping[str, Any]) -> str:
    given, path = entry.get("client_secret"), entry.get("client_secret_file")
    if given not in (None, "") and path not in (None, ""):
        raise ValueError(f"{name}: give client_secret or client_secret_file, not both")
    if path not in (None, ""):
        if not isinstance(path, str):
            raise ValueError(f"{name}: client_secret_file must be a path (text)")
        try:
            secret = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or "not UTF-8 text"
            raise ValueError(f"{name}: cannot read client_secret_file {path}: {reason}") from None
        if not secret:
            raise ValueError(f"{name}: client_secret_file {path} is empty")
        return secret
    if not isinstance(given, str) or not given.strip():
        raise ValueError(f"{name}: no client secret (give client_secret or client_secret_file)")
    return given.strip()


def _scopes(name: str, value: Any) -> tuple[str, ...]:
    if value in (None, "", []):
        return DEFAULT_SCOPES
    if isinstance(value, str):
        scopes = value.split()
    elif isinstance(value, list) and all(isinstance(scope, str) for scope in value):
        scopes = [scope.strip() for scope in value if scope.strip()]
    else:
        raise ValueError(f"{name}: scopes must be a list of text or space-separated text")
    if "openid" not in scopes:
        raise ValueError(f"{name}: scopes must include 'openid'")
    return tuple(dict.fromkeys(scopes))
