"""The command line as people meet it: `python -m luma_mcp ...` in a subprocess, in temp folders.

Ctrl-C is a real SIGINT; "a terminal" is a real pseudo-terminal on stdin.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from conftest import server_env
from luma_mcp import __version__

ENVIRONMENT = [
    "LUMA_AGENTS_API_KEY",
    "LUMA_BASE_URL",
    "LUMA_MCP_SANDBOX",
    "LUMA_MCP_OUTPUT_DIR",
    "LUMA_MCP_INPUT_DIRS",
    "LUMA_MCP_WAIT_SECONDS",
    "LUMA_MCP_MAX_COST_USD",
    "LUMA_MCP_BUDGET_USD",
    "LUMA_MCP_CONFIRM_ABOVE_USD",
    "LUMA_MCP_DATA_DIR",
    "LUMA_MCP_API_TIMEOUT_SECONDS",
    "LUMA_MCP_HTTP_TOKEN",
    "LUMA_MCP_SANDBOX_JOB_SECONDS",
    "AIMLAPI_API_KEY",
    "AIMLAPI_BASE_URL",
    "HEDRA_API_KEY",
    "HEDRA_BASE_URL",
    "HEDRA_USD_PER_CREDIT",
]


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return server_env(tmp_path, HOME=str(tmp_path), COLUMNS="80", **extra)


def luma_mcp(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "luma_mcp", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def spawn(*args: str, env: dict[str, str], stdin: int | None = subprocess.PIPE) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "luma_mcp", *args]
    return subprocess.Popen(command, env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def read_until(stream: IO[bytes] | None, text: str, timeout: float = 20) -> str:
    """What `stream` printed up to and including `text` (fails after `timeout` seconds)."""
    assert stream is not None
    seen, deadline = b"", time.monotonic() + timeout
    while text.encode() not in seen:
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(stream.fileno(), 4096) if ready else b""
        assert chunk, f"never printed {text!r}; printed: {seen.decode(errors='replace')}"
        seen += chunk
    return seen.decode()


@contextmanager
def terminal() -> Iterator[tuple[int, int]]:
    """(our end, its end) of a pseudo-terminal: the child's stdin is then a tty, as in a shell."""
    ours, theirs = pty.openpty()
    try:
        yield ours, theirs
    finally:
        os.close(ours)
        os.close(theirs)


def interrupt(process: subprocess.Popen[bytes]) -> tuple[float, str, str]:
    """Ctrl-C: (seconds until it exited, what it wrote after on stdout, on stderr)."""
    start = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()  # a failed test must not leave the server behind
        process.communicate()
        raise
    return time.monotonic() - start, out.decode(errors="replace"), err.decode(errors="replace")


def test_version(tmp_path: Path) -> None:
    done = luma_mcp("--version", env=cli_env(tmp_path))
    assert done.returncode == 0 and done.stdout.strip() == f"luma-mcp {__version__}"


def test_help_gives_each_option_its_default_and_variable_and_lists_the_environment(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    main, demo, emulator = (luma_mcp(*args, "--help", env=env).stdout for args in ((), ("demo",), ("emulator",)))
    epilog = main.split("environment")[1]
    assert all(name in epilog for name in ENVIRONMENT), epilog
    for option, words in {
        "--sandbox": ("LUMA_MCP_SANDBOX", "default off"),
        "--host": ("default", "127.0.0.1"),
        "--port": ("default 8000",),
        "--http-token": ("LUMA_MCP_HTTP_TOKEN", "default none"),
        "--output-dir": ("LUMA_MCP_OUTPUT_DIR", "default"),
        "--log-level": ("default WARNING",),
        "--transport": ("default stdio",),
    }.items():
        text = " ".join(main.split(f"  {option} ")[1].split("\n  -")[0].split())
        assert all(word in text for word in words), (option, text)
    assert "luma-mcp demo" in main and "--sandbox" in demo and "--out" in demo and "default 8765" in emulator
    assert all(len(line) <= 80 for text in (main, demo, emulator) for line in text.splitlines())


@pytest.mark.parametrize("flags", [["--port", "9000"], ["--host", "0.0.0.0"], ["--port", "9000", "demo"]])
def test_http_flags_without_http_transport_are_an_error(tmp_path: Path, flags: list[str]) -> None:
    done = luma_mcp(*flags, env=cli_env(tmp_path))
    assert done.returncode == 2, done.stderr
    assert flags[0] in done.stderr and "streamable-http" in done.stderr


def test_on_a_terminal_the_stdio_server_says_what_it_is_and_ctrl_c_ends_it_at_once(tmp_path: Path) -> None:
    with terminal() as (_, tty):
        server = spawn("--sandbox", env=cli_env(tmp_path), stdin=tty)
        banner = read_until(server.stderr, "\n")
        seconds, out, err = interrupt(server)
    assert "luma-mcp" in banner and "MCP server" in banner and "luma-mcp demo" in banner
    assert len(banner.strip().splitlines()) == 1
    assert server.returncode == 130 and seconds < 3, (server.returncode, seconds, err)
    assert "Traceback" not in err and err.strip() == ""
    assert out == ""  # stdout is the wire: nothing else goes there


def test_the_emulator_says_where_it_listens_and_ctrl_c_ends_it_quietly(tmp_path: Path) -> None:
    emulator = spawn("emulator", "--port", "0", env=cli_env(tmp_path))
    printed = read_until(emulator.stdout, "HEDRA_BASE_URL=")
    root = re.search(r"listening on (http://127\.0\.0\.1:\d+)", printed)
    assert root is not None and f"LUMA_BASE_URL={root[1]}/v1" in printed, printed
    seconds, _, err = interrupt(emulator)
    assert emulator.returncode == 130 and seconds < 5
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
