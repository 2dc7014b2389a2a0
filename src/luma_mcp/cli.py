"""Command line: flags -> Settings -> serve | demo | emulator. Logs go to stderr: stdout is the wire."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .settings import Settings, SettingsError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="luma-mcp", description="MCP server for Luma video and image generation.")
    parser.add_argument("--sandbox", action="store_true", help="use the built-in emulator: no key, no cost")
    parser.add_argument("--transport", choices=("stdio", "streamable-http"), default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="streamable-http bind address (default loopback)")
    parser.add_argument("--port", type=int, default=8000, help="streamable-http port")
    parser.add_argument(
        "--http-token",
        help="streamable-http bearer token every request must carry (prefer LUMA_MCP_HTTP_TOKEN: flags show in ps)",
    )
    parser.add_argument("--output-dir", type=Path, help="where finished media is saved (LUMA_MCP_OUTPUT_DIR)")
    parser.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="run a real MCP client session against the server")
    demo.add_argument("--out", type=Path, help="where the demo saves media (default: ./luma-demo-output)")
    demo.add_argument("--prompt", default="A paper boat drifting down a rain-soaked street at dusk, slow dolly")
    emulator = commands.add_parser(
        "emulator", help="serve the API emulators over HTTP: Luma under /v1, the AI/ML API under /aimlapi"
    )
    emulator.add_argument("--host", dest="emulator_host", default="127.0.0.1")
    emulator.add_argument("--port", dest="emulator_port", type=int, default=8765)
    emulator.add_argument("--job-seconds", type=float, default=20.0, help="how long each job runs")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    # httpx logs every URL at INFO, presigned download/upload signatures included: keep them out of logs.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLevelName(args.log_level)))
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        sys.exit(f"luma-mcp: {exc}")
    if args.sandbox:
        settings = replace(settings, sandbox=True)
    if args.output_dir is not None:
        settings = replace(settings, output_dir=args.output_dir.expanduser())
    if args.command == "demo":
        from .demo import run_demo

        sys.exit(run_demo(out=args.out, prompt=args.prompt))
    if args.command == "emulator":
        from .emulator import make_server
        from .providers.sandbox import Sandbox

        sandbox = Sandbox(job_seconds=args.job_seconds)
        make_server(sandbox.app, args.emulator_host, args.emulator_port).run()
        return
    _serve(settings, args)


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    from .server import build_server

    if args.transport == "stdio":
        build_server(settings).run("stdio")
        return
    from .http_transport import TOKEN_ENV, HttpOptions, HttpTransportError, serve_http

    token = (args.http_token or os.environ.get(TOKEN_ENV) or "").strip() or None
    options = HttpOptions(host=args.host, port=args.port, token=token, log_level=args.log_level)
    try:
        serve_http(build_server(settings), options)
    except HttpTransportError as exc:
        sys.exit(f"luma-mcp: {exc}")
