"""Command line: flags -> Settings -> serve | demo | emulator. Logs go to stderr: stdout is the wire."""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from . import __version__
from .settings import Settings, SettingsError

# Third-party loggers that print every request: URLs with presigned signatures, request options.
CHATTY_LOGGERS = ("httpx", "httpx2", "httpcore", "httpcore2", "luma_agents")
INTERRUPTED = 130  # what a shell reports for a job stopped by Ctrl-C
HTTP_ONLY = ("host", "port", "http_token")

ENVIRONMENT = """\
environment (flags override them):
  LUMA_AGENTS_API_KEY    Luma Agents API key (or LUMA_API_KEY): Ray 3.2, Uni-1
  AIMLAPI_API_KEY        AI/ML API key (alias AIML_API_KEY): Ray 2, Ray Flash 2
  HEDRA_API_KEY          Hedra key: generate_avatar_video, list_voices
  LUMA_MCP_SANDBOX       1 = --sandbox (default off)
  LUMA_MCP_OUTPUT_DIR    where media is saved (default: Videos folder/luma-mcp)
  LUMA_MCP_INPUT_DIRS    extra folders local files may be read from
  LUMA_MCP_DATA_DIR      history and sandbox state (default: per-user data dir)
  LUMA_MCP_WAIT_SECONDS  how long a tool waits before handing back an id (45)
  LUMA_MCP_MAX_COST_USD  refuse any request estimated above this (none)
  LUMA_MCP_BUDGET_USD    refuse once today's spend (UTC, this data dir) passes
  LUMA_MCP_USER_BUDGET_USD  the same for each OAuth user's own spend (none)
  LUMA_MCP_CONFIRM_ABOVE_USD  ask the user above this price; off = never (2.00)
  LUMA_MCP_API_TIMEOUT_SECONDS  how long one API request may take (30)
  LUMA_MCP_HTTP_TOKEN    streamable-http bearer token (same as --http-token)
  LUMA_MCP_AUTH_ISSUER   streamable-http OAuth instead: the authorization server
                         whose JWTs are accepted (https; none = OAuth off)
  LUMA_MCP_AUTH_AUDIENCE this server's public URL, which tokens' aud must hold
                         (required with the issuer; https://host/mcp)
  LUMA_MCP_AUTH_SCOPES   scopes every token needs, spaces or commas (luma-mcp)
  LUMA_MCP_AUTH_JWKS_URL the issuer's keys (default: from its metadata)
  LUMA_MCP_SANDBOX_JOB_SECONDS  how long a sandbox job takes (8)
  LUMA_BASE_URL, AIMLAPI_BASE_URL, HEDRA_BASE_URL  the APIs' base URLs
  HEDRA_USD_PER_CREDIT   dollars per Hedra credit, for caps and budget (0.01)

try it: luma-mcp demo  (a real MCP session against the sandbox: no key, no cost)"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's table as written; the options' help wraps to the terminal (COLUMNS)."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=26)


class _Given(argparse.Action):
    """Stores the value and notes that the user gave it, so that an HTTP-only flag without HTTP is caught."""

    def __call__(self, parser: Any, namespace: argparse.Namespace, values: Any, option: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        namespace.given = {*getattr(namespace, "given", set()), self.dest}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="luma-mcp",
        description="MCP server for Luma video and image generation and Hedra talking avatars.\n"
        "With no command it serves MCP on stdio, as Claude Desktop, IDEs and agent\n"
        "frameworks launch it.",
        epilog=ENVIRONMENT,
        formatter_class=_Formatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"luma-mcp {__version__}", help="print the version and exit"
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="built-in emulators of every API instead of the real ones: no key, no cost (env LUMA_MCP_SANDBOX=1; "
        "default off)",
    )
    parser.add_argument(
        "--transport",
        choices=("stdio", "streamable-http"),
        default="stdio",
        help="stdio: launched by one client; streamable-http: one server that clients share over HTTP "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--host",
        action=_Given,
        default="127.0.0.1",
        help="streamable-http only: bind address (default %(default)s; others need LUMA_MCP_HTTP_TOKEN or "
        "LUMA_MCP_AUTH_ISSUER)",
    )
    parser.add_argument(
        "--port", action=_Given, type=int, default=8000, help="streamable-http only: port (default %(default)s)"
    )
    parser.add_argument(
        "--http-token",
        action=_Given,
        help="streamable-http only: bearer token every request must carry (env LUMA_MCP_HTTP_TOKEN, preferred: "
        "flags show in ps; default none)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="where finished media is saved (env LUMA_MCP_OUTPUT_DIR; default your Videos folder/luma-mcp)",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="stderr log level, the demo's server's too (default %(default)s; DEBUG adds the HTTP libraries')",
    )
    commands = parser.add_subparsers(dest="command", title="commands", metavar="{demo,emulator}")
    _demo_parser(commands)
    _emulator_parser(commands)
    return parser


def _demo_parser(commands: Any) -> None:
    demo = commands.add_parser(
        "demo",
        help="run a real MCP client session against the server, with progress bars",
        description="Does what an agent does (image, video, extend, reframe, edit, talking avatar)\n"
        "through a real MCP session with the server. Sandbox (free) unless a key is set,\n"
        "and always with --sandbox or LUMA_MCP_SANDBOX=1. A live run takes only the steps\n"
        "whose provider has a key (LUMA_AGENTS_API_KEY, HEDRA_API_KEY), states their\n"
        "estimated price and asks first.",
        formatter_class=_Formatter,
    )
    # SUPPRESS: an absent flag must not reset `luma-mcp --sandbox demo`.
    demo.add_argument(
        "--sandbox", action="store_true", default=argparse.SUPPRESS, help="use the sandbox even with a key set"
    )
    demo.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where the demo saves media; sandbox files go under DIR/sandbox (default: LUMA_MCP_OUTPUT_DIR, "
        "else your Videos folder/luma-mcp)",
    )
    demo.add_argument(
        "--prompt", help="the scene of the image and video steps (default: a lighthouse keeper on a rainy pier)"
    )
    demo.add_argument(
        "--face",
        type=Path,
        metavar="IMAGE",
        help="a portrait for the avatar step (default: the image the demo makes)",
    )


def _emulator_parser(commands: Any) -> None:
    emulator = commands.add_parser(
        "emulator",
        help="serve the API emulators over HTTP, for other tools' tests",
        description="The emulators of the three APIs alone, over HTTP: Luma under /v1, the AI/ML\n"
        "API under /aimlapi, Hedra under /hedra. It prints where it listens; Ctrl-C\n"
        "stops it.",
        formatter_class=_Formatter,
    )
    emulator.add_argument(
        "--host", dest="emulator_host", metavar="HOST", default="127.0.0.1", help="bind address (default %(default)s)"
    )
    emulator.add_argument(
        "--port",
        dest="emulator_port",
        metavar="PORT",
        type=int,
        default=8765,
        help="port (default %(default)s; 0 picks a free one)",
    )
    emulator.add_argument(
        "--job-seconds",
        metavar="SECONDS",
        type=float,
        default=20.0,
        help="how long each job runs (default %(default)s)",
    )


def main(argv: Sequence[str] | None = None) -> None:
    try:
        _main(argv)
    except KeyboardInterrupt:
        # Ctrl-C is how people stop a command: no traceback.
        sys.exit(INTERRUPTED)


def _main(argv: Sequence[str] | None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    given: set[str] = getattr(args, "given", set()) & set(HTTP_ONLY)
    if given and (args.command or args.transport != "streamable-http"):
        flags = ", ".join(f"--{name.replace('_', '-')}" for name in sorted(given))
        parser.error(f"{flags}: only for --transport streamable-http (add it, or leave the flag out)")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        sys.exit(f"luma-mcp: {exc}")
    configure_logging(args.log_level, _secrets(settings, args.http_token))
    if args.sandbox:
        settings = replace(settings, sandbox=True)
    if args.output_dir is not None:
        settings = replace(settings, output_dir=args.output_dir.expanduser())
    if args.command == "demo":
        from .demo import run_demo

        sys.exit(run_demo(settings, out=args.out, prompt=args.prompt, face=args.face, log_level=args.log_level))
    if args.command == "emulator":
        sys.exit(_emulate(args))
    _serve(settings, args)


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    from .server import build_server

    if args.transport == "stdio":
        _quit_on_interrupt()
        if sys.stdin.isatty():
            mode = " (sandbox: no key, no cost)" if settings.sandbox else ""
            print(
                f"luma-mcp {__version__}{mode}: an MCP server waiting for a client on stdin/stdout. "
                "To try it, run `luma-mcp demo`; Ctrl-C quits.",
                file=sys.stderr,
                flush=True,
            )
        build_server(settings).run("stdio")
        return
    from .http_transport import TOKEN_ENV, HttpOptions, HttpTransportError, serve_http

    token = (args.http_token or os.environ.get(TOKEN_ENV) or "").strip() or None
    options = HttpOptions(
        host=args.host, port=args.port, token=token, log_level=args.log_level, oauth=settings.auth_issuer is not None
    )
    try:
        serve_http(build_server(settings), options)
    except HttpTransportError as exc:
        sys.exit(f"luma-mcp: {exc}")


def _quit_on_interrupt() -> None:
    """Ctrl-C ends the stdio server at once. The SDK reads stdin in a worker thread that no cancellation
    reaches, so a graceful exit would wait for the next line of input. Nothing is lost by leaving now: the
    history is written before a tool returns, the sandbox state after every request, media through a
    temporary name renamed when whole."""

    def leave(signum: int, frame: FrameType | None) -> None:
        # Nothing to flush: log records are written whole as they come, and flushing stderr from here could
        # re-enter a write the main thread is in the middle of.
        os._exit(INTERRUPTED)

    signal.signal(signal.SIGINT, leave)


def _emulate(args: argparse.Namespace) -> int:
    import socket

    from .emulator import make_server
    from .providers.sandbox import AIMLAPI_PREFIX, HEDRA_PREFIX, Sandbox

    try:
        family, *_, address = socket.getaddrinfo(args.emulator_host, args.emulator_port, type=socket.SOCK_STREAM)[0]
        sock = socket.create_server(address[:2], family=family)
    except OSError as exc:
        sys.exit(f"luma-mcp emulator: cannot listen on {args.emulator_host}:{args.emulator_port}: {exc.strerror}")
    host, port = sock.getsockname()[:2]
    root = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    def announce() -> None:
        print(
            f"luma-mcp emulator: listening on {root} (Ctrl-C stops it)\n"
            f"  LUMA_BASE_URL={root}/v1  (any key starting luma-api-)\n"
            f"  AIMLAPI_BASE_URL={root}{AIMLAPI_PREFIX}  (any key)\n"
            f"  HEDRA_BASE_URL={root}{HEDRA_PREFIX}/web-app/public  (any key)",
            flush=True,
        )

    sandbox = Sandbox(job_seconds=args.job_seconds)
    server = make_server(sandbox.app, args.emulator_host, port, on_started=announce)
    # uvicorn shuts down on Ctrl-C and raises it again, which asyncio.run may or may not turn into a
    # KeyboardInterrupt (main() answers that with 130) depending on timing: the exit status cannot hang on it.
    server.run(sockets=[sock])
    return INTERRUPTED if getattr(server, "interrupted", False) else 0


def _secrets(settings: Settings, http_token: str | None) -> list[str]:
    keys = (settings.api_key, settings.aimlapi_key, settings.hedra_key)
    found = [key.get_secret_value() for key in keys if key is not None]
    return [*found, *(value for value in (http_token, os.environ.get("LUMA_MCP_HTTP_TOKEN")) if value)]


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Everything to stderr through one redacting formatter. The HTTP libraries and the Luma SDK log every
    request (URLs with presigned signatures): they stay at WARNING unless the user asks for DEBUG."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(name)s %(levelname)s %(message)s", secrets=secrets))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else max(logging.WARNING, _level(level)))


def _level(name: str) -> int:
    value = logging.getLevelName(name)
    return value if isinstance(value, int) else logging.WARNING


_URL_QUERY = re.compile(r"(\bhttps?://[^\s?#\"'<>]+)\?([^\s#\"'<>]+)")
_QUERY_VALUE = re.compile(r"=[^&;]*")
_BEARER = re.compile(r"(?i)(\bbearer\s+)[^\s'\",}]+")
_CREDENTIAL = re.compile(
    r"(?i)(\b(?:authorization|x-api-key|api[-_]key)['\"]?\s*[:=]\s*['\"]?)(?!bearer\b|\*\*\*)[^\s'\",}]+"
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the values of URL queries (presigned signatures), credential headers or `secrets`."""
    for secret in secrets:
        text = text.replace(secret, "***")
    text = _URL_QUERY.sub(lambda match: f"{match[1]}?{_QUERY_VALUE.sub('=***', match[2])}", text)
    return _CREDENTIAL.sub(r"\1***", _BEARER.sub(r"\1***", text))


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted line, traceback included: an exception's text can carry a URL too."""

    def __init__(self, fmt: str, *, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self.secrets = sorted({secret for secret in secrets if len(secret) >= 8}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)
