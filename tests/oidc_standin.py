"""A loopback OpenID provider: discovery, /authorize, /token, /jwks and /userinfo, with RS256 ID tokens.

Point [console.oidc] issuer at `OidcStandIn.url`. /authorize shows no login form: it sends the browser straight back
to the redirect_uri with a code for `next_user` (its claims, e.g. {"sub": "u1", "preferred_username": "carol",
"groups": ["sre"]}). /token checks the client's id and secret (the way discovery advertises: Basic by default), that
the code is one it issued and not used yet, that redirect_uri is the authorization's, and that the PKCE verifier
hashes (S256) to the challenge; it answers OAuth's 400 invalid_grant when any of these is wrong. The ID token is
signed by hand with `cryptography` (not with the library incidentd verifies it with), with a key made at start.

To make it misbehave, set before the sign-in starts: `deny` (the authorization answers error=<deny>),
`token_changes` (claims put over the ID token's, e.g. {"nonce": "other"} or {"aud": "someone-else"}), `forge`
(the ID token is signed by a key the JWKS does not hold, under the same kid) or `userinfo_only` (claims left out of
the ID token, for /userinfo to tell). `reset()` puts everything back.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from loopback_http import close, origin, serve

CLIENT_ID = "incidentd-console"
CLIENT_SECRET = "standin-client-secret"
CAROL = {"sub": "u1", "preferred_username": "carol", "email": "carol@example.com", "groups": ["sre"]}
TOKEN_LIFETIME_S = 300


def b64url(raw: bytes) -> str:
    """Base64url without padding, as JOSE writes it."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636, section 4.2)."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass
class Grant:
    """A code the stand-in issued: what the authorization asked for, and who signed in."""

    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    claims: dict[str, Any]
    token_changes: dict[str, Any]
    userinfo_only: frozenset[str]
    forge: bool


@dataclass(frozen=True)
class TokenRequest:
    """One request to /token, and how the stand-in answered it."""

    form: dict[str, str]
    authorization: str | None
    status: int
    answer: dict[str, Any]


@dataclass
class OidcStandIn:
    """An OpenID provider on 127.0.0.1 for one client."""

    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    auth_method: str = "client_secret_basic"  # what discovery advertises, and the only way /token accepts
    next_user: dict[str, Any] = field(default_factory=lambda: dict(CAROL))
    deny: str | None = None
    token_changes: dict[str, Any] = field(default_factory=dict)
    userinfo_only: frozenset[str] = frozenset()
    forge: bool = False
    kid: str = "standin-1"
    authorizations: list[dict[str, str]] = field(default_factory=list)  # each /authorize query
    token_requests: list[TokenRequest] = field(default_factory=list)
    discovery_fetches: int = 0

    def __post_init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._grants: dict[str, Grant] = {}
        self._access: dict[str, dict[str, Any]] = {}  # access token -> the user's claims
        self._lock = threading.Lock()
        self._server: Any = None

    # --- running ------------------------------------------------------------------------------------------

    def start(self) -> OidcStandIn:
        """Listen on a free loopback port."""
        self._server = serve(self._handler())
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            close(self._server)
            self._server = None

    def __enter__(self) -> OidcStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The issuer: http://127.0.0.1:<port>."""
        assert self._server is not None, "not started"
        return origin(self._server)

    def reset(self) -> None:
        """Back to signing carol in, with nothing wrong, and nothing recorded."""
        with self._lock:
            self.next_user = dict(CAROL)
            self.deny = None
            self.token_changes = {}
            self.userinfo_only = frozenset()
            self.forge = False
            self.auth_method = "client_secret_basic"
            self.authorizations.clear()
            self.token_requests.clear()

    # --- the provider's documents -----------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        """The discovery document."""
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "groups"],
            "token_endpoint_auth_methods_supported": [self.auth_method],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
        }

    def jwks(self) -> dict[str, Any]:
        """The public key set."""
        numbers = self.key.public_key().public_numbers()

        def encode(value: int) -> str:
            return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

        key = {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": encode(numbers.n),
            "e": encode(numbers.e),
        }
        return {"keys": [key]}

    def sign(self, claims: dict[str, Any], forge: bool = False) -> str:
        """A compact RS256 JWS of the claims, by the stand-in's key (or, when forging, by another)."""
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        signature = (self.forger if forge else self.key).sign(
            signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        return f"{signing_input}.{b64url(signature)}"

    # --- answering ------------------------------------------------------------------------------------------

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any] | None]:
        """/authorize: a redirect back with a code (or the error set in `deny`); 400 for a malformed request."""
        with self._lock:
            self.authorizations.append(query)
            problem = self._authorization_problem(query)
            if problem:  # as a provider does when it cannot trust the redirect_uri: no redirect at all
                return 400, {}, {"error": "invalid_request", "error_description": problem}
            back: dict[str, str] = {"state": query["state"]} if "state" in query else {}
            if self.deny:
                back.update(error=self.deny, error_description="The user or the provider refused.")
            else:
                code = secrets.token_urlsafe(24)
                self._grants[code] = Grant(
                    query["client_id"],
                    query["redirect_uri"],
                    query["code_challenge"],
                    query.get("nonce"),
                    dict(self.next_user),
                    dict(self.token_changes),
                    self.userinfo_only,
                    self.forge,
                )
                back["code"] = code
        separator = "&" if "?" in query["redirect_uri"] else "?"
        return 302, {"Location": f"{query['redirect_uri']}{separator}{urllib.parse.urlencode(back)}"}, None

    def _authorization_problem(self, query: dict[str, str]) -> str | None:
        if query.get("client_id") != self.client_id:
            return "unknown client_id"
        if not query.get("redirect_uri", "").startswith("http"):
            return "redirect_uri missing"
        if query.get("response_type") != "code":
            return "response_type must be code"
        if "openid" not in query.get("scope", "").split():
            return "scope must include openid"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return "PKCE with S256 is required"
        return None

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        """/token: tokens for a valid code, or OAuth's error answer."""
        with self._lock:
            status, answer = self._token_answer(form, authorization)
            self.token_requests.append(TokenRequest(form, authorization, status, answer))
        return status, answer

    def _token_answer(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        if not self._client_authenticated(form, authorization):
            return 401, {"error": "invalid_client", "error_description": "client authentication failed"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        grant = self._grants.pop(form.get("code", ""), None)  # a code is used once, whatever happens next
        if grant is None:
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs from the authorization's"}
        verifier = form.get("code_verifier", "")
        if not 43 <= len(verifier) <= 128 or s256(verifier) != grant.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        access_token = secrets.token_urlsafe(24)
        self._access[access_token] = grant.claims
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_S,
            "scope": "openid profile email",
            "id_token": self.sign(self.id_token_claims(grant), grant.forge),
        }

    def _client_authenticated(self, form: dict[str, str], authorization: str | None) -> bool:
        if self.auth_method == "client_secret_post":
            return form.get("client_id") == self.client_id and form.get("client_secret") == self.client_secret
        kind, _, encoded = (authorization or "").partition(" ")
        if kind.lower() != "basic":
            return False
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        unquote = urllib.parse.unquote_plus
        return unquote(user) == self.client_id and unquote(password) == self.client_secret

    def id_token_claims(self, grant: Grant) -> dict[str, Any]:
        """What the ID token of a grant says, misbehaviour included."""
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.url, "aud": grant.client_id, "exp": now + TOKEN_LIFETIME_S, "iat": now}
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims.update({k: v for k, v in grant.claims.items() if k not in grant.userinfo_only})
        claims.update(grant.token_changes)
        return {k: v for k, v in claims.items() if v is not None}  # a change to None leaves the claim out

    def userinfo(self, authorization: str | None) -> tuple[int, dict[str, Any]]:
        """/userinfo: the signed-in user's claims for a Bearer access token."""
        kind, _, token = (authorization or "").partition(" ")
        with self._lock:
            claims = self._access.get(token) if kind.lower() == "bearer" else None
        if claims is None:
            return 401, {"error": "invalid_token"}
        return 200, claims

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's hook name)
                path, _, raw_query = self.path.partition("?")
                query = dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
                if path == "/.well-known/openid-configuration":
                    standin.discovery_fetches += 1
                    self._json(200, standin.discovery())
                elif path == "/jwks":
                    self._json(200, standin.jwks())
                elif path == "/authorize":
                    status, headers, body = standin.authorize(query)
                    self._json(status, body or {}, headers)
                elif path == "/userinfo":
                    self._json(*standin.userinfo(self.headers.get("Authorization")))
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
                if self.path == "/token":
                    self._json(*standin.token(form, self.headers.get("Authorization")))
                else:
                    self._json(404, {"error": "not_found"})

            def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        return Handler
