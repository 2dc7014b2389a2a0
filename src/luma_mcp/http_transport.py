"""Streamable HTTP: the SDK's Starlette app behind a bearer-token check, served by uvicorn.

Loopback is the default and the only address allowed without `LUMA_MCP_HTTP_TOKEN`: anything that can
reach the port could otherwise spend the Luma key. DNS-rebinding protection (the SDK's Host/Origin
check) is always on, with the bound host:port as the only allowed names, so a web page that rebinds
its own name to 127.0.0.1 still cannot drive the server from a browser.

With LUMA_MCP_AUTH_ISSUER the server is an OAuth 2.1 resource server instead (auth.py): the SDK checks
every request's bearer JWT and serves the RFC 9728 metadata; `ScopeChallenge` completes its challenges.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import json
import re
import socket
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mcp.server.transport_security import TransportSecuritySettings

if TYPE_CHECKING:
    from mcp.server import MCPServer
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from .http_limits import Limits

TOKEN_ENV = "LUMA_MCP_HTTP_TOKEN"
ISSUER_ENV = "LUMA_MCP_AUTH_ISSUER"
MCP_PATH = "/mcp"
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


class HttpTransportError(ValueError):
    """A transport setting that cannot be used safely, or a server that cannot start (its data dir);
    the message is one line that says what to change."""


@dataclass(frozen=True)
class HttpOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    log_level: str = "WARNING"
    # OAuth is on (Settings.auth_issuer): tokens are checked by the SDK, not against `token`.
    oauth: bool = False
    limits: Limits = field(default_factory=lambda: _default_limits())


def _default_limits() -> Limits:
    from .http_limits import Limits

    return Limits()


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(options: HttpOptions) -> None:
    if options.token is not None and options.oauth:
        raise HttpTransportError(
            f"{TOKEN_ENV} (or --http-token) and {ISSUER_ENV} are both set: use one, the static token for a "
            "single user or OAuth for many, and unset the other."
        )
    if options.token is None and not options.oauth and not is_loopback(options.host):
        raise HttpTransportError(
            f"refusing to serve on {options.host!r} without a token: anyone who can reach that address could "
            f"spend your Luma key. Set {TOKEN_ENV} to a long random secret (clients then send "
            f"'Authorization: Bearer <token>'), or {ISSUER_ENV} for OAuth, or bind to 127.0.0.1."
        )


def security_settings(host: str, port: int, public_url: str | None = None) -> TransportSecuritySettings:
    """Host/Origin allow-lists for the bound address (any port only when the OS picks it), and for the
    public URL clients reach it by through a proxy (OAuth's audience) when there is one."""
    names = _host_names(host)
    ports = ["*"] if port == 0 else [str(port)]
    hosts = [f"{name}:{p}" for name in names for p in ports]
    if port == 80:
        hosts += names  # clients leave the default port out of the Host header
    origins = [f"http://{entry}" for entry in hosts]
    if public_url is not None:
        public = urlsplit(public_url)
        hosts.append(public.netloc)
        origins.append(f"{public.scheme}://{public.netloc}")
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def _host_names(host: str) -> list[str]:
    names = [_bracketed(host)] if host not in WILDCARD_HOSTS else _machine_names()
    if is_loopback(host):
        names += LOCAL_NAMES
    return list(dict.fromkeys(names))


def _machine_names() -> list[str]:
    """What clients may call this machine when the server listens on every interface."""
    hostname = socket.gethostname()
    names = [hostname, socket.getfqdn(), *LOCAL_NAMES]
    with contextlib.suppress(OSError):  # an unresolvable hostname: its own name and loopback still work
        names += [str(info[4][0]) for info in socket.getaddrinfo(hostname, None)]
    return [_bracketed(name) for name in names]


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class BearerTokenMiddleware:
    """Every HTTP request must carry `Authorization: Bearer <token>`; lifespan events pass through."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._digest = _digest(token.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not self._authorized(scope):
            await _unauthorized(scope, send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name.lower() == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                # Digests have one length, so the comparison time says nothing about the token's length.
                return scheme.lower() == b"bearer" and hmac.compare_digest(_digest(credentials.strip()), self._digest)
        return False


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


async def _unauthorized(scope: Scope, send: Send) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    detail = {"error": "unauthorized", "detail": "missing or wrong bearer token"}
    await send_json(send, 401, detail, [(b"www-authenticate", b"Bearer")])


async def send_json(send: Send, status: int, payload: dict[str, str], headers: list[tuple[bytes, bytes]]) -> None:
    """A whole JSON response, for the answers our own middleware gives before (or instead of) the app."""
    body = json.dumps(payload).encode()
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": body})


class ScopeChallenge:
    """Names the required scopes in the SDK's Bearer challenges (its 401 and 403 carry `resource_metadata`
    but give the scope only in prose): the MCP authorization spec has a client request exactly the scopes
    of the `scope` parameter (RFC 6750 section 3) when it asks the authorization server again."""

    def __init__(self, app: ASGIApp, scopes: list[str]) -> None:
        self.app = app
        self._parameter = f', scope="{" ".join(scopes)}"'.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_challenge(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (401, 403):
                message = {**message, "headers": [self._completed(*header) for header in message.get("headers", [])]}
            await send(message)

        await self.app(scope, receive, send_challenge)

    def _completed(self, name: bytes, value: bytes) -> tuple[bytes, bytes]:
        if name.lower() == b"www-authenticate" and value[:7].lower() == b"bearer " and not _SCOPE.search(value):
            return name, value + self._parameter
        return name, value


_SCOPE = re.compile(rb"[\s,]scope=")


def http_app(
    server: MCPServer[Any], host: str, port: int, token: str | None, limits: Limits | None = None
) -> ASGIApp:
    from .http_limits import BodyDeadline, Limits

    auth = server.settings.auth
    public_url = str(auth.resource_server_url) if auth is not None and auth.resource_server_url else None
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH, transport_security=security_settings(host, port, public_url), host=host
    )
    # Inside the token check: a request without the token is answered before its body is read.
    app = BodyDeadline(app, (limits or Limits()).body_idle_seconds)
    if auth is not None and auth.required_scopes:
        app = ScopeChallenge(app, auth.required_scopes)
    return BearerTokenMiddleware(app, token) if token is not None else app


def serve_http(server: MCPServer[Any], options: HttpOptions) -> None:
    """Check the bind, bind, announce the URL on stderr, serve until interrupted (blocking)."""
    import uvicorn

    check_bind(options)
    _check_startup(server)
    sock = _bind(options.host, options.port)
    port = int(sock.getsockname()[1])
    config = uvicorn_config(server, options, port)
    url = f"http://{_bracketed(options.host)}:{port}{MCP_PATH}"
    auth = "bearer token required" if options.token else "OAuth" if options.oauth else "no token: loopback only"
    print(f"luma-mcp: streamable HTTP at {url} ({auth})", file=sys.stderr, flush=True)
    uvicorn.Server(config).run(sockets=[sock])


def uvicorn_config(server: MCPServer[Any], options: HttpOptions, port: int) -> Any:
    """The uvicorn.Config serving `server` on `port` within `options.limits`."""
    import uvicorn

    from .http_limits import uvicorn_settings

    app = http_app(server, options.host, port, options.token, options.limits)
    # log_config=None: uvicorn's default config logs access lines to stdout; ours all go to stderr.
    return uvicorn.Config(
        app,
        log_config=None,
        log_level=options.log_level.lower(),
        lifespan="on",
        timeout_graceful_shutdown=5,
        **uvicorn_settings(options.limits),
    )


def _check_startup(server: MCPServer[Any]) -> None:
    """Before binding: uvicorn would report a failed start as a traceback, not as the one line it takes."""
    import anyio

    from .server import LumaServer, startup_problem

    if isinstance(server, LumaServer) and server.luma_settings is not None:
        problem = anyio.run(startup_problem, server.luma_settings)
        if problem is not None:
            raise HttpTransportError(problem)


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, _, _, _, address = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)[0]
        return socket.create_server(address[:2], family=family)
    except OSError as exc:
        raise HttpTransportError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
