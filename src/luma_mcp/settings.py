"""Settings from the environment (and the command line, which may override it).

Nothing here runs at import: `Settings.from_env()` is called by the CLI, and tests build `Settings`
directly, so no test ever needs to set environment variables before importing the server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

DEFAULT_BASE_URL = "https://agents.lumalabs.ai/v1"
DEFAULT_AIMLAPI_BASE_URL = "https://api.aimlapi.com"
DEFAULT_HEDRA_BASE_URL = "https://api.hedra.com/web-app/public"
# In sandbox mode every provider's client talks to its emulator in process, under one made-up host.
SANDBOX_HOST = "http://sandbox.luma-mcp.invalid"
SANDBOX_BASE_URL = f"{SANDBOX_HOST}/v1"
SANDBOX_API_KEY = "luma-api-sandbox"
SANDBOX_AIMLAPI_KEY = "aimlapi-sandbox"
SANDBOX_HEDRA_KEY = "sk_hedra_sandbox"
DEFAULT_WAIT_SECONDS = 45.0
MAX_WAIT_SECONDS = 600.0
APP_NAME = "luma-mcp"
AUTH_ISSUER_ENV = "LUMA_MCP_AUTH_ISSUER"
DEFAULT_AUTH_SCOPE = "luma-mcp"
# RFC 6749 section 3.3 scope-token: printable ASCII but space, quote and backslash (it goes into a header).
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


class SettingsError(ValueError):
    """A configuration value that cannot be used; the message names the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    api_key: SecretStr | None = None
    base_url: str = DEFAULT_BASE_URL
    sandbox: bool = False
    output_dir: Path = field(default_factory=lambda: _default_output_dir())
    data_dir: Path = field(default_factory=lambda: _default_data_dir())
    input_dirs: tuple[Path, ...] = ()
    wait_seconds: float = DEFAULT_WAIT_SECONDS
    max_cost_usd: float | None = None
    budget_usd: float | None = None
    # Hosted mode: each user's own day budget, on top of `budget_usd` (which every user shares).
    user_budget_usd: float | None = None
    # How fast the built-in emulator finishes jobs in --sandbox mode: real jobs take minutes, a demo
    # should take seconds but still show progress.
    sandbox_job_seconds: float = 8.0
    # Test knob: the shortest pause between polls. Real use keeps the API-friendly default.
    min_poll_interval: float = 1.0
    progress_interval: float = 4.0
    # How long one API request may take; a create that outlasts it has an unknown outcome.
    api_timeout_seconds: float = 30.0
    # Where the client can ask its user (MCP elicitation), confirm any request estimated above this.
    confirm_above_usd: float | None = 2.0
    # Whether the user set LUMA_MCP_CONFIRM_ABOVE_USD to a number: only their own threshold may turn a
    # client that cannot be asked away (tools/confirm.py).
    confirm_above_explicit: bool = False
    aimlapi_key: SecretStr | None = None
    aimlapi_base_url: str = DEFAULT_AIMLAPI_BASE_URL
    hedra_key: SecretStr | None = None
    hedra_base_url: str = DEFAULT_HEDRA_BASE_URL
    hedra_usd_per_credit: float = 0.01
    # Hosted mode: the PostgreSQL every replica shares (store.py); None keeps the SQLite history. Out of
    # the repr: the URL may carry a password, and settings do get printed.
    database_url: str | None = field(default=None, repr=False)
    # OAuth 2.1 resource server for streamable HTTP (auth.py), on when the issuer is set: bearer JWTs from
    # that authorization server, for this audience (the server's public URL), carrying these scopes.
    auth_issuer: str | None = None
    auth_audience: str | None = None
    auth_scopes: tuple[str, ...] = (DEFAULT_AUTH_SCOPE,)
    auth_jwks_url: str | None = None
    # Test knob: the shortest pause between two fetches of the issuer's keys (a token with an unknown kid
    # asks for one).
    auth_jwks_refetch_seconds: float = 30.0

    def __post_init__(self) -> None:
        # Unlike configuration_error(), fatal: a server must not start behind an authorization it cannot do.
        problem = self.auth_error()
        if problem is not None:
            raise SettingsError(problem)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            api_key=_secret(env, "LUMA_AGENTS_API_KEY", "LUMA_API_KEY"),
            base_url=env.get("LUMA_BASE_URL") or DEFAULT_BASE_URL,
            sandbox=_flag(env, "LUMA_MCP_SANDBOX"),
            output_dir=_path(env, "LUMA_MCP_OUTPUT_DIR") or _default_output_dir(),
            data_dir=_path(env, "LUMA_MCP_DATA_DIR") or _default_data_dir(),
            input_dirs=tuple(Path(p).expanduser() for p in env.get("LUMA_MCP_INPUT_DIRS", "").split(os.pathsep) if p),
            wait_seconds=_number(env, "LUMA_MCP_WAIT_SECONDS", DEFAULT_WAIT_SECONDS, 0, MAX_WAIT_SECONDS),
            max_cost_usd=_optional_number(env, "LUMA_MCP_MAX_COST_USD"),
            budget_usd=_optional_number(env, "LUMA_MCP_BUDGET_USD"),
            user_budget_usd=_optional_number(env, "LUMA_MCP_USER_BUDGET_USD"),
            sandbox_job_seconds=_number(env, "LUMA_MCP_SANDBOX_JOB_SECONDS", 8.0, 0, 3600),
            api_timeout_seconds=_number(env, "LUMA_MCP_API_TIMEOUT_SECONDS", 30.0, 0.1, 600),
            confirm_above_usd=_confirm_threshold(env),
            confirm_above_explicit=_confirm_threshold(env) is not None
            and bool(env.get("LUMA_MCP_CONFIRM_ABOVE_USD", "").strip()),
            aimlapi_key=_secret(env, "AIMLAPI_API_KEY", "AIML_API_KEY"),
            aimlapi_base_url=(env.get("AIMLAPI_BASE_URL") or DEFAULT_AIMLAPI_BASE_URL).rstrip("/"),
            hedra_key=_secret(env, "HEDRA_API_KEY"),
            hedra_base_url=(env.get("HEDRA_BASE_URL") or DEFAULT_HEDRA_BASE_URL).rstrip("/"),
            hedra_usd_per_credit=_number(env, "HEDRA_USD_PER_CREDIT", 0.01, 0, 100),
            database_url=env.get("LUMA_MCP_DATABASE_URL", "").strip() or None,
            auth_issuer=env.get(AUTH_ISSUER_ENV, "").strip() or None,
            auth_audience=env.get("LUMA_MCP_AUTH_AUDIENCE", "").strip() or None,
            auth_scopes=_scopes(env, "LUMA_MCP_AUTH_SCOPES") or (DEFAULT_AUTH_SCOPE,),
            auth_jwks_url=env.get("LUMA_MCP_AUTH_JWKS_URL", "").strip() or None,
        )

    @property
    def hosted(self) -> bool:
        """Serving several users, told apart by their OAuth tokens: each sees only their own generations,
        files and budget, and no local file is read (the client's disk is not this machine's)."""
        return self.auth_issuer is not None

    @property
    def history_path(self) -> Path:
        # Sandbox ids mean nothing to the real API: keep them out of the real history.
        return self.data_dir / ("sandbox-history.sqlite3" if self.sandbox else "history.sqlite3")

    @property
    def effective_base_url(self) -> str:
        return SANDBOX_BASE_URL if self.sandbox else self.base_url

    def effective_api_key(self) -> str | None:
        if self.sandbox:
            return SANDBOX_API_KEY
        return self.api_key.get_secret_value() if self.api_key else None

    def aimlapi_credentials(self) -> tuple[str, str] | None:
        """(key, base URL) for the AI/ML API: the emulator's in sandbox mode; None without a key."""
        if self.sandbox:
            return SANDBOX_AIMLAPI_KEY, f"{SANDBOX_HOST}/aimlapi"
        return (self.aimlapi_key.get_secret_value(), self.aimlapi_base_url) if self.aimlapi_key else None

    def hedra_credentials(self) -> tuple[str, str] | None:
        """(key, base URL) for Hedra: the emulator's in sandbox mode; None without a key."""
        if self.sandbox:
            return SANDBOX_HEDRA_KEY, f"{SANDBOX_HOST}/hedra/web-app/public"
        return (self.hedra_key.get_secret_value(), self.hedra_base_url) if self.hedra_key else None

    def auth_error(self) -> str | None:
        """What makes the OAuth settings unusable, in one line that names the variable; None when they can be
        used, or are all unset (no OAuth)."""
        urls = (
            (AUTH_ISSUER_ENV, self.auth_issuer),
            ("LUMA_MCP_AUTH_AUDIENCE", self.auth_audience),
            ("LUMA_MCP_AUTH_JWKS_URL", self.auth_jwks_url),
        )
        if self.auth_issuer is None:
            stray = next((name for name, url in urls if url is not None), None)
            return f"{stray} is set without {AUTH_ISSUER_ENV}, which turns OAuth on; set both" if stray else None
        if self.auth_audience is None:
            return (
                f"{AUTH_ISSUER_ENV} is set without LUMA_MCP_AUTH_AUDIENCE; set it to this server's public URL, "
                "the one tokens are issued for (e.g. https://mcp.example.com/mcp)"
            )
        for name, url in urls:
            flaw = oauth_url_flaw(url, query=name.endswith("JWKS_URL")) if url is not None else None
            if flaw is not None:
                return f"{name}={_shown_url(url or '')} {flaw}"
        bad = next((scope for scope in self.auth_scopes if not _SCOPE_TOKEN.fullmatch(scope)), None)
        if bad is not None:
            return f"LUMA_MCP_AUTH_SCOPES has {bad!r}, not a scope; give scope names separated by spaces or commas"
        return None if self.auth_scopes else "LUMA_MCP_AUTH_SCOPES names no scope; leave it unset for luma-mcp"

    def configuration_error(self) -> str | None:
        """What makes a key or a base URL unusable, in one sentence that names the variable (never the key
        itself); None when all can be used. Such a value does not stop the server: it starts, lists its
        tools, and every tool answers with this (a server that dies at start tells its user nothing)."""
        if self.sandbox:  # the emulators' own keys and URLs are used: the real ones are never sent
            return None
        for key_name, secret, url_name, url in (
            ("LUMA_AGENTS_API_KEY", self.api_key, "LUMA_BASE_URL", self.base_url),
            ("AIMLAPI_API_KEY", self.aimlapi_key, "AIMLAPI_BASE_URL", self.aimlapi_base_url),
            ("HEDRA_API_KEY", self.hedra_key, "HEDRA_BASE_URL", self.hedra_base_url),
        ):
            if secret is None:  # a provider without a key sends nothing, wherever its URL points
                continue
            flaw = key_flaw(secret.get_secret_value())
            if flaw is not None:
                return f"{key_name} {flaw}; copy the key again from the provider's dashboard, as one line"
            flaw = url_flaw(url)
            if flaw is not None:
                return f"{url_name}={_shown_url(url)} {flaw}"
        return None


# What a pasted key picks up on its way: line breaks, spaces, typographic quotes, the quotes of a config file.
_KEY_FLAWS = (
    (lambda c: c in "\r\n", "contains a line break"),
    (lambda c: c.isspace(), "contains a space or a tab"),
    (lambda c: c in "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb", "contains a typographic quote"),
    (lambda c: c in "'\"`", "contains a quote character"),
    (lambda c: not c.isascii() or not c.isprintable(), "contains a character that is not plain ASCII"),
)
SHOWN_URL_CHARS = 80


def key_flaw(key: str) -> str | None:
    """Why `key` cannot be an API key (it could not even travel in an HTTP header), without quoting it."""
    return next((flaw for test, flaw in _KEY_FLAWS if any(map(test, key))), None)


def url_flaw(url: str) -> str | None:
    """Why `url` cannot be an API base URL; None when it can."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "is not a URL; give the full address, starting with https://"
    if parts.scheme not in ("http", "https"):
        return "has no http:// or https:// scheme; give the full address, starting with https://"
    if not host or any(char.isspace() or not char.isprintable() for char in url):
        return "is not a usable URL (no host, or a space or control character in it); give the full https:// address"
    return None


def oauth_url_flaw(url: str, *, query: bool = True) -> str | None:
    """Why `url` cannot name an OAuth party (issuer, audience, key set); None when it can. Plain http only
    on loopback: tokens and keys must not travel where someone could swap them."""
    from .http_transport import is_loopback

    flaw = url_flaw(url)
    if flaw is not None:
        return flaw
    parts = urlsplit(url)
    if parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        return "is not https; use an https:// URL (plain http:// only on 127.0.0.1 or localhost)"
    if parts.fragment or (parts.query and not query):
        return "has a query or a fragment; give the URL without ?... or #..."
    return None


def _shown_url(url: str) -> str:
    url = url.rpartition("@")[2]  # credentials written into the URL stay out of the message
    return repr(url) if len(url) <= SHOWN_URL_CHARS else repr(url[:SHOWN_URL_CHARS]) + "..."


def _secret(env: Mapping[str, str], *names: str) -> SecretStr | None:
    value = next((env[name].strip() for name in names if env.get(name, "").strip()), None)
    return SecretStr(value) if value else None


def _default_output_dir() -> Path:
    from platformdirs import user_videos_path

    return user_videos_path() / APP_NAME


def _default_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME)


def _scopes(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(env.get(name, "").replace(",", " ").split())


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    return Path(value).expanduser() if value else None


def _optional_number(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    return _number(env, name, 0.0, 0, float("inf"))


def _confirm_threshold(env: Mapping[str, str]) -> float | None:
    raw = env.get("LUMA_MCP_CONFIRM_ABOVE_USD", "").strip().lower()
    if raw in ("off", "none", "never"):
        return None
    return _number(env, "LUMA_MCP_CONFIRM_ABOVE_USD", 2.0, 0, float("inf"))


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number; set it to a value from {low:g} to {high:g}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={raw!r} is out of range; set it to a value from {low:g} to {high:g}")
    return value
