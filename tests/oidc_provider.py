"""A small but honest OpenID Connect provider for the tests (issue 20), served by uvicorn on
127.0.0.1: discovery, a JWKS, the authorization code flow with PKCE (a login page a browser
fills, or an automatic sign-in for HTTP-level tests), the token, userinfo and end-session
endpoints, and knobs that make the next ID token wrong in one way at a time.

    with running_oidc_provider(redirect_uris=["http://127.0.0.1:9/cb"]) as provider:
        provider.set_user("alice", email="alice@example.com", groups=["ops"])
        provider.auto_sub = "alice"  # /authorize answers at once, as alice
        ... provider.issuer, provider.client_id, provider.client_secret ...
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import html
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlencode

import attrs
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.integration.http.sse import serving

TOKEN_LIFETIME = 300


class Tamper(enum.Enum):
    """What is wrong with the next ID token (one knob each)."""

    WRONG_SIGNATURE = "signed by a key that is not in the JWKS, under a published kid"
    WRONG_AUDIENCE = "aud names another client"
    WRONG_ISSUER = "iss names another provider"
    WRONG_NONCE = "nonce is not the one the client sent"
    EXPIRED = "exp is half an hour ago"
    UNPUBLISHED_KEY = "signed by a key whose kid the JWKS never lists, even refetched"


@attrs.define(kw_only=True)
class User:
    sub: str
    email: str | None = None
    email_verified: bool = True
    name: str | None = None
    groups: list[str] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class Grant:
    """What an authorization code stands for, until the token endpoint takes it (once)."""

    client_id: str
    redirect_uri: str
    sub: str
    nonce: str
    code_challenge: str


def new_key() -> RSAKey:
    parameters: Any = {"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"}
    return RSAKey.generate_key(2048, parameters=parameters)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@attrs.define(kw_only=True, eq=False)
class OidcTestProvider:
    """The provider's state; its Starlette app reads it on every request, so a test changes
    users, keys and knobs between sign-ins."""

    issuer: str = ""  # set once the server listens
    client_id: str = "aiops-test"
    client_secret: str = attrs.field(factory=lambda: secrets.token_urlsafe(24), repr=False)
    redirect_uris: list[str] = attrs.Factory(list)
    end_session: bool = True  # advertise end_session_endpoint in discovery
    groups_in_id_token: bool = True  # else only userinfo has them
    groups_claim: str = "groups"
    token_auth_methods: list[str] = attrs.Factory(
        lambda: ["client_secret_basic", "client_secret_post"]
    )
    auto_sub: str | None = None  # /authorize signs this user in at once, without a page
    users: dict[str, User] = attrs.Factory(dict)
    keys: list[RSAKey] = attrs.Factory(lambda: [new_key()])  # published; the last one signs
    requests: Counter[str] = attrs.Factory(Counter)  # "GET /jwks" -> how many
    client_auth: list[str] = attrs.Factory(list)  # the token requests' client authentication
    logouts: list[dict[str, str]] = attrs.Factory(list)
    issued: list[str] = attrs.Factory(list)  # every ID token, in order
    _tampers: list[Tamper] = attrs.Factory(list)
    _refuse_next: bool = False
    _codes: dict[str, Grant] = attrs.Factory(dict)
    _access: dict[str, str] = attrs.Factory(dict)  # access token -> sub

    # --- the knobs -------------------------------------------------------------------------

    def set_user(
        self,
        sub: str,
        *,
        email: str | None = None,
        email_verified: bool = True,
        name: str | None = None,
        groups: list[str] | tuple[str, ...] = (),
    ) -> User:
        """Adds the user, or replaces them (new groups show at their next sign-in)."""
        user = User(
            sub=sub, email=email, email_verified=email_verified, name=name, groups=list(groups)
        )
        self.users[sub] = user
        return user

    def rotate(self, *, keep_old: bool = True) -> str:
        """A new signing key with a new kid, published from now on; returns its kid."""
        key = new_key()
        self.keys = [*self.keys, key] if keep_old else [key]
        return str(key.kid)

    def reset(self) -> None:
        """Users, knobs and toggles back to their defaults (keys and records stay)."""
        self.users.clear()
        self.auto_sub = None
        self.end_session = True
        self.groups_in_id_token = True
        self.groups_claim = "groups"
        self.token_auth_methods = ["client_secret_basic", "client_secret_post"]
        self._tampers.clear()
        self._refuse_next = False

    def tamper_next_token(self, tamper: Tamper) -> None:
        self._tampers.append(tamper)

    def refuse_next_sign_in(self) -> None:
        """The next /authorize answers error=access_denied (the person clicked "Cancel")."""
        self._refuse_next = True

    @property
    def kid(self) -> str:
        return str(self.keys[-1].kid)

    @property
    def jwks_fetches(self) -> int:
        return self.requests["GET /jwks"]

    # --- the endpoints ---------------------------------------------------------------------

    def discovery(self, request: Request) -> Response:
        document: dict[str, Any] = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "grant_types_supported": ["authorization_code"],
            "scopes_supported": ["openid", "email", "profile", "groups"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": self.token_auth_methods,
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "name"],
        }
        if self.end_session:
            document["end_session_endpoint"] = f"{self.issuer}/logout"
        return JSONResponse(document)

    def jwks(self, request: Request) -> Response:
        return JSONResponse(KeySet(list(self.keys)).as_dict(private=False))

    async def authorize(self, request: Request) -> Response:
        params = dict(await request.form()) if request.method == "POST" else request.query_params
        query = {k: str(v) for k, v in params.items()}
        refusal = self.client_problem(query)
        if refusal:  # never redirect to a URI the client did not register
            return HTMLResponse(refusal, status_code=400)
        redirect_uri, state = query["redirect_uri"], query.get("state", "")
        problem = authorize_problem(query)
        if problem:
            return back(
                redirect_uri, error="invalid_request", error_description=problem, state=state
            )
        if self._refuse_next or "deny" in query:
            self._refuse_next = False
            return back(redirect_uri, error="access_denied", state=state)
        sub = query.get("sub") if request.method == "POST" else self.auto_sub
        if sub is None:
            return HTMLResponse(self.login_page(query))
        if sub not in self.users:
            return HTMLResponse("no such user", status_code=400)
        code = secrets.token_urlsafe(24)
        self._codes[code] = Grant(
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            sub=sub,
            nonce=query["nonce"],
            code_challenge=query["code_challenge"],
        )
        return back(redirect_uri, code=code, state=state)

    def client_problem(self, query: dict[str, str]) -> str | None:
        if query.get("client_id") != self.client_id:
            return "unknown client_id"
        if query.get("redirect_uri") not in self.redirect_uris:
            return "redirect_uri not registered for this client"
        return None

    def login_page(self, query: dict[str, str]) -> str:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
        )
        options = "".join(
            f'<option value="{html.escape(sub)}">{html.escape(sub)}</option>' for sub in self.users
        )
        return (
            "<!doctype html><title>Test provider: sign in</title><h1>Test provider</h1>"
            f'<form method="post" action="/authorize">{hidden}'
            f'<label>User <select name="sub" id="sub">{options}</select></label>'
            '<button type="submit">Sign in</button>'
            '<button type="submit" name="deny" value="1">Cancel</button></form>'
        )

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        method = self.authenticate(request, form)
        if method is None:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        self.client_auth.append(method)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        grant = self._codes.pop(form.get("code", ""), None)  # one use
        if grant is None or grant.redirect_uri != form.get("redirect_uri"):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if not hmac.compare_digest(s256(form.get("code_verifier", "")), grant.code_challenge):
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "PKCE verifier"}, status_code=400
            )
        access_token = secrets.token_urlsafe(24)
        self._access[access_token] = grant.sub
        id_token = self.id_token(grant)
        self.issued.append(id_token)
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "id_token": id_token,
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    def authenticate(self, request: Request, form: dict[str, str]) -> str | None:
        """client_secret_basic or client_secret_post, or None when neither holds."""
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(encoded, validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                return None
            client_id, _, secret = decoded.partition(":")
            ok = unquote(client_id) == self.client_id and unquote(secret) == self.client_secret
            return "client_secret_basic" if ok else None
        if form.get("client_id") == self.client_id and form.get("client_secret"):
            ok = hmac.compare_digest(form["client_secret"], self.client_secret)
            return "client_secret_post" if ok else None
        return None

    def id_token(self, grant: Grant) -> str:
        user = self.users[grant.sub]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": user.sub,
            "aud": grant.client_id,
            "exp": now + TOKEN_LIFETIME,
            "iat": now,
            "auth_time": now,
            "nonce": grant.nonce,
            "email_verified": user.email_verified,
        }
        if user.email is not None:
            claims["email"] = user.email
        if user.name is not None:
            claims["name"] = user.name
        if self.groups_in_id_token:
            claims[self.groups_claim] = list(user.groups)
        key = self.keys[-1]
        tamper = self._tampers.pop(0) if self._tampers else None
        if tamper is Tamper.WRONG_SIGNATURE:
            key = RSAKey.generate_key(2048, parameters={"kid": str(key.kid)})
        elif tamper is Tamper.UNPUBLISHED_KEY:
            key = new_key()
        elif tamper is Tamper.WRONG_AUDIENCE:
            claims["aud"] = "another-client"
        elif tamper is Tamper.WRONG_ISSUER:
            claims["iss"] = "https://impostor.example.com"
        elif tamper is Tamper.WRONG_NONCE:
            claims["nonce"] = secrets.token_urlsafe(16)
        elif tamper is Tamper.EXPIRED:
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        return jwt.encode({"alg": "RS256", "kid": str(key.kid)}, claims, key)

    def userinfo(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        sub = self._access.get(token) if scheme.lower() == "bearer" else None
        if sub is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        user = self.users[sub]
        claims: dict[str, Any] = {"sub": sub, "email_verified": user.email_verified}
        if user.email is not None:
            claims["email"] = user.email
        if user.name is not None:
            claims["name"] = user.name
        claims[self.groups_claim] = list(user.groups)
        return JSONResponse(claims)

    def logout(self, request: Request) -> Response:
        self.logouts.append(dict(request.query_params))
        target = request.query_params.get("post_logout_redirect_uri")
        if target:
            state = request.query_params.get("state")
            return RedirectResponse(f"{target}?{urlencode({'state': state})}" if state else target)
        return HTMLResponse("<!doctype html><title>Signed out</title><p>Signed out.</p>")

    def app(self) -> Starlette:
        routes = [
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize, methods=["GET", "POST"]),
            Route("/token", self.token, methods=["POST"]),
            Route("/userinfo", self.userinfo, methods=["GET", "POST"]),
            Route("/logout", self.logout),
        ]
        return Starlette(routes=routes, middleware=[Middleware(Counting, counter=self.requests)])


class Counting:
    """ASGI middleware: every request counted by method and path."""

    def __init__(self, app: ASGIApp, counter: Counter[str]) -> None:
        self.app, self.counter = app, counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.counter[f"{scope['method']} {scope['path']}"] += 1
        await self.app(scope, receive, send)


def authorize_problem(query: dict[str, str]) -> str | None:
    """What is missing from an authorization request (beyond client and redirect), or None."""
    if query.get("response_type") != "code":
        return "response_type must be code"
    if "openid" not in query.get("scope", "").split():
        return "scope must include openid"
    for name in ("state", "nonce", "code_challenge"):
        if not query.get(name):
            return f"{name} is required"
    if query.get("code_challenge_method") != "S256":
        return "code_challenge_method must be S256"
    return None


def back(redirect_uri: str, **params: str) -> Response:
    """A 303 to the client's redirect URI with `params` (empty ones left out)."""
    query = urlencode({k: v for k, v in params.items() if v})
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{query}", status_code=303)


@contextmanager
def running_oidc_provider(**settings: Any) -> Iterator[OidcTestProvider]:
    """An OidcTestProvider served on a free loopback port; its issuer is its base URL."""
    provider = OidcTestProvider(**settings)
    with serving(provider.app()) as base:
        provider.issuer = base
        yield provider
