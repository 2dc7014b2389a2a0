"""The providers' emulators over HTTP for the hosting tests, as `luma-mcp emulator` serves them, with the
Luma emulator's per-key limits lifted: every replica of a hosted server shares one key, and these tests
measure the server, not a rate limit.

    python tests/hosting/emulator_host.py --port 0 --job-seconds 3

Prints `listening on http://127.0.0.1:PORT` once it listens; runs until killed.
"""

from __future__ import annotations

import argparse
import socket

from luma_mcp.emulator import make_server
from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig
from luma_mcp.providers.sandbox import Sandbox

UNLIMITED = 10**6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--job-seconds", type=float, default=3.0)
    args = parser.parse_args()
    sock = socket.create_server(("127.0.0.1", args.port))
    port = sock.getsockname()[1]
    config = EmulatorConfig(
        queued_seconds=min(1.0, args.job_seconds / 4),
        processing_seconds=args.job_seconds,
        rpm_limit=UNLIMITED,
        concurrency_limit=UNLIMITED,
    )
    sandbox = Sandbox(luma=Emulator(config), job_seconds=args.job_seconds)
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    make_server(sandbox.app, "127.0.0.1", port).run(sockets=[sock])


if __name__ == "__main__":
    main()
