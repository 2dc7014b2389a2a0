"""A tiny identity provider for the OAuth tests: its metadata and key set over real HTTP on loopback, the
tokens it mints, and the forgeries a resource server must refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from joserfc import jws
from joserfc.jwk import ECKey, Key, KeySet, OKPKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

AUDIENCE = "https://mcp.example.com/mcp"
METADATA_URL = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
SCOPE = "luma-mcp"
JWKS_PATH = "/jwks.json"
RFC8414_PATH = "/.well-known/oauth-authorization-server"
OIDC_PATH = "/.well-known/openid-configuration"
# RFC 9864's fully specified name for Ed25519; the older "EdDSA" is accepted too, and tested apart.
ALGORITHM_OF = {"RSA": "RS256", "EC": "ES256", "OKP": "Ed25519"}


def rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid})


def ec_key(kid: str) -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid})


def ed_key(kid: str) -> OKPKey:
    return OKPKey.generate_key("Ed25519", parameters={"kid": kid})


@dataclass
class Idp:
    """An authorization server reduced to what a resource server reads: metadata and public keys.

    `keys[0]` signs by default; every key is published. `issuer` is set once it is served."""

    keys: list[Key]
    metadata_paths: tuple[str, ...] = (RFC8414_PATH,)
    issuer: str = ""
    # What its metadata claims as the issuer, when not its own: a mix-up a resource server must not follow.
    claimed_issuer: str | None = None
    requests: list[str] = field(default_factory=list)

    @property
    def key_fetches(self) -> int:
        return self.requests.count(JWKS_PATH)

    def app(self) -> Starlette:
        routes = [Route(path, self._metadata) for path in self.metadata_paths]
        return Starlette(routes=[*routes, Route(JWKS_PATH, self._jwks)])

    async def _metadata(self, request: Request) -> Response:
        self.requests.append(request.url.path)
        issuer = self.claimed_issuer or self.issuer
        return JSONResponse({"issuer": issuer, "jwks_uri": self.issuer + JWKS_PATH, "token_endpoint": "/token"})

    async def _jwks(self, request: Request) -> Response:
        self.requests.append(request.url.path)
        return JSONResponse(dict(KeySet(list(self.keys)).as_dict(private=False)))

    def rotate(self, key: Key) -> None:
        """Sign with `key` from now on, and publish only it (the old key is withdrawn)."""
        self.keys = [key]

    def claims(self, **changes: Any) -> dict[str, Any]:
        """A valid access token's claims, with `changes` (None removes a claim)."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "alice",
            "client_id": "test-client",
            "scope": SCOPE,
            "iat": now,
            "exp": now + 300,
            **changes,
        }
        return {name: value for name, value in claims.items() if value is not None}

    def token(self, *, key: Key | None = None, header: dict[str, Any] | None = None, **changes: Any) -> str:
        key = key or self.keys[0]
        protected = {"typ": "at+jwt", "alg": ALGORITHM_OF[key.key_type], "kid": key.kid, **(header or {})}
        payload = json.dumps(self.claims(**changes))
        return jws.serialize_compact(protected, payload, key, algorithms=[protected["alg"]])

    def unsigned_token(self) -> str:
        """`alg: none`: no signature at all."""
        return compact({"alg": "none", "typ": "JWT"}, self.claims(), lambda _: b"")

    def hs256_with_public_key(self) -> str:
        """The classic confusion: HMAC keyed with the RSA public key, which anyone can read from the JWKS."""
        key = self.keys[0]
        assert isinstance(key, RSAKey)
        secret = key.as_pem(private=False)
        header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
        return compact(header, self.claims(), lambda data: hmac.new(secret, data, hashlib.sha256).digest())


def compact(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    """A JWS compact serialization put together by hand, for tokens no JOSE library would sign."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
