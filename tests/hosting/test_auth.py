"""OAuth 2.1 resource server (hosted streamable HTTP): tokens from a real IdP on loopback, checked over HTTP.

The IdP (auth_support) serves its metadata and keys from a thread; the MCP server runs in process behind
uvicorn on an ephemeral port, or as users start it (`luma-mcp --transport streamable-http`) for the
end-to-end case. Refusals are asserted on the wire: status, challenge, and nothing of the token echoed.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from joserfc.errors import SecurityWarning
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken

from conftest import loopback, structured
from luma_mcp.auth import IssuerKeys, JwtVerifier, metadata_urls
from luma_mcp.http_transport import ISSUER_ENV, TOKEN_ENV, HttpOptions, HttpTransportError, check_bind, http_app
from luma_mcp.identity import current_user, user_folder_name
from luma_mcp.server import build_server
from luma_mcp.settings import Settings, SettingsError
from test_http_transport import client_with_token, http_server, post

from .auth_support import (
    AUDIENCE,
    JWKS_PATH,
    METADATA_URL,
    OIDC_PATH,
    RFC8414_PATH,
    SCOPE,
    Idp,
    ec_key,
    ed_key,
    rsa_key,
)

OAUTH_ENV = {"LUMA_MCP_AUTH_AUDIENCE": AUDIENCE}


@pytest.fixture
async def idp() -> AsyncIterator[Idp]:
    provider = Idp([rsa_key("rsa-1"), ec_key("ec-1"), ed_key("ed-1")])
    async with loopback(provider.app()) as url:
        provider.issuer = url
        yield provider


def oauth_settings(tmp_path: Path, idp: Idp, **changes: Any) -> Settings:
    return Settings(
        sandbox=True,
        output_dir=tmp_path / "out",
        data_dir=tmp_path / "data",
        min_poll_interval=0.02,
        sandbox_job_seconds=0.3,
        auth_issuer=idp.issuer,
        auth_audience=AUDIENCE,
        **changes,
    )


@asynccontextmanager
async def mcp_server(settings: Settings) -> AsyncIterator[str]:
    """The HTTP app as `serve_http` builds it, served on loopback; yields its MCP URL."""
    async with loopback(http_app(build_server(settings), "127.0.0.1", 0, None), lifespan="on") as root:
        yield root + "/mcp"


def verifier(idp: Idp, refetch_seconds: float = 30.0) -> JwtVerifier:
    return JwtVerifier(idp.issuer, AUDIENCE, IssuerKeys(idp.issuer, refetch_seconds=refetch_seconds))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_challenge(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and f'error="{error}"' in challenge, challenge
    assert f'resource_metadata="{METADATA_URL}"' in challenge and f'scope="{SCOPE}"' in challenge, challenge


async def test_a_valid_token_lists_tools_and_lists_generations(tmp_path: Path, idp: Idp) -> None:
    async with mcp_server(oauth_settings(tmp_path, idp)) as url:
        for key in idp.keys:  # RS256, ES256, Ed25519
            async with client_with_token(url, idp.token(key=key)) as client:
                names = {tool.name for tool in (await client.list_tools()).tools}
                assert {"generate_video", "list_generations"} <= names
                assert structured(await client.call_tool("list_generations", {}))["generations"] == []
    assert idp.requests == [RFC8414_PATH, JWKS_PATH], "the keys are fetched once, then cached"


async def test_refused_tokens_get_401_pointing_at_the_resource_metadata(
    tmp_path: Path, idp: Idp, caplog: pytest.LogCaptureFixture
) -> None:
    now = int(time.time())
    refused = {  # what is sent: the reason the server logs (None: no token reaches the verifier)
        "no token": ({}, None),
        "another scheme": ({"Authorization": f"Basic {idp.token()}"}, None),
        "not a JWT": (bearer("not-a-jwt"), "not a signed JWT"),
        "another audience": (bearer(idp.token(aud="https://other.example.com/mcp")), "aud"),
        "expired": (bearer(idp.token(iat=now - 900, exp=now - 300)), "expired"),
        "not yet valid": (bearer(idp.token(nbf=now + 600)), "nbf"),
        "wrong issuer": (bearer(idp.token(iss="https://evil.example.com")), "iss 'https://evil.example.com'"),
        "bad signature": (bearer(idp.token(key=rsa_key("rsa-1"))), "signature does not verify"),
        "alg none": (bearer(idp.unsigned_token()), "alg 'none'"),
        "HS256 keyed with the public key": (bearer(idp.hs256_with_public_key()), "alg 'HS256'"),
        "ES256 with an RSA key's kid": (bearer(idp.token(key=ec_key("rsa-1"))), "no ES256 key with kid 'rsa-1'"),
        "no sub": (bearer(idp.token(sub=None)), "no sub"),
        "unknown kid": (bearer(idp.token(key=rsa_key("stranger"))), "kid 'stranger'"),
    }
    async with mcp_server(oauth_settings(tmp_path, idp)) as url:
        for case, (headers, reason) in refused.items():
            caplog.clear()
            with caplog.at_level(logging.INFO, logger="luma_mcp.auth"):
                response = await post(url, headers)
            assert_challenge(response, 401, "invalid_token")
            assert "Bearer" not in response.text and len(response.text) < 200, case
            assert reason is None or reason in caplog.text, (case, caplog.text)
        assert (await post(url, bearer(idp.token()))).status_code == 200


async def test_a_token_without_the_scope_gets_403_naming_it(tmp_path: Path, idp: Idp) -> None:
    async with mcp_server(oauth_settings(tmp_path, idp)) as url:
        for token in (idp.token(scope="profile email"), idp.token(scope=None)):
            assert_challenge(await post(url, bearer(token)), 403, "insufficient_scope")
        assert (await post(url, bearer(idp.token(scope=f"profile {SCOPE}")))).status_code == 200


async def test_the_public_name_from_the_audience_passes_the_host_check(tmp_path: Path, idp: Idp) -> None:
    """Behind a proxy that keeps the Host header, clients reach the server by the audience's name."""
    async with mcp_server(oauth_settings(tmp_path, idp)) as url:
        valid = bearer(idp.token())
        assert (await post(url, {**valid, "Host": "mcp.example.com", "Origin": "https://mcp.example.com"})).is_success
        assert (await post(url, {**valid, "Host": "evil.example"})).status_code == 421


async def test_the_protected_resource_metadata_names_the_authorization_server(tmp_path: Path, idp: Idp) -> None:
    async with mcp_server(oauth_settings(tmp_path, idp)) as url, httpx.AsyncClient(timeout=30) as http:
        response = await http.get(url.removesuffix("/mcp") + "/.well-known/oauth-protected-resource/mcp")
    assert response.status_code == 200
    metadata = response.json()
    assert metadata["resource"] == AUDIENCE and metadata["authorization_servers"] == [idp.issuer]
    assert metadata["scopes_supported"] == [SCOPE] and metadata["bearer_methods_supported"] == ["header"]


async def test_a_rotated_key_is_fetched_when_a_token_names_it(tmp_path: Path, idp: Idp) -> None:
    async with mcp_server(oauth_settings(tmp_path, idp, auth_jwks_refetch_seconds=0.5)) as url:
        old = idp.token()
        assert (await post(url, bearer(old))).status_code == 200
        idp.rotate(rsa_key("rsa-2"))
        await anyio.sleep(0.6)
        assert (await post(url, bearer(idp.token()))).status_code == 200
        assert (await post(url, bearer(old))).status_code == 401, "the withdrawn key no longer verifies"
    assert idp.key_fetches == 2


async def test_a_flood_of_unknown_kids_fetches_the_keys_once_per_interval(idp: Idp) -> None:
    check = verifier(idp, refetch_seconds=0.5)
    assert await check.verify_token(idp.token()) is not None
    impostor = ec_key("impostor")

    async def flood() -> None:
        async with anyio.create_task_group() as group:
            for n in range(40):
                group.start_soon(check.verify_token, idp.token(key=impostor, header={"kid": f"made-up-{n}"}))

    await flood()
    assert idp.key_fetches == 1, "within the interval: no fetch at all"
    await anyio.sleep(0.6)
    await flood()
    assert idp.key_fetches == 2, "after it: one fetch for the whole flood"


async def test_the_access_token_carries_who_and_what(idp: Idp) -> None:
    expires = int(time.time()) + 120
    audiences = ["https://other.example.com", AUDIENCE]
    token = idp.token(aud=audiences, scope=None, scp=[SCOPE, "x"], client_id=None, exp=expires)
    access = await verifier(idp).verify_token(token)
    assert access is not None and access.token == token
    assert (access.subject, access.client_id, access.resource) == ("alice", "alice", AUDIENCE)
    assert access.scopes == [SCOPE, "x"] and access.expires_at == expires
    assert access.claims is not None and access.claims["iss"] == idp.issuer
    azp = await verifier(idp).verify_token(idp.token(client_id=None, azp="web-app"))
    assert azp is not None and azp.client_id == "web-app"


@pytest.mark.parametrize(
    ("changes", "accepted"),
    [
        ({"iat_offset": 10}, True),  # clock skew within the leeway
        ({"iat_offset": 120}, False),
        ({"nbf_offset": 10}, True),
        ({"exp_offset": -120}, False),
        ({"exp_offset": None}, False),
        ({"sub": ""}, False),
        ({"exp": "tomorrow"}, False),
    ],
)
async def test_time_and_subject_claims(idp: Idp, changes: dict[str, Any], accepted: bool) -> None:
    now = int(time.time())
    claims: dict[str, Any] = {}
    for name, value in changes.items():
        if name.endswith("_offset"):
            claims[name.removesuffix("_offset")] = None if value is None else now + value
        else:
            claims[name] = value
    assert (await verifier(idp).verify_token(idp.token(**claims)) is not None) is accepted


async def test_the_older_eddsa_name_is_accepted_too(idp: Idp) -> None:
    with pytest.warns(SecurityWarning, match="EdDSA"):  # joserfc's nudge towards Ed25519, not a failure
        token = idp.token(key=idp.keys[2], header={"alg": "EdDSA"})
        assert await verifier(idp).verify_token(token) is not None


async def test_refusals_are_logged_without_the_token(idp: Idp, caplog: pytest.LogCaptureFixture) -> None:
    token = idp.token(aud="https://other.example.com/mcp")
    with caplog.at_level(logging.INFO, logger="luma_mcp.auth"):
        assert await verifier(idp).verify_token(token) is None
    assert "aud" in caplog.text and "https://other.example.com/mcp" in caplog.text
    assert token not in caplog.text and token.split(".")[2] not in caplog.text


async def test_discovery_falls_back_to_openid_configuration() -> None:
    provider = Idp([rsa_key("rsa-1")], metadata_paths=(OIDC_PATH,))
    async with loopback(provider.app()) as url:
        provider.issuer = url
        assert await verifier(provider).verify_token(provider.token()) is not None
    assert provider.requests == [OIDC_PATH, JWKS_PATH]


async def test_metadata_that_names_another_issuer_is_not_used(caplog: pytest.LogCaptureFixture) -> None:
    provider = Idp([rsa_key("rsa-1")], claimed_issuer="https://evil.example.com")
    async with loopback(provider.app()) as url:
        provider.issuer = url
        with caplog.at_level(logging.WARNING, logger="luma_mcp.auth"):
            assert await verifier(provider).verify_token(provider.token()) is None
    assert provider.key_fetches == 0 and "evil.example.com" in caplog.text


async def test_an_explicit_jwks_url_skips_discovery(idp: Idp) -> None:
    keys = IssuerKeys(idp.issuer, idp.issuer + JWKS_PATH)
    assert await JwtVerifier(idp.issuer, AUDIENCE, keys).verify_token(idp.token()) is not None
    assert idp.requests == [JWKS_PATH]


def test_metadata_urls_put_the_well_known_name_before_the_issuer_path() -> None:
    assert metadata_urls("https://idp.example.com") == [
        "https://idp.example.com/.well-known/oauth-authorization-server",
        "https://idp.example.com/.well-known/openid-configuration",
    ]
    assert metadata_urls("https://idp.example.com/tenant/1") == [
        "https://idp.example.com/.well-known/oauth-authorization-server/tenant/1",
        "https://idp.example.com/.well-known/openid-configuration/tenant/1",
        "https://idp.example.com/tenant/1/.well-known/openid-configuration",
    ]


def test_current_user_is_the_issuer_and_subject_of_the_request_token() -> None:
    assert current_user() == ""  # stdio, or HTTP without OAuth: the single user
    access = AccessToken(
        token="t", client_id="app", scopes=[SCOPE], subject="alice", claims={"iss": "https://idp.example.com"}
    )
    reset = auth_context_var.set(AuthenticatedUser(access))
    try:
        assert current_user() == "https://idp.example.com|alice"
    finally:
        auth_context_var.reset(reset)
    assert current_user() == ""


def test_user_folder_names_are_stable_distinct_and_path_safe() -> None:
    alice, bob = "https://idp.example.com|alice", "https://idp.example.com|../bob"
    assert user_folder_name(alice) == user_folder_name(alice) != user_folder_name(bob)
    assert all(name.replace("-", "").isalnum() for name in (user_folder_name(alice), user_folder_name(bob)))
    assert user_folder_name("") == ""


def test_oauth_settings_are_read_from_the_environment() -> None:
    env = {
        ISSUER_ENV: "https://idp.example.com",
        "LUMA_MCP_AUTH_AUDIENCE": AUDIENCE,
        "LUMA_MCP_AUTH_SCOPES": "luma-mcp, media:write  read",
        "LUMA_MCP_AUTH_JWKS_URL": "https://idp.example.com/keys?v=2",
    }
    settings = Settings.from_env(env)
    assert (settings.auth_issuer, settings.auth_audience) == ("https://idp.example.com", AUDIENCE)
    assert settings.auth_scopes == ("luma-mcp", "media:write", "read")
    assert settings.auth_jwks_url == "https://idp.example.com/keys?v=2"
    defaults = Settings.from_env({ISSUER_ENV: "http://127.0.0.1:9000", "LUMA_MCP_AUTH_AUDIENCE": AUDIENCE})
    assert defaults.auth_scopes == ("luma-mcp",) and defaults.auth_jwks_url is None
    assert Settings.from_env({}).auth_issuer is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({ISSUER_ENV: "https://idp.example.com"}, "LUMA_MCP_AUTH_AUDIENCE"),
        ({"LUMA_MCP_AUTH_AUDIENCE": AUDIENCE}, ISSUER_ENV),
        ({ISSUER_ENV: "http://idp.example.com", **OAUTH_ENV}, ISSUER_ENV),
        ({ISSUER_ENV: "https://idp.example.com", "LUMA_MCP_AUTH_AUDIENCE": "http://mcp.example.com/mcp"}, "AUDIENCE"),
        ({ISSUER_ENV: "https://idp.example.com#x", **OAUTH_ENV}, ISSUER_ENV),
        ({ISSUER_ENV: "idp.example.com", **OAUTH_ENV}, ISSUER_ENV),
        ({ISSUER_ENV: "https://i.example", "LUMA_MCP_AUTH_JWKS_URL": "http://i.example/k", **OAUTH_ENV}, "JWKS_URL"),
        ({ISSUER_ENV: "https://idp.example.com", "LUMA_MCP_AUTH_SCOPES": 'a"b', **OAUTH_ENV}, "SCOPES"),
    ],
)
def test_unusable_oauth_settings_are_refused_in_one_line(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named) as refused:
        Settings.from_env(env)
    assert "\n" not in str(refused.value)


def test_the_static_token_and_oauth_exclude_each_other() -> None:
    with pytest.raises(HttpTransportError) as refused:
        check_bind(HttpOptions(token="secret-token", oauth=True))
    assert TOKEN_ENV in str(refused.value) and ISSUER_ENV in str(refused.value)
    check_bind(HttpOptions(host="0.0.0.0", oauth=True))  # OAuth guards a public bind as the token does


def test_importing_the_server_does_not_import_the_jose_library() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import luma_mcp.server, luma_mcp.identity"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "luma_mcp.server" in done.stderr and "joserfc" not in done.stderr


async def test_the_command_line_server_with_oauth(tmp_path: Path, idp: Idp) -> None:
    with http_server(tmp_path, **{ISSUER_ENV: idp.issuer, **OAUTH_ENV}) as url:
        assert_challenge(await post(url), 401, "invalid_token")
        async with client_with_token(url, idp.token()) as client:
            assert structured(await client.call_tool("list_generations", {}))["generations"] == []
    assert "(OAuth)" in (tmp_path / "server-stderr.log").read_text()
