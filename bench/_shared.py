"""Helpers shared by the benchmark scripts: statistics, printing, settings, the emulator on loopback.

Every script compares against a reference measured in the same process and the same run, so that a
noisy machine slows both sides alike and the ratio stays meaningful.
"""

from __future__ import annotations

import logging
import math
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from luma_mcp.settings import Settings

BENCH_KEY = "luma-api-bench"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear-interpolated percentile (`fraction` in 0..1) of a non-empty sample."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def heading(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def line(label: str, value: str) -> None:
    print(f"  {label:<38} {value}", flush=True)


def quiet() -> None:
    """Log at WARNING, as `luma-mcp` does (cli.py): else MCPServer sets up INFO logging of every request."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, force=True)


def real_settings(root: Path, base_url: str, **overrides: Any) -> Settings:
    """Production settings (poll pacing, progress interval at their defaults) aimed at `base_url`."""
    return Settings(
        api_key=SecretStr(BENCH_KEY),
        base_url=base_url,
        sandbox=False,
        output_dir=root / "out",
        data_dir=root / "data",
        **overrides,
    )


@contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="luma-bench-") as folder:
        yield Path(folder)


@dataclass
class Loopback:
    """An ASGI app served by uvicorn on 127.0.0.1 in a thread of this process."""

    app: Any
    base_url: str = ""
    port: int = 0
    _server: Any = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def __enter__(self) -> Loopback:
        import uvicorn

        config = uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        while not self._server.started:
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)


class Timeline:
    """Wall-clock moments of the requests an emulator answered (its own log carries no times)."""

    def __init__(self, app: Any) -> None:
        self.inner = app
        self.gets: dict[str, list[float]] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and scope["method"] == "GET" and path.startswith("/v1/generations/"):
            self.gets.setdefault(path.rsplit("/", 1)[-1], []).append(time.time())
        await self.inner(scope, receive, send)
