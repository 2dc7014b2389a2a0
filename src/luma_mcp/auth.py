"""OAuth 2.1 resource server: is this bearer JWT one the issuer signed, for this server, and still valid?

Imported only when LUMA_MCP_AUTH_ISSUER is set (joserfc comes with the `hosted` extra). The SDK does the
HTTP side: it calls `JwtVerifier.verify_token` for every request, answers 401 when it returns None and 403
when the token lacks a required scope, and serves the RFC 9728 metadata. Tools learn who is calling
from `identity.current_user()`, which needs none of this.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, KeySet, OKPKey, RSAKey
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings

from .settings import Settings, oauth_url_flaw

logger = logging.getLogger(__name__)

# Asymmetric only: `none` and the HS* family would let anyone who knows the public key mint tokens.
ALGORITHMS = ("RS256", "ES256", "EdDSA", "Ed25519")
LEEWAY_SECONDS = 30.0
REFETCH_SECONDS = 30.0
FETCH_TIMEOUT_SECONDS = 10.0
MAX_DOCUMENT_BYTES = 256 * 1024
# Lenient about header members nobody checks (some IdPs add their own); `crit` is refused separately.
_REGISTRY = jws.JWSRegistry(algorithms=list(ALGORITHMS), strict_check_header=False)
_SHOWN_CHARS = 64


class TokenRefused(Exception):
    """Why a token is refused: logged at INFO for the operator, never sent (the 401 says no more)."""


class KeysUnavailable(Exception):
    """The issuer's metadata or key set could not be fetched or read."""


def resource_server(settings: Settings) -> tuple[AuthSettings, JwtVerifier]:
    """The SDK's auth settings and the token verifier for `settings` (whose issuer is set)."""
    issuer, audience = settings.auth_issuer, settings.auth_audience
    assert issuer is not None and audience is not None, "Settings refuses an issuer without an audience"
    # Strings, not AnyHttpUrl objects: AuthSettings keeps a path-less URL as written, where a bare
    # AnyHttpUrl adds a slash, and clients compare the issuer it publishes character by character.
    auth = AuthSettings(
        issuer_url=issuer,
        resource_server_url=audience,
        required_scopes=list(settings.auth_scopes),
        # The verifier already requires `aud` to contain the audience; the SDK's own check is a second lock.
        validate_token_resource=True,
    )
    keys = IssuerKeys(issuer, settings.auth_jwks_url, refetch_seconds=settings.auth_jwks_refetch_seconds)
    return auth, JwtVerifier(issuer, audience, keys)


class JwtVerifier:
    """The SDK's TokenVerifier for JWT access tokens (RFC 9068) signed with one of the issuer's keys.

    Scopes are not checked here: the SDK compares them with `AuthSettings.required_scopes` and answers 403
    insufficient_scope, which tells a client to ask for more; a None from here could only become a 401.
    """

    def __init__(
        self,
        issuer: str,
        audience: str,
        keys: IssuerKeys,
        *,
        leeway_seconds: float = LEEWAY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.leeway_seconds = leeway_seconds
        self._clock = clock

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            claims = await self._verified_claims(token)
            return self._access_token(token, claims)
        except TokenRefused as refusal:
            logger.info("Refused a bearer token: %s", refusal)
            return None

    async def _verified_claims(self, token: str) -> dict[str, Any]:
        signed = _parse(token)
        header = signed.headers()
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise TokenRefused(f"alg {_shown(alg)} is not one of {', '.join(ALGORITHMS)}")
        if "crit" in header:
            raise TokenRefused("it has critical header extensions (crit), which this server does not implement")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenRefused("its kid is not a string")
        key = await self.keys.find(kid, alg)
        if not _signature_holds(signed, key):
            raise TokenRefused(f"its signature does not verify with the issuer's key {_shown(key.kid)}")
        claims = _claims(signed.payload)
        self._check(claims)
        return claims

    def _check(self, claims: dict[str, Any]) -> None:
        if claims.get("iss") != self.issuer:
            raise TokenRefused(f"iss {_shown(claims.get('iss'))} is not the issuer {self.issuer}")
        if self.audience not in _audiences(claims.get("aud")):
            raise TokenRefused(f"aud {_shown(claims.get('aud'))} does not contain {self.audience}")
        now = self._clock()
        expires = _time(claims, "exp")
        if expires is None:
            raise TokenRefused("it has no exp")
        if expires + self.leeway_seconds <= now:
            raise TokenRefused(f"it expired {now - expires:.0f} s ago")
        for name in ("nbf", "iat"):
            moment = _time(claims, name)
            if moment is not None and moment - self.leeway_seconds > now:
                raise TokenRefused(f"its {name} is {moment - now:.0f} s in the future")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise TokenRefused("it has no sub (the user it stands for)")

    def _access_token(self, token: str, claims: dict[str, Any]) -> AccessToken:
        subject: str = claims["sub"]
        client_id = next(
            (value for value in (claims.get("client_id"), claims.get("azp")) if isinstance(value, str) and value),
            subject,
        )
        expires = _time(claims, "exp")
        return AccessToken(
            token=token,
            client_id=client_id,
            scopes=_scopes(claims),
            expires_at=int(expires) if expires is not None else None,
            resource=self.audience,
            subject=subject,
            claims=claims,
        )


class IssuerKeys:
    """The issuer's public keys, fetched on first need and again whenever a token names a kid not among them,
    but at most once per `refetch_seconds`: a rotated key is picked up, and a flood of made-up kids costs the
    IdP one request per interval. A failed fetch keeps the keys already known."""

    def __init__(
        self,
        issuer: str,
        jwks_url: str | None = None,
        *,
        refetch_seconds: float = REFETCH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self.jwks_url = jwks_url
        self.refetch_seconds = refetch_seconds
        self._clock = clock
        self._discovered: str | None = None
        self._keys: KeySet | None = None
        self._fetched_at: float | None = None
        self._generation = 0
        self._lock = anyio.Lock()

    async def find(self, kid: str | None, alg: str) -> Key:
        """The key that verifies a token with this header; raises TokenRefused when there is none."""
        key = self._pick(kid, alg)
        if key is None and await self._refresh(self._generation):
            key = self._pick(kid, alg)
        if key is None:
            known = ", ".join(_shown(key.kid) for key in self._keys or ()) or "none"
            raise TokenRefused(f"no {alg} key with kid {_shown(kid)} among the issuer's keys ({known})")
        return key

    def _pick(self, kid: str | None, alg: str) -> Key | None:
        usable = [key for key in self._keys or () if _fits(key, alg) and (kid is None or key.kid == kid)]
        # Without a kid only a lone candidate is unambiguous.
        return usable[0] if usable and (kid is not None or len(usable) == 1) else None

    async def _refresh(self, seen: int) -> bool:
        """Fetch the keys unless fetched within the interval; True when they may have changed since `seen`."""
        async with self._lock:
            if self._generation != seen:
                return True  # fetched by another request while this one waited
            now = self._clock()
            if self._fetched_at is not None and now - self._fetched_at < self.refetch_seconds:
                return False
            self._fetched_at = now
            try:
                self._keys = await self._fetch()
            except KeysUnavailable as exc:
                logger.warning("Cannot fetch the signing keys of %s (new tokens are refused): %s", self.issuer, exc)
                return False
            self._generation += 1
            return True

    async def _fetch(self) -> KeySet:
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS) as http:
            url = self.jwks_url or self._discovered or await self._discover(http)
            try:
                document = await _get_json(http, url)
            except KeysUnavailable:
                self._discovered = None  # the issuer may have moved its keys: read its metadata again next time
                raise
            self._discovered = url if url != self.jwks_url else None
        try:
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise KeysUnavailable(f"{url} is not a usable JWK set ({type(exc).__name__})") from None
        logger.info("Fetched %d signing keys of %s from %s", len(keys.keys), self.issuer, url)
        return keys

    async def _discover(self, http: httpx.AsyncClient) -> str:
        """The `jwks_uri` of the issuer's metadata: RFC 8414 first, then OpenID Connect Discovery."""
        reasons = []
        for url in metadata_urls(self.issuer):
            try:
                metadata = await _get_json(http, url)
            except KeysUnavailable as exc:
                reasons.append(str(exc))
                continue
            jwks_uri = metadata.get("jwks_uri")
            if metadata.get("issuer") != self.issuer:
                # RFC 8414 section 3.3: metadata naming another issuer must not be used.
                reasons.append(f"{url} names the issuer {_shown(metadata.get('issuer'))}")
            elif not isinstance(jwks_uri, str) or oauth_url_flaw(jwks_uri) is not None:
                reasons.append(f"{url} has no https jwks_uri")
            else:
                return jwks_uri
        raise KeysUnavailable("; ".join(reasons))


def metadata_urls(issuer: str) -> list[str]:
    """Where an issuer publishes its metadata: the well-known name goes between host and path (RFC 8414),
    and OpenID Connect also appends it to the whole issuer."""
    parts = urlsplit(issuer)
    origin, path = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
    urls = [
        f"{origin}/.well-known/oauth-authorization-server{path}",
        f"{origin}/.well-known/openid-configuration{path}",
        f"{issuer.rstrip('/')}/.well-known/openid-configuration",
    ]
    return list(dict.fromkeys(urls))


async def _get_json(http: httpx.AsyncClient, url: str) -> dict[str, Any]:
    try:
        async with http.stream("GET", url, headers={"Accept": "application/json"}) as response:
            if response.status_code != 200:
                raise KeysUnavailable(f"{url} answered HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise KeysUnavailable(f"{url} sent more than {MAX_DOCUMENT_BYTES} bytes")
    except httpx.HTTPError as exc:
        raise KeysUnavailable(f"{url}: {type(exc).__name__} {exc}") from None
    try:
        document = json.loads(body)
    except ValueError:
        raise KeysUnavailable(f"{url} did not answer with JSON") from None
    if not isinstance(document, dict):
        raise KeysUnavailable(f"{url} did not answer with a JSON object")
    return document


def _parse(token: str) -> jws.CompactSignature:
    try:
        return jws.extract_compact(token.encode(), registry=_REGISTRY)
    except (JoseError, ValueError, TypeError) as exc:
        raise TokenRefused(f"it is not a signed JWT ({type(exc).__name__})") from None


def _signature_holds(signed: jws.CompactSignature, key: Key) -> bool:
    try:
        return jws.validate_compact(signed, key, registry=_REGISTRY)
    except (JoseError, ValueError, TypeError) as exc:
        raise TokenRefused(f"its signature cannot be checked ({type(exc).__name__})") from None


def _claims(payload: bytes | None) -> dict[str, Any]:
    try:
        claims = json.loads(payload or b"")
    except ValueError:
        raise TokenRefused("its payload is not JSON") from None
    if not isinstance(claims, dict):
        raise TokenRefused("its payload is not a JSON object")
    return claims


def _fits(key: Key, alg: str) -> bool:
    """Whether `key` may verify `alg`: the key's type and curve follow from the algorithm, never the reverse."""
    if key.get("use") not in (None, "sig") or key.get("alg") not in (None, alg):
        return False
    if alg == "RS256":
        return isinstance(key, RSAKey)
    if alg == "ES256":
        return isinstance(key, ECKey) and key.curve_name == "P-256"
    return isinstance(key, OKPKey) and key.curve_name == "Ed25519"


def _audiences(aud: object) -> list[str]:
    if isinstance(aud, str):
        return [aud]
    return [entry for entry in aud if isinstance(entry, str)] if isinstance(aud, list) else []


def _time(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TokenRefused(f"its {name} is not a number of seconds")
    return float(value)


def _scopes(claims: dict[str, Any]) -> list[str]:
    """RFC 9068's space-separated `scope`, or the `scp` some IdPs send instead (a list, or a string)."""
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            return value.split()
        if isinstance(value, list):
            return [entry for entry in value if isinstance(entry, str)]
    return []


def _shown(value: object) -> str:
    """A value from an untrusted token, short and quoted, safe for one log line."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "..."
